"""Everything a call needs, checked before a model loads or anything is written: the
videos (each probed and its last frames decoded), the run key, the method, the fields to
write and their types. All problems are collected and reported together."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from ..video import VideoError, check_decodable
from ._common import collection_videos


class InvalidInputs(ValueError):
    """Several things are wrong with a call; nothing was done. One problem per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problems, nothing was done:\n"
                         + "\n".join(f"  - {p}" for p in problems))


class Checks:
    """Runs checks, keeping each one's error instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[Exception] = []

    def __call__(self, check: Callable, *args, **kwargs):
        """``check(*args, **kwargs)``'s result, or None when it raised (kept for later)."""
        try:
            return check(*args, **kwargs)
        except (ValueError, FileNotFoundError, VideoError) as e:
            self.errors.append(e)
            return None

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]  # one problem: its own type and message
        if self.errors:
            raise InvalidInputs([str(e) for e in self.errors])


@contextmanager
def checking() -> Iterator[Checks]:
    """``with checking() as check: check(f, ...)``; raises at the end if any check failed."""
    checks = Checks()
    yield checks
    checks.raise_if_any()


def check_videos(samples, check: Checks, skip_failures: bool = False
                 ) -> tuple[list[str], list[str], dict[str, str]]:
    """The collection's sample ids and paths, each video probed and its last frames
    decoded, and ``{sample id: reason}`` of those that cannot be: with ``skip_failures``
    they are left to the caller to skip and report, otherwise they are problems of
    ``check``, each with its position and reason."""
    ids, paths = collection_videos(samples)
    failed = {}
    for k, (sid, path) in enumerate(zip(ids, paths)):
        try:
            check_decodable(path)
        except VideoError as e:
            failed[sid] = str(e)
            if not skip_failures:
                check.errors.append(VideoError(f"video {k + 1} of {len(paths)}: {e}"))
    if skip_failures and len(failed) == len(ids):
        check.errors.extend(VideoError(f"video {k + 1} of {len(paths)}: {failed[sid]}")
                            for k, sid in enumerate(ids))
    return ids, paths, failed
