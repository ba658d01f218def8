"""Face detection through MMDetection (YuNet by default).

Importing :mod:`fiftyone_plugin.detection.yunet` registers the YuNet modules in mmdet's
``MODELS``; configs pull it in with ``custom_imports``.
"""
from .face_detector import DEFAULT_CONFIG, NATIVE_CONFIG, FaceDetector, FrameFaces

__all__ = ["DEFAULT_CONFIG", "NATIVE_CONFIG", "FaceDetector", "FrameFaces"]
