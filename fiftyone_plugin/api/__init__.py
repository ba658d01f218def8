"""The library API behind the operators and the CLI, one module per job.

=====================  ==================================================================
module                 functions
=====================  ==================================================================
:mod:`.faces`          ``detect_faces``, ``track_faces``, ``embed_faces``,
                       ``find_identities`` (the whole pipeline in one decode per video)
:mod:`.identities`     ``cluster_faces`` (identities from stored tracks)
:mod:`.gallery`        ``list_identities`` (tracks, faces, screen time, sharpest face),
                       ``identity_tracks``, ``face_crops``, ``identity_clips`` (a clips view)
:mod:`.track_map`      ``map_tracks`` (an Embeddings-panel map of the tracks)
:mod:`.corrections`    ``rename_identity``, ``merge_identities``,
                       ``move_track`` (split), ``mark_not_face``, ``undo_correction``,
                       ``review_questions``, ``answer_question``
:mod:`.evaluation`     ``evaluate_identities`` (against ground-truth faces)
:mod:`.training`       ``adapt_faces`` (VideoClusterNet), ``learn_track_embeddings`` (VCT)
:mod:`.runs`           the FiftyOne run classes every function above registers
=====================  ==================================================================

Each function has the FiftyOne utility shape ``f(sample_collection, ..., progress=None)``:
it validates all its inputs (videos, fields, run key, method) before a model loads,
computes, then writes and registers its run last (``find_identities`` commits per video).
``progress`` is an optional callable ``progress(fraction, label)``. The algorithms they call
(clustering, re-tracking, the evaluation core) live in FiftyOne-free packages.
"""
from ._common import face_store_root, read_face_tables
from .corrections import (answer_question, mark_not_face, merge_identities, move_track,
                          rename_identity, review_questions, undo_correction)
from .evaluation import DEFAULT_EVAL_KEY, GT_FIELD, evaluate_identities
from .faces import detect_faces, embed_faces, find_identities, track_faces
from .gallery import face_crops, identity_clips, identity_tracks, list_identities
from .identities import DEFAULT_RUN_KEY, cluster_faces, recluster
from .runs import list_runs
from .track_map import map_tracks
from .training import (DEFAULT_ADAPT_KEY, DEFAULT_VCT_KEY, adapt_faces,
                       learn_track_embeddings)

__all__ = ["DEFAULT_ADAPT_KEY", "DEFAULT_EVAL_KEY", "DEFAULT_RUN_KEY", "DEFAULT_VCT_KEY",
           "GT_FIELD", "adapt_faces", "answer_question", "cluster_faces", "detect_faces",
           "embed_faces", "evaluate_identities", "face_crops", "face_store_root",
           "find_identities", "identity_clips", "identity_tracks", "learn_track_embeddings",
           "list_identities", "list_runs", "map_tracks", "mark_not_face", "merge_identities",
           "move_track", "read_face_tables", "recluster", "rename_identity", "review_questions",
           "track_faces", "undo_correction"]
