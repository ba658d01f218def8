"""Average-linkage HAC on track means cut at a fixed cosine distance, with cannot-links."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from ..common import track_means
from ..hac import threshold_hac
from . import DEFAULT_HAC_THRESHOLD, ClusteringMethod, option, register_method


@register_method
@dataclasses.dataclass
class HacThreshold(ClusteringMethod):
    name: ClassVar[str] = "hac_threshold"
    label: ClassVar[str] = "HAC average linkage with a distance threshold"
    verification_field: ClassVar[str | None] = "threshold"

    threshold: float | None = option(None, "Distance threshold", "cosine distance cut "
                                     "(default: 1 - the embedder's verification similarity, "
                                     "SFace 0.363)", float)
    linkage: str = option("average", "Linkage", "scipy linkage method")

    def __call__(self, faces, cannot_link=None):
        threshold = DEFAULT_HAC_THRESHOLD if self.threshold is None else self.threshold
        return threshold_hac(track_means(faces), threshold, cannot_link, method=self.linkage)
