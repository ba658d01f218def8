"""Ward HAC on L2-normalised track means with a known number of identities."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from ..common import track_means
from ..hac import ward_hac
from . import ClusteringMethod, option, register_method


@register_method
@dataclasses.dataclass
class HacK(ClusteringMethod):
    name: ClassVar[str] = "hac_k"
    label: ClassVar[str] = "HAC Ward with known K"
    needs_k: ClassVar[bool] = True

    n_clusters: int | None = option(None, "Number of identities (K)", "the known K (required)",
                                    int)

    def __call__(self, faces, cannot_link=None):
        return ward_hac(track_means(faces), self.n_clusters)
