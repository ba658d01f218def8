"""Identity-clustering metrics and evaluation protocols."""
from .metrics import best_map, clustering_metrics, contingency
from .protocols import (UNKNOWN_POLICIES, apply_unknown_policy, box_iou, evaluate_tracks,
                        is_unknown_name, match_faces, track_identities)

__all__ = ["UNKNOWN_POLICIES", "apply_unknown_policy", "best_map", "box_iou",
           "clustering_metrics",
           "contingency", "evaluate_tracks", "is_unknown_name", "match_faces",
           "track_identities"]
