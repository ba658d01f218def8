"""Realistic multi-shot face videos with per-frame ground truth, from labelled stills.

    python -m benchmarks.make_multishot --source ../shared/data/lfw_dev --out DIR --seed 0 \
        [--videos 3] [--cast 6] [--extras 4] [--shots 10] [--frames-per-shot 40] \
        [--width 640] [--height 360] [--fps 25]

``--source`` is any folder laid out as ``<identity>/<image>``. Each video has a cast of
``--cast`` people with several photos who recur across shots (with a different photo each
time while they have one left) and ``--extras`` people seen in one shot only (background
characters). Every shot shows 1-4 people composited (soft elliptical masks) on a textured
background, with smooth camera motion (pan, zoom, jitter) and photometric changes
(brightness, colour temperature, blur, noise, JPEG compression). Faces are located in each
photo once with our detector; their boxes follow the composite and camera transforms.

Writes ``<out>/<video>.mp4`` (H.264 when ffmpeg is there) and ``<out>/manifest.json``:
per video its file, size, fps, shots, cast, and per frame the true faces
``{label, index (ground-truth track), bbox (relative x, y, w, h)}``, which
:func:`load_manifest` writes into a FiftyOne dataset as ``frames.gt_faces``.
Generated videos are derived data: keep them out of the repository (``benchmarks/out``).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.photo_tracks import IMAGE_SUFFIXES, central_face, read_photo


@dataclass
class Person:
    name: str
    photos: list[Path]
    used: int = 0

    def next_photo(self) -> Path:
        photo = self.photos[self.used % len(self.photos)]
        self.used += 1
        return photo


def _people(source: Path) -> tuple[list[Person], list[Person]]:
    many, once = [], []
    for d in sorted(p for p in source.iterdir() if p.is_dir()):
        files = sorted(f for f in d.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if len(files) >= 2:
            many.append(Person(d.name, files))
        elif files:
            once.append(Person(d.name, files))
    return many, once


class FaceBoxes:
    """The face box of a photo (our detector, face nearest the centre), cached."""

    def __init__(self) -> None:
        from fiftyone_plugin.detection import NATIVE_CONFIG, FaceDetector

        # native resolution: the ground truth does not move when the pipeline's default does
        self.detector = FaceDetector(str(NATIVE_CONFIG), score_thr=0.5)
        self.cache: dict[Path, tuple[np.ndarray, np.ndarray]] = {}
        self.counts: dict[Path, int] = {}

    def __call__(self, path: Path) -> tuple[np.ndarray, np.ndarray]:
        if path not in self.cache:
            img = read_photo(path)
            faces = self.detector([img])[0]
            self.cache[path] = (img, central_face(img, faces)[0])
            self.counts[path] = len(faces.boxes)
        return self.cache[path]

    def alone(self, path: Path) -> bool:
        """Whether the photo shows one face only: a bystander's face would be in the video
        without ground truth (a track no person owns)."""
        self(path)
        return self.counts[path] <= 1


def _background(rng, w: int, h: int) -> np.ndarray:
    """A smooth random texture with a colour cast (walls, furniture, sky)."""
    small = rng.uniform(30, 220, size=(rng.integers(3, 7), rng.integers(4, 9), 3))
    small = 0.35 * small + 0.65 * small.mean(2, keepdims=True)  # muted, like real rooms
    bg = cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    bg += rng.normal(0, 6, size=(h, w, 3)).astype(np.float32)
    return bg.clip(0, 255)


def _soft_mask(h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    r = ((xx - w / 2) / (0.48 * w)) ** 2 + ((yy - h / 2) / (0.5 * h)) ** 2
    return np.clip((1.0 - r) / 0.25, 0, 1)[..., None].astype(np.float32)


def _camera(t: float, motion: dict, w: int, h: int) -> np.ndarray:
    """2x3 affine of the virtual camera at shot time ``t`` in [0, 1]."""
    zoom = motion["zoom"][0] + (motion["zoom"][1] - motion["zoom"][0]) * t
    dx = motion["pan"] * (t - 0.5) + motion["jitter"] * np.sin(37 * t + motion["phase"])
    dy = motion["jitter"] * np.cos(29 * t + motion["phase"])
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, zoom)
    m[:, 2] += (dx, dy)
    return m


def _photometric(frame: np.ndarray, look: dict, rng) -> np.ndarray:
    out = frame * look["gain"] * np.array(look["temperature"], np.float32)[None, None]
    if look["blur"] > 0:
        out = cv2.GaussianBlur(out, (0, 0), look["blur"])
    out = out + rng.normal(0, look["noise"], size=out.shape).astype(np.float32)
    out = out.clip(0, 255).astype(np.uint8)
    ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, look["jpeg"]])
    return cv2.imdecode(enc, cv2.IMREAD_COLOR)


def render_shot(rng, people: list[Person], boxes: FaceBoxes, n_frames: int, w: int, h: int,
                track_ids: list[int]) -> tuple[list[np.ndarray], list[list[dict]]]:
    """Frames of one shot and, per frame, its true faces."""
    bg = _background(rng, w, h)
    k = len(people)
    # layout: people side by side, face heights shrinking as the shot gets busier
    face_h = h * rng.uniform(0.20, 0.32) / (1 + 0.25 * (k - 1))
    slots = (np.arange(k) + 0.5) / k + rng.uniform(-0.04, 0.04, k)
    canvas = bg.copy()
    faces = []
    for person, sx, tid in zip(people, slots, track_ids):
        img, box = boxes(person.next_photo())
        scale = face_h / (box[3] - box[1])
        photo = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ph, pw = photo.shape[:2]
        fcx = (box[0] + box[2]) / 2 * scale
        fcy = (box[1] + box[3]) / 2 * scale
        x0 = int(round(sx * w - fcx))
        y0 = int(round(h * rng.uniform(0.40, 0.55) - fcy))
        mask = _soft_mask(ph, pw)
        cx1, cy1 = max(x0, 0), max(y0, 0)
        cx2, cy2 = min(x0 + pw, w), min(y0 + ph, h)
        if cx2 <= cx1 or cy2 <= cy1:
            continue
        sub = (slice(cy1 - y0, cy2 - y0), slice(cx1 - x0, cx2 - x0))
        region = canvas[cy1:cy2, cx1:cx2]
        canvas[cy1:cy2, cx1:cx2] = region * (1 - mask[sub]) + photo[sub] * mask[sub]
        faces.append((person.name, tid, box * scale + [x0, y0, x0, y0]))
    motion = dict(zoom=sorted(rng.uniform(1.0, 1.25, 2))[::rng.choice([-1, 1])],
                  pan=rng.uniform(-0.08, 0.08) * w, jitter=rng.uniform(0, 2.5),
                  phase=rng.uniform(0, 6.3))
    look = dict(gain=rng.uniform(0.7, 1.25), blur=rng.choice([0, 0, 0.6, 1.2]),
                temperature=(rng.uniform(0.85, 1.15), 1.0, rng.uniform(0.85, 1.15)),
                noise=rng.uniform(0, 6), jpeg=int(rng.integers(35, 90)))
    frames, truth = [], []
    for i in range(n_frames):
        m = _camera(i / max(n_frames - 1, 1), motion, w, h)
        frame = cv2.warpAffine(canvas, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        frames.append(_photometric(frame, look, rng))
        per_frame = []
        for name, tid, (x1, y1, x2, y2) in faces:
            pts = np.array([[x1, y1, 1], [x2, y2, 1]]) @ m.T
            (a, b), (c, d) = pts.clip([0, 0], [w, h])
            if (c - a) > 4 and (d - b) > 4:  # still (mostly) in the frame
                per_frame.append(dict(label=name, index=tid,
                                      bbox=[a / w, b / h, (c - a) / w, (d - b) / h]))
        truth.append(per_frame)
    return frames, truth


def make_video(rng, many: list[Person], once: list[Person], boxes: FaceBoxes, out: Path,
               name: str, args) -> dict:
    cast = [Person(p.name, list(rng.permutation(p.photos))) for p in
            (many[i] for i in rng.choice(len(many), args.cast, replace=False))]
    cast_names = {p.name for p in cast}
    pool = once or [p for p in many if p.name not in cast_names]  # ORL: nobody is seen once
    extras = [Person(pool[i].name, pool[i].photos[:1])
              for i in rng.choice(len(pool), args.extras, replace=False)]
    extra_shots = set(rng.choice(args.shots, min(args.extras, args.shots), replace=False))
    weights = rng.dirichlet(np.ones(len(cast))) * 0.6 + 0.4 / len(cast)  # leads and minors
    frames_all, truth_all, shots, next_track = [], [], [], 0
    extras_left = list(extras)
    for s in range(args.shots):
        k = int(rng.choice([1, 2, 2, 3, 3, 4]))
        chosen = [cast[i] for i in rng.choice(len(cast), min(k, len(cast)), replace=False,
                                               p=weights)]
        if s in extra_shots and extras_left and len(chosen) < 4:
            chosen.insert(int(rng.integers(len(chosen) + 1)), extras_left.pop())
        tids = list(range(next_track, next_track + len(chosen)))
        next_track += len(chosen)
        frames, truth = render_shot(rng, chosen, boxes, args.frames_per_shot, args.width,
                                    args.height, tids)
        shots.append([len(frames_all) + 1, len(frames_all) + len(frames)])
        frames_all += frames
        truth_all += truth
    path = _write(out / f"{name}.mp4", frames_all, args.fps)
    identities = sorted({f["label"] for fr in truth_all for f in fr})
    return dict(name=name, filepath=path.name, width=args.width, height=args.height,
                fps=args.fps, num_frames=len(frames_all), shots=shots,
                cast=[p.name for p in cast], extras=[p.name for p in extras],
                num_identities=len(identities), num_tracks=next_track,
                frames={str(i + 1): fr for i, fr in enumerate(truth_all) if fr})


def _write(path: Path, frames: list[np.ndarray], fps: int) -> Path:
    h, w = frames[0].shape[:2]
    raw = path.with_suffix(".raw.mp4")
    writer = cv2.VideoWriter(str(raw), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    if shutil.which("ffmpeg"):  # H.264 plays in the FiftyOne App
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(raw), "-c:v",
                        "libx264", "-pix_fmt", "yuv420p", "-crf", "20", str(path)], check=True)
        raw.unlink()
    else:
        raw.replace(path)
    return path


def find_manifest(videos: str | Path) -> Path | None:
    """``<videos>/manifest.json``, or None after printing why the benchmark is skipped."""
    manifest = Path(videos) / "manifest.json"
    if manifest.is_file():
        return manifest
    print(f"skipped: {manifest} is absent (make it with python -m benchmarks.make_multishot)")
    return None


def load_manifest(dataset, manifest: str | Path, gt_field: str = "gt_faces",
                  names: list[str] | None = None) -> list[str]:
    """Add the manifest's videos (those named ``names``, else all) to ``dataset`` with their
    true faces; returns sample ids."""
    import fiftyone as fo

    from fiftyone_plugin import fo_io

    manifest = Path(manifest)
    data = json.loads(manifest.read_text())
    if names:
        data["videos"] = [v for v in data["videos"] if v["name"] in names]
        if not data["videos"]:
            raise ValueError(f"no video named {names} in {manifest}")
    samples = [fo.Sample(filepath=str((manifest.parent / v["filepath"]).resolve()),
                         video=v["name"], num_identities=v["num_identities"])
               for v in data["videos"]]
    ids = dataset.add_samples(samples)
    frames = {}
    for sid, v in zip(ids, data["videos"]):
        frames[sid] = {int(n): fo.Detections(detections=[
            fo.Detection(label=f["label"], bounding_box=f["bbox"], index=f["index"])
            for f in faces]) for n, faces in v["frames"].items()}
    fo_io.write_frame_labels(dataset.select(ids), gt_field, frames, "ground_truth")
    return ids


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True, help="folder of <identity>/<image>")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--videos", type=int, default=3)
    ap.add_argument("--cast", type=int, default=6, help="recurring people per video")
    ap.add_argument("--extras", type=int, default=4, help="people seen in one shot only")
    ap.add_argument("--shots", type=int, default=10)
    ap.add_argument("--frames-per-shot", type=int, default=40)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--minutes", type=float, nargs="+", default=None,
                    help="episode mode (benchmarks.episode): one episode per video, written "
                         "at each of these lengths (prefixes of one another)")
    ap.add_argument("--guests", type=int, default=3, help="episode mode: recurring guests")
    ap.add_argument("--repeat", type=float, default=0.0,
                    help="episode mode, stress: probability that a shot replays an earlier one")
    args = ap.parse_args()
    source = Path(args.source)
    if not source.is_dir():
        print(f"skipped: {source} is absent (benchmark data lives only in ../shared/data)")
        return 0
    many, once = _people(source)
    if not args.minutes and (len(many) < args.cast
                             or len(once or many) - (0 if once else args.cast) < args.extras):
        print(f"error: {source} has {len(many)} people with >= 2 photos and {len(once)} with "
              f"one; --cast {args.cast} / --extras {args.extras} need more", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    boxes = FaceBoxes()
    videos = []
    for v in range(args.videos):
        if args.minutes:
            from benchmarks.episode import make_episode

            videos += make_episode(rng, many, once, boxes, out, f"episode_{args.seed}_{v:02d}",
                                   args.minutes, args.cast, args.guests, args.extras,
                                   args.repeat, args.width, args.height, args.fps)
            for e in videos[-len(args.minutes):]:
                print(f"{e['filepath']}: {e['num_frames']} frames, {len(e['shots'])} shots, "
                      f"{e['num_identities']} people, {e['num_tracks']} tracks", flush=True)
            continue
        videos.append(make_video(rng, many, once, boxes, out, f"video_{args.seed}_{v:02d}",
                                 args))
        print(f"{videos[-1]['filepath']}: {videos[-1]['num_frames']} frames, "
              f"{videos[-1]['num_identities']} people, {videos[-1]['num_tracks']} tracks",
              flush=True)
    (out / "manifest.json").write_text(json.dumps(dict(
        source=str(source), seed=args.seed, params=vars(args), videos=videos)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
