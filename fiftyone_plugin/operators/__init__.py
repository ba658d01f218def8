"""FiftyOne operators: thin adapters over :mod:`fiftyone_plugin.api`, one module per job."""
from .evaluation import EvaluateIdentities
from .faces import DetectFaces, EmbedFaces, FindIdentities, TrackFaces
from .ground_truth import ImportGroundTruth
from .identities import ClusterFaces, MapTracks
from .training import AdaptFaces, LearnTrackEmbeddings

# the order of fiftyone.yml
OPERATORS = (DetectFaces, TrackFaces, EmbedFaces, AdaptFaces, LearnTrackEmbeddings,
             ClusterFaces, EvaluateIdentities, FindIdentities, ImportGroundTruth, MapTracks)

__all__ = ["OPERATORS", "AdaptFaces", "ClusterFaces", "DetectFaces", "EmbedFaces",
           "EvaluateIdentities", "FindIdentities", "ImportGroundTruth", "LearnTrackEmbeddings",
           "MapTracks",
           "TrackFaces"]
