"""Speed and memory of the pipeline on a 720p multi-face video, against OpenCV's loop.

    python -m benchmarks.speed [--frames 250] [--repeats 3] [--json OUT]

The video (1280x720, 25 fps, three faces per frame, two shots) is composed at run time from
the registry photos (Obama x3, Biden) and written to benchmarks/out/. Reported numbers are
medians over ``--repeats`` runs, every variant interleaved in the same process:

* detection frames/s: ``FaceDetector`` (default: mmdet YuNet at 640 px, frozen, batch 8) vs
  ``cv2.FaceDetectorYN`` at 640x360 (same scale) and at 1280x720 (what a user's loop does);
* embedding faces/s: ``FaceEmbedder`` (frozen PyTorch SFace, batch 64) vs
  ``FaceRecognizerSF``;
* end-to-end: our ``run_video_pass`` with default settings (decode, shots, detect, track,
  align every face, embed one usable face in ``DEFAULT_EMBED_STRIDE`` per track), and with
  ``embed_stride=1`` (every face), vs the OpenCV per-frame loop (decode, detect, alignCrop,
  feature on every face; no shots, no tracking) at 720p and at 640x360, in seconds per
  minute of video, their ratios and the real-time factors;
* peak RSS of the process (``ru_maxrss``);
* the physical floor: multiply-adds per frame of the default settings (mmengine's
  complexity analysis of the detector at its input size plus SFace per embedded face;
  mmengine counts one multiply-add as one FLOP) against the machine's measured fp32 GEMM
  multiply-adds per second, as the frame rate that the arithmetic alone would allow and
  the share of it the pipeline reaches.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from benchmarks.report import write_json

OUT = Path(__file__).resolve().parent / "out"


def make_video(path: Path, frames: int) -> Path:
    from fiftyone_plugin import assets

    photos = [cv2.imread(str(assets.fixture(n).fetch()))
              for n in ("obama", "biden", "obama2", "obama3")]
    w, h = 1280, 720
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (w, h))
    for i in range(frames):
        shot = 0 if i < frames // 2 else 1
        frame = np.full((h, w, 3), (50, 70, 90) if shot == 0 else (90, 50, 60), np.uint8)
        people = photos[:3] if shot == 0 else [photos[1], photos[3], photos[0]]
        for k, img in enumerate(people):
            ph = 380
            im = cv2.resize(img, (round(img.shape[1] * ph / img.shape[0]), ph))
            im = im[:, : min(im.shape[1], 400)]
            x = 20 + k * 420 + int(10 * np.sin(i / 10 + k))
            y = 170 + int(8 * np.cos(i / 13))
            frame[y:y + ph, x:x + im.shape[1]] = im
        writer.write(frame)
    writer.release()
    return path


def seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def gemm_macs_per_s(n: int = 2048, repeats: int = 5) -> float:
    """Measured fp32 GEMM throughput of this machine (torch/MKL, all threads), n^3 / s."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b  # warm-up
    return n ** 3 / statistics.median(seconds(lambda: a @ b) for _ in range(repeats))


def macs(detector, embedder, frame: np.ndarray) -> dict:
    """Multiply-adds of the detector on one frame (resized and padded as it runs) and of
    the embedder on one face."""
    from mmengine.analysis import get_model_complexity_info

    data = detector.model.data_preprocessor(
        pseudo_collate([detector.pipeline(dict(img=frame, img_id=0))]), False)
    det = get_model_complexity_info(detector.model, inputs=(data["inputs"],),
                                    show_table=False, show_arch=False)["flops"]
    emb = get_model_complexity_info(embedder.model, inputs=(torch.zeros(1, 3, 112, 112),),
                                    show_table=False, show_arch=False)["flops"]
    return dict(detector=det, embedder_per_face=emb, input_shape=list(data["inputs"].shape))


def opencv_loop(path: str, det, rec, size: tuple[int, int] | None = None) -> tuple[int, float]:
    """OpenCV's per-frame loop; ``size`` resizes frames for detection (boxes scaled back)."""
    cap = cv2.VideoCapture(path)
    n = 0
    t = time.perf_counter()
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        small = frame if size is None else cv2.resize(frame, size)
        det.setInputSize((small.shape[1], small.shape[0]))
        _, faces = det.detect(small)
        scale = frame.shape[1] / small.shape[1]
        for f in faces if faces is not None else []:
            rec.feature(rec.alignCrop(frame, f * scale if size else f))
            n += 1
    cap.release()
    return n, time.perf_counter() - t


def main() -> None:
    from fiftyone_plugin import weights
    from fiftyone_plugin.detection import FaceDetector
    from fiftyone_plugin.embedding import FaceEmbedder, align_faces
    from fiftyone_plugin.pipeline import DEFAULT_EMBED_STRIDE, find_faces_steps, run_video_pass
    from fiftyone_plugin.tracking.tracker import FaceTracker
    from fiftyone_plugin.video import iter_frames

    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=250)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    video = str(make_video(OUT / "speed_720p.mp4", args.frames))
    frames = [f for _, f in iter_frames(video)][:64]
    small = (640, 360)

    detector, embedder = FaceDetector(), FaceEmbedder()
    onnx = str(weights.WEIGHTS["yunet"].source.fetch())
    cv_det = cv2.FaceDetectorYN.create(onnx, "", (1280, 720), 0.6, 0.3, 5000)
    cv_rec = cv2.FaceRecognizerSF.create(str(weights.WEIGHTS["sface"].source.fetch()), "")
    faces0 = detector(frames[:1])[0]
    crops = np.concatenate([align_faces(f, faces0.landmarks) for f in frames[:43]])[:128]
    bgr_crops = [c[..., ::-1].copy() for c in crops]
    small_frames = [cv2.resize(f, small) for f in frames]

    def cv_detect(images, size):
        cv_det.setInputSize(size)
        return [cv_det.detect(f) for f in images]

    def ours(stride):
        return run_video_pass(video, find_faces_steps(detector, FaceTracker(), embedder,
                                                      embed_stride=stride))

    res: dict[str, list[float]] = {k: [] for k in (
        "det_fps", "cv_det_fps_640", "cv_det_fps_720p", "emb_fps", "cv_emb_fps",
        "e2e_s", "e2e_every_face_s", "cv_e2e_s_720p", "cv_e2e_s_640")}
    counts = {}
    for _ in range(args.repeats):
        res["det_fps"].append(len(frames) / seconds(lambda: detector(frames)))
        res["cv_det_fps_640"].append(
            len(frames) / seconds(lambda: cv_detect(small_frames, small)))
        res["cv_det_fps_720p"].append(len(frames) / seconds(lambda: cv_detect(frames,
                                                                              (1280, 720))))
        res["emb_fps"].append(len(crops) / seconds(lambda: embedder(crops)))
        res["cv_emb_fps"].append(len(crops) / seconds(lambda: [cv_rec.feature(c)
                                                              for c in bgr_crops]))
        for key, stride in (("e2e_s", DEFAULT_EMBED_STRIDE), ("e2e_every_face_s", 1)):
            t = time.perf_counter()
            r = ours(stride)
            res[key].append(time.perf_counter() - t)
            counts[key] = (len(r.faces), int(np.isfinite(r.faces.embeddings[:, 0]).sum()))
        for key, size in (("cv_e2e_s_720p", None), ("cv_e2e_s_640", small)):
            counts[key], dt = opencv_loop(video, cv_det, cv_rec, size)
            res[key].append(dt)
    med = {k: statistics.median(v) for k, v in res.items()}
    minutes = args.frames / 25 / 60
    per_min = {k: round(med[k] / minutes, 1) for k in (
        "e2e_s", "e2e_every_face_s", "cv_e2e_s_720p", "cv_e2e_s_640")}
    ops = macs(FaceDetector(freeze=False), embedder, frames[0])
    faces, embedded = counts["e2e_s"]
    per_frame = ops["detector"] + ops["embedder_per_face"] * embedded / args.frames
    peak = gemm_macs_per_s()
    achieved_fps = args.frames / med["e2e_s"]
    report = dict(
        video="1280x720, 25 fps, 3 faces/frame, 2 shots", frames=args.frames,
        repeats=args.repeats, threads=torch.get_num_threads(),
        embed_stride=DEFAULT_EMBED_STRIDE,
        detection_fps=round(med["det_fps"], 2),
        opencv_detection_fps_640=round(med["cv_det_fps_640"], 2),
        opencv_detection_fps_720p=round(med["cv_det_fps_720p"], 2),
        embedding_faces_per_s=round(med["emb_fps"], 1),
        opencv_embedding_faces_per_s=round(med["cv_emb_fps"], 1),
        s_per_video_minute=per_min,
        ratio_ours_over_opencv_720p=round(med["e2e_s"] / med["cv_e2e_s_720p"], 2),
        ratio_ours_over_opencv_640=round(med["e2e_s"] / med["cv_e2e_s_640"], 2),
        ratio_every_face_over_opencv_640=round(med["e2e_every_face_s"] / med["cv_e2e_s_640"],
                                               2),
        realtime_factor=round(minutes * 60 / med["e2e_s"], 3),
        realtime_factor_every_face=round(minutes * 60 / med["e2e_every_face_s"], 3),
        realtime_factor_opencv_720p=round(minutes * 60 / med["cv_e2e_s_720p"], 3),
        realtime_factor_opencv_640=round(minutes * 60 / med["cv_e2e_s_640"], 3),
        faces_and_embedded=dict(ours=counts["e2e_s"], ours_every_face=counts["e2e_every_face_s"],
                                opencv_720p=counts["cv_e2e_s_720p"],
                                opencv_640=counts["cv_e2e_s_640"]),
        peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        detector_input=ops["input_shape"],
        gmacs_per_frame=dict(detector=round(ops["detector"] / 1e9, 3),
                             embedder_per_face=round(ops["embedder_per_face"] / 1e9, 3),
                             embedded_faces_per_frame=round(embedded / args.frames, 3),
                             total=round(per_frame / 1e9, 3)),
        measured_gemm_gmacs_per_s=round(peak / 1e9, 1),
        arithmetic_floor_fps=round(peak / per_frame, 1), achieved_fps=round(achieved_fps, 2),
        share_of_floor=round(achieved_fps * per_frame / peak, 3),
        all_runs={k: [round(x, 3) for x in v] for k, v in res.items()})
    print(json.dumps(report, indent=2))
    write_json(args.json, report)


if __name__ == "__main__":
    main()
