"""FiftyOne operators: thin adapters over :mod:`fiftyone_plugin.stages`."""
from .stages import (OPERATORS, ClusterFaces, DetectFaces, EmbedFaces, EvaluateIdentities,
                     FindIdentities, TrackFaces)

__all__ = ["OPERATORS", "ClusterFaces", "DetectFaces", "EmbedFaces", "EvaluateIdentities",
           "FindIdentities", "TrackFaces"]
