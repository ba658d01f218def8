"""What users said about tracks, as constraints every clustering honours: tracks that are
one person (must-link), tracks that are not (cannot-link), and tracks that are no face.
A track is ``(sample id, track id)``. No FiftyOne here."""
from __future__ import annotations

from dataclasses import dataclass, field

Track = tuple[str, int]


@dataclass
class TrackConstraints:
    """``must_link`` and ``cannot_link``: pairs of tracks; ``excluded``: tracks that are no
    face (left out of every identity)."""

    must_link: list[tuple[Track, Track]] = field(default_factory=list)
    cannot_link: list[tuple[Track, Track]] = field(default_factory=list)
    excluded: set[Track] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.must_link or self.cannot_link or self.excluded)

    def groups(self, tracks: list[Track]) -> list[int]:
        """A group number per track (``tracks`` order): must-linked tracks share one."""
        parent = list(range(len(tracks)))
        pos = {t: i for i, t in enumerate(tracks)}

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for a, b in self.must_link:
            if a in pos and b in pos:
                parent[root(pos[a])] = root(pos[b])
        roots = [root(i) for i in range(len(tracks))]
        number = {r: n for n, r in enumerate(dict.fromkeys(roots))}
        return [number[r] for r in roots]
