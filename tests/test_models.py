"""The ported models against their ONNX references, on real photos (registry files)."""
import json

import cv2
import numpy as np
import pytest
import torch

from fiftyone_plugin import weights
from fiftyone_plugin.detection import NATIVE_CONFIG, FaceDetector
from fiftyone_plugin.detection.yunet import output_maps_like_onnx
from fiftyone_plugin.embedding import FaceEmbedder, align_faces

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


@pytest.fixture(scope="module")
def native_detector():
    """YuNet at the frame's own resolution, eager: the port as OpenCV runs it."""
    return FaceDetector(str(NATIVE_CONFIG), freeze=False)


@pytest.fixture(scope="module")
def embedder():
    return FaceEmbedder()


def _square_640(img):
    s = 640 / max(img.shape[:2])
    im = cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)))
    canvas = np.zeros((640, 640, 3), np.uint8)
    canvas[:im.shape[0], :im.shape[1]] = im
    return canvas


def test_mmdet_yunet_matches_onnx(native_detector, photos):
    sess = ort.InferenceSession(str(weights.WEIGHTS["yunet"].source.fetch()))
    names = [o.name for o in sess.get_outputs()]
    m = native_detector.model
    for img in photos.values():
        x = torch.from_numpy(_square_640(img)).permute(2, 0, 1)[None].float()
        with torch.no_grad():
            ours = output_maps_like_onnx(m.bbox_head(m.neck(m.backbone(x))))
        ref = dict(zip(names, sess.run(None, {"input": x.numpy()})))
        for k in names:
            assert np.abs(ours[k].numpy() - ref[k]).max() < 1e-4, k


def test_yunet_boxes_match_opencv(native_detector, photos):
    onnx_path = str(weights.WEIGHTS["yunet"].source.fetch())
    for img in photos.values():
        h, w = img.shape[:2]
        cv_det = cv2.FaceDetectorYN.create(onnx_path, "", (w, h), 0.6, 0.3, 5000)
        _, ref = cv_det.detect(img)
        ours = native_detector([img])[0]
        assert len(ours.boxes) == len(ref) == 1
        ref_xyxy = np.r_[ref[0, :2], ref[0, :2] + ref[0, 2:4]]
        np.testing.assert_allclose(ours.boxes[0], ref_xyxy, atol=0.05)
        np.testing.assert_allclose(ours.landmarks[0].ravel(), ref[0, 4:14], atol=0.05)


def test_default_detector_at_640_maps_back_to_frame_pixels(detector, native_detector, photos):
    """The default resizes a 720p frame to 640x360 and runs frozen; its boxes and
    landmarks are in frame pixels, within a few pixels of OpenCV's run on the 640 frame
    scaled back (x2), and equal to the eager, native-config model fed the same 640 frame."""
    onnx_path = str(weights.WEIGHTS["yunet"].source.fetch())
    img = photos["biden"]
    frame = np.full((720, 1280, 3), 60, np.uint8)
    s = 600 / img.shape[0]
    im = cv2.resize(img, (round(img.shape[1] * s), 600))
    frame[60:660, 400:400 + im.shape[1]] = im
    small = cv2.resize(frame, (640, 360), interpolation=cv2.INTER_LINEAR)
    cv_det = cv2.FaceDetectorYN.create(onnx_path, "", (640, 360), 0.6, 0.3, 5000)
    _, ref = cv_det.detect(small)
    ours = detector([frame])[0]
    assert not isinstance(detector.model.backbone, torch.nn.Sequential)  # frozen trace
    assert len(ours.boxes) == len(ref) == 1 and ours.boxes[0, 0] > 400
    ref_xyxy = 2 * np.r_[ref[0, :2], ref[0, :2] + ref[0, 2:4]]
    np.testing.assert_allclose(ours.boxes[0], ref_xyxy, atol=3.0)
    np.testing.assert_allclose(ours.landmarks[0].ravel(), 2 * ref[0, 4:14], atol=3.0)
    eager = native_detector([small])[0]
    np.testing.assert_allclose(ours.boxes, 2 * eager.boxes, atol=0.1)


def test_batched_detection_equals_single(detector, photos):
    frames = [cv2.resize(img, (320, 240)) for img in photos.values()]
    batched = detector(frames)
    for f, b in zip(frames, batched):
        single = detector([f])[0]
        np.testing.assert_allclose(b.boxes, single.boxes, atol=1e-3)


def test_sface_matches_onnx_and_separates_people(detector, embedder, photos):
    sess = ort.InferenceSession(str(weights.WEIGHTS["sface"].source.fetch()))
    crops = {}
    for name, img in photos.items():
        faces = detector([img])[0]
        crops[name] = align_faces(img, faces.landmarks[:1])
        x = crops[name].transpose(0, 3, 1, 2).astype(np.float32)
        ref = sess.run(None, {"data": x})[0]
        with torch.no_grad():
            ours = embedder.model(torch.from_numpy(x)).numpy()
        assert np.abs(ours - ref).max() < 1e-4
    e = {k: embedder(v)[0] for k, v in crops.items()}
    same = [e["obama"] @ e["obama2"], e["obama"] @ e["obama3"], e["obama2"] @ e["obama3"]]
    diff = [e["biden"] @ e[k] for k in ("obama", "obama2", "obama3")]
    assert min(same) > 0.6 and max(diff) < 0.35


def test_other_mmdet_detector_without_landmarks(tmp_path):
    """Any mmdet config + checkpoint works; without landmarks the pipeline aligns by box."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    cfg_path = tmp_path / "retina_face.py"
    cfg_path.write_text(
        "_base_ = 'mmdet::retinanet/retinanet_r18_fpn_1x_coco.py'\n"
        "model = dict(backbone=dict(init_cfg=None), bbox_head=dict(num_classes=1))\n")
    register_all_modules()
    model = MODELS.build(Config.fromfile(str(cfg_path)).model)
    ckpt = tmp_path / "retina.pth"
    torch.save({"state_dict": model.state_dict(),
                "meta": {"dataset_meta": {"classes": ("face",)}}}, ckpt)
    det = FaceDetector(str(cfg_path), str(ckpt), score_thr=0.0, batch_size=2)
    frames = [np.random.default_rng(i).integers(0, 255, (96, 128, 3), np.uint8) for i in range(3)]
    out = det(frames)
    assert len(out) == 3 and all(f.landmarks is None for f in out)
    assert all(f.boxes.shape[1] == 4 for f in out)


def test_missing_and_corrupt_weights_name_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("VFC_CACHE_DIR", str(tmp_path))
    with pytest.raises(weights.WeightsError, match="vfc weights fetch"):
        weights.checkpoint_path("sface")
    wdir = tmp_path / "weights"
    wdir.mkdir()
    (wdir / "sface_2021dec.pth").write_bytes(b"garbage")
    (wdir / "sface_2021dec.pth.json").write_text(json.dumps({"sha256": "0" * 64}))
    with pytest.raises(weights.WeightsError, match="--force"):
        weights.checkpoint_path("sface")
    with pytest.raises(weights.WeightsError, match="unknown weights"):
        weights.checkpoint_path("nope")
