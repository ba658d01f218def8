"""VideoClusterNet's per-track adaptive thresholds with the impostor bound (the default)."""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from ..parameter_free import parameter_free
from . import DEFAULT_HAC_THRESHOLD, ClusteringMethod, option, register_method


@register_method
@dataclasses.dataclass
class ParameterFree(ClusteringMethod):
    name: ClassVar[str] = "parameter_free"
    label: ClassVar[str] = "Parameter-free (VideoClusterNet thresholds; no K, no threshold)"
    verification_field: ClassVar[str | None] = "fallback"

    fallback: float | None = option(None, "Fallback distance", "floor when the impostor bound "
                                    "cannot be estimated (too few tracks); defaults to the "
                                    "embedder's verification distance")
    distance: Any = option(None, "Track distance", "a GroupDistance (cosine when None)")
    # the algorithm's own knobs (module doc of clustering.parameter_free), not for users
    floor: str | float | None = option("impostor", "Floor", "'impostor', a distance or None")
    looks: bool = option(True, "Looks", "also join clusters by the looks at tracks' ends")
    guard_switches: bool = option(True, "Guard switches", "a track whose looks are likelier "
                                  "two people than one links nothing by its looks")
    nearest: bool = option(True, "Nearest", "under the bound, each cluster joins its nearest")
    linkage: str = option("units", "Linkage", "'units' (one at a time) or 'centroid'")
    max_faces: int = option(8, "Faces per track", "faces sampled per track")
    merged_threshold: str = option("max", "Merged threshold", "'max' or 'recompute'")
    exact_up_to: int = option(4096, "Exact up to", "compare all pairs up to this many groups")
    candidates: int = option(32, "Candidates", "groups compared with each above that")
    max_rounds: int = option(100, "Max rounds", "safety cap on merge rounds")

    def __call__(self, faces, cannot_link=None):
        fallback = DEFAULT_HAC_THRESHOLD if self.fallback is None else self.fallback
        if self.distance is not None and self.fallback is None:
            fallback = None  # a cosine fallback means nothing on another distance's scale
        params = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return parameter_free(faces, cannot_link, **dict(params, fallback=fallback))
