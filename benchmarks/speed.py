"""Speed and memory of the pipeline on a 720p multi-face video, against OpenCV's loop.

    python -m benchmarks.speed [--frames 250] [--repeats 3] [--json OUT]

The video (1280x720, 25 fps, three faces per frame, two shots) is composed at run time from
the registry photos (Obama x3, Biden) and written to benchmarks/out/. Reported numbers are
medians over ``--repeats`` runs, ours and OpenCV's interleaved in the same process:

* detection frames/s: ``FaceDetector`` (mmdet YuNet, batch 8) vs ``cv2.FaceDetectorYN``;
* embedding faces/s: ``FaceEmbedder`` (PyTorch SFace, batch 64) vs ``FaceRecognizerSF``;
* end-to-end: our ``process_video`` (decode, shots, detect, track, align, embed) vs the
  OpenCV per-frame loop (decode, detect, alignCrop, feature; no shots, no tracking), in
  seconds per minute of video, and their ratio;
* peak RSS of the process (``ru_maxrss``);
* the physical floor: multiply-adds per frame (mmengine's complexity analysis of the
  detector at 720p plus SFace per face; mmengine counts one multiply-add as one FLOP)
  against the machine's measured fp32 GEMM multiply-adds per second, as the frame rate
  that the arithmetic alone would allow and the share of it the pipeline reaches.
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

from benchmarks.report import write_json

OUT = Path(__file__).resolve().parent / "out"


def make_video(path: Path, frames: int) -> Path:
    from fiftyone_plugin import assets

    photos = [cv2.imread(str(p.fetch())) for p in
              (assets.OBAMA, assets.BIDEN, assets.OBAMA2, assets.OBAMA3)]
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


def macs_per_frame(detector, embedder, frame: np.ndarray, faces: int) -> dict:
    """Multiply-adds of the detector on one frame (padded as it runs) and of SFace per face."""
    from mmengine.analysis import get_model_complexity_info

    h, w = frame.shape[:2]
    pad = lambda v: -(-v // 32) * 32  # noqa: E731  (the detector pads to /32)
    x = torch.zeros(1, 3, pad(h), pad(w))
    det = get_model_complexity_info(detector.model, inputs=(x,), show_table=False,
                                    show_arch=False)["flops"]
    emb = get_model_complexity_info(embedder.model, inputs=(torch.zeros(1, 3, 112, 112),),
                                    show_table=False, show_arch=False)["flops"]
    return dict(detector=det, embedder_per_face=emb, per_frame=det + faces * emb)


def opencv_loop(path: str, det, rec) -> tuple[int, float]:
    cap = cv2.VideoCapture(path)
    n = 0
    t = time.perf_counter()
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        det.setInputSize((frame.shape[1], frame.shape[0]))
        _, faces = det.detect(frame)
        for f in faces if faces is not None else []:
            rec.feature(rec.alignCrop(frame, f))
            n += 1
    cap.release()
    return n, time.perf_counter() - t


def main() -> None:
    from fiftyone_plugin import weights
    from fiftyone_plugin.detection import FaceDetector
    from fiftyone_plugin.embedding import FaceEmbedder, align_faces
    from fiftyone_plugin.pipeline import process_video
    from fiftyone_plugin.shots import ShotDetector
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

    detector, embedder = FaceDetector(score_thr=0.6), FaceEmbedder()
    cv_det = cv2.FaceDetectorYN.create(str(weights.WEIGHTS["yunet"].source.fetch()), "",
                                       (1280, 720), 0.6, 0.3, 5000)
    cv_rec = cv2.FaceRecognizerSF.create(str(weights.WEIGHTS["sface"].source.fetch()), "")
    faces0 = detector(frames[:1])[0]
    crops = np.concatenate([align_faces(f, faces0.landmarks) for f in frames[:43]])[:128]
    bgr_crops = [c[..., ::-1].copy() for c in crops]

    res: dict[str, list[float]] = {k: [] for k in (
        "det_fps", "cv_det_fps", "emb_fps", "cv_emb_fps", "e2e_s", "cv_e2e_s")}
    e2e_faces = cv_faces = 0
    for _ in range(args.repeats):
        res["det_fps"].append(len(frames) / seconds(lambda: detector(frames)))
        res["cv_det_fps"].append(len(frames) / seconds(lambda: [cv_det.detect(f) for f in frames]))
        res["emb_fps"].append(len(crops) / seconds(lambda: embedder(crops)))
        res["cv_emb_fps"].append(len(crops) / seconds(lambda: [cv_rec.feature(c)
                                                              for c in bgr_crops]))
        t = time.perf_counter()
        r = process_video(video, detector, FaceTracker(), embedder, ShotDetector())
        res["e2e_s"].append(time.perf_counter() - t)
        e2e_faces = len(r.faces)
        cv_faces, dt = opencv_loop(video, cv_det, cv_rec)
        res["cv_e2e_s"].append(dt)
    med = {k: statistics.median(v) for k, v in res.items()}
    minutes = args.frames / 25 / 60
    macs = macs_per_frame(detector, embedder, frames[0], faces=3)
    peak = gemm_macs_per_s()
    floor_fps = peak / macs["per_frame"]
    achieved_fps = args.frames / med["e2e_s"]
    report = dict(
        video="1280x720, 25 fps, 3 faces/frame, 2 shots", frames=args.frames,
        repeats=args.repeats, threads=torch.get_num_threads(),
        detection_fps=round(med["det_fps"], 2), opencv_detection_fps=round(med["cv_det_fps"], 2),
        embedding_faces_per_s=round(med["emb_fps"], 1),
        opencv_embedding_faces_per_s=round(med["cv_emb_fps"], 1),
        e2e_s_per_video_minute=round(med["e2e_s"] / minutes, 1),
        opencv_loop_s_per_video_minute=round(med["cv_e2e_s"] / minutes, 1),
        e2e_ratio_ours_over_opencv=round(med["e2e_s"] / med["cv_e2e_s"], 2),
        realtime_factor=round(minutes * 60 / med["e2e_s"], 3),
        faces_ours=e2e_faces, faces_opencv=cv_faces,
        peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        gmacs_per_frame=dict(detector=round(macs["detector"] / 1e9, 3),
                             embedder_per_face=round(macs["embedder_per_face"] / 1e9, 3),
                             total_3_faces=round(macs["per_frame"] / 1e9, 3)),
        measured_gemm_gmacs_per_s=round(peak / 1e9, 1),
        arithmetic_floor_fps=round(floor_fps, 1), achieved_fps=round(achieved_fps, 2),
        share_of_floor=round(achieved_fps / floor_fps, 3),
        all_runs={k: [round(x, 3) for x in v] for k, v in res.items()})
    print(json.dumps(report, indent=2))
    write_json(args.json, report)


if __name__ == "__main__":
    main()
