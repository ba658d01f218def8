"""Alignment, face-embedding backbones and the batched embedder."""
from .align import align_faces, landmarks_from_boxes, sharpness, similarity_transform
from .embedder import FaceEmbedder
from .sface import SFace

__all__ = ["FaceEmbedder", "SFace", "align_faces", "landmarks_from_boxes", "sharpness",
           "similarity_transform"]
