"""FINCH on track means (first-neighbour merges), without constraints."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from ..finch import finch
from . import DEFAULT_HAC_THRESHOLD, ClusteringMethod, option, register_method


@register_method
@dataclasses.dataclass
class Finch(ClusteringMethod):
    name: ClassVar[str] = "finch"
    label: ClassVar[str] = "FINCH (no K, or a required K)"
    verification_field: ClassVar[str | None] = "fallback"
    constrained: ClassVar[bool] = False

    n_clusters: int | None = option(None, "Number of identities (K)",
                                    "known K (optional: the automatic partition without)",
                                    int)
    fallback: float | None = option(None, "Fallback distance", "cut for the automatic "
                                    "partition when the impostor bound cannot be estimated")
    partition: str = option("auto", "Partition", "'auto' (cut at the impostor bound), "
                            "'first' or 'sqrt'")
    search: int = option(16, "Neighbours searched", "first-neighbour candidates")

    def __call__(self, faces, cannot_link=None):
        return finch(faces, cannot_link if self.constrained else None,
                     n_clusters=self.n_clusters, partition=self.partition, search=self.search,
                     fallback=DEFAULT_HAC_THRESHOLD if self.fallback is None else self.fallback)
