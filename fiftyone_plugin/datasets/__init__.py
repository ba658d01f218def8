"""Importers for the datasets of the video face clustering literature."""
from .bbt_buffy import (import_bbt_buffy, kit_is_unknown, load_bauml_tracks, load_bcl_ids,
                        load_kit_features, read_castlist)
from .easycom import SPLITS, import_easycom, load_easycom_boxes
from .tracks import FeatureTracks, GroundTruthTrack, tracks_to_frames

__all__ = ["SPLITS", "FeatureTracks", "GroundTruthTrack", "import_bbt_buffy", "import_easycom",
           "kit_is_unknown", "load_bauml_tracks", "load_bcl_ids", "load_easycom_boxes",
           "load_kit_features", "read_castlist", "tracks_to_frames"]
