"""Importers for the datasets of the video face clustering literature.

:data:`IMPORTERS` lists the ground-truth importers by name (``vfc import NAME``, the
``import_ground_truth`` operator); each has a FiftyOne dataset type for
``fo.Dataset.from_dir(dataset_dir, dataset_type=BBTBuffyDataset, video_dir=...)``.
"""
from .bbt_buffy import (BBTBuffyDataset, BBTBuffyImporter, import_bbt_buffy, kit_is_unknown,
                        load_bauml_tracks, load_bcl_ids, load_kit_features, read_castlist)
from .easycom import SPLITS, EasyComDataset, EasyComImporter, import_easycom, load_easycom_boxes
from .importer import (IMPORTERS, GroundTruthImporter, ImportOption, import_ground_truth,
                       import_options)
from .tracks import FeatureTracks, GroundTruthTrack, tracks_to_frames

__all__ = ["IMPORTERS", "SPLITS", "BBTBuffyDataset", "BBTBuffyImporter", "EasyComDataset",
           "EasyComImporter", "FeatureTracks", "GroundTruthImporter", "GroundTruthTrack",
           "ImportOption", "import_bbt_buffy", "import_easycom", "import_ground_truth",
           "import_options",
           "kit_is_unknown", "load_bauml_tracks", "load_bcl_ids", "load_easycom_boxes",
           "load_kit_features", "read_castlist", "tracks_to_frames"]
