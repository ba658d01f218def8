"""Episode-length benchmark videos: a few people, hundreds of shots, many looks each.

What real episodes have and short composites lack: a main cast of a few people who appear in
most shots, each with many different photos; recurring guests (a few shots each) and one-shot
extras; and a person's look changing inside a track (the photo cross-fades to another of the
same person: a turn of the head, another expression), and between shots (pose through
mirrored and rolled photos, lighting that ramps within a shot, partial occlusion by a passing
object, motion blur). A stress mode (``repeat``) replays earlier shots exactly, as reruns,
flashbacks and looped footage do.

One episode is rendered per seed and written at several lengths at once (``minutes``): every
shorter video is a prefix of the longer ones (whole shots only), so quality against length
compares the same cast and the same shots. Frames are streamed to the encoders; memory does
not grow with the length.

    python -m benchmarks.make_multishot --source ../shared/data/lfw_dev --out DIR \\
        --minutes 1 2 5 10 20 [--cast 4] [--guests 3] [--extras 8] [--repeat 0.0]
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from benchmarks.make_multishot import FaceBoxes, Person, _background, _camera, _soft_mask

MIN_MAIN_PHOTOS = 10  # a main character is seen in many different photos


@dataclass
class Appearance:
    """One person in one shot: photos (a second one cross-fades in at ``switch``)."""

    person: Person
    photos: list[Path]
    track: int
    switch: float | None  # fraction of the shot where the second photo has faded in
    flip: bool
    roll: float
    occlusion: tuple[float, float, float] | None  # start, end (shot fraction), side
    extras: dict = field(default_factory=dict)


class VideoWriters:
    """One encoder per length; frames go to every writer whose video is not full yet."""

    def __init__(self, out: Path, names: list[str], limits: list[int], w: int, h: int,
                 fps: int) -> None:
        self.limits, self.written = limits, 0
        self.paths = [out / f"{n}.mp4" for n in names]
        self.procs = []
        for p in self.paths:
            if shutil.which("ffmpeg"):  # H.264 plays in the FiftyOne App
                self.procs.append(subprocess.Popen(
                    ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
                     "-s", f"{w}x{h}", "-r", str(fps), "-i", "-", "-c:v", "libx264",
                     "-preset", "veryfast", "-pix_fmt", "yuv420p", "-crf", "20", str(p)],
                    stdin=subprocess.PIPE))
            else:
                self.procs.append(cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                                  (w, h)))

    def write(self, frame: np.ndarray) -> None:
        for proc, limit in zip(self.procs, self.limits):
            if self.written < limit:
                if isinstance(proc, subprocess.Popen):
                    proc.stdin.write(frame.tobytes())
                else:
                    proc.write(frame)
        self.written += 1

    def close(self) -> None:
        for proc in self.procs:
            if isinstance(proc, subprocess.Popen):
                proc.stdin.close()
                if proc.wait():
                    raise RuntimeError("ffmpeg failed to encode a benchmark video")
            else:
                proc.release()


def _place(canvas, img, box, face_h, cx, cy, flip, roll):
    """Composite one photo so its face (``box`` in the photo) is ``face_h`` high at
    ``(cx, cy)``; returns the face box in canvas pixels."""
    scale = face_h / (box[3] - box[1])
    photo = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    b = box * scale
    if flip:
        photo = photo[:, ::-1].copy()
        b = np.array([photo.shape[1] - b[2], b[1], photo.shape[1] - b[0], b[3]])
    fcx, fcy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    if roll:
        m = cv2.getRotationMatrix2D((fcx, fcy), roll, 1.0)
        photo = cv2.warpAffine(photo, m, (photo.shape[1], photo.shape[0]),
                               borderMode=cv2.BORDER_REFLECT)
    ph, pw = photo.shape[:2]
    x0, y0 = int(round(cx - fcx)), int(round(cy - fcy))
    mask = _soft_mask(ph, pw)
    h, w = canvas.shape[:2]
    cx1, cy1, cx2, cy2 = max(x0, 0), max(y0, 0), min(x0 + pw, w), min(y0 + ph, h)
    if cx2 > cx1 and cy2 > cy1:
        sub = (slice(cy1 - y0, cy2 - y0), slice(cx1 - x0, cx2 - x0))
        region = canvas[cy1:cy2, cx1:cx2]
        canvas[cy1:cy2, cx1:cx2] = region * (1 - mask[sub]) + photo[sub] * mask[sub]
    return b + [x0, y0, x0, y0]


def render_episode_shot(rng, cast: list[Appearance], boxes: FaceBoxes, n_frames: int, w: int,
                        h: int):
    """Yields ``(frame, true faces)`` for one shot with look changes."""
    bg = _background(rng, w, h)
    k = len(cast)
    face_h = h * rng.uniform(0.20, 0.34) / (1 + 0.25 * (k - 1))
    slots = (np.arange(k) + 0.5) / k + rng.uniform(-0.04, 0.04, k)
    before, after = bg.copy(), bg.copy()
    placed = []
    for app, sx in zip(cast, slots):
        cy = h * rng.uniform(0.40, 0.55)
        img, box = boxes(app.photos[0])
        b0 = _place(before, img, box, face_h, sx * w, cy, app.flip, app.roll)
        b1 = b0
        if app.switch is not None:
            img, box = boxes(app.photos[1])
            b1 = _place(after, img, box, face_h, sx * w, cy, app.flip, -app.roll)
        else:
            _place(after, img, box, face_h, sx * w, cy, app.flip, app.roll)
        placed.append((app, b0, b1))
    motion = dict(zoom=sorted(rng.uniform(1.0, 1.25, 2))[::rng.choice([-1, 1])],
                  pan=rng.uniform(-0.08, 0.08) * w, jitter=rng.uniform(0, 2.5),
                  phase=rng.uniform(0, 6.3))
    gain = rng.uniform(0.6, 1.3, 2)  # lighting ramps across the shot
    temperature = np.array([rng.uniform(0.85, 1.15), 1.0, rng.uniform(0.85, 1.15)], np.float32)
    blur = None
    if rng.random() < 0.2:  # camera shake: directional motion blur
        length, angle = int(rng.integers(5, 12)), rng.uniform(0, 180)
        blur = cv2.warpAffine(np.pad(np.ones((1, length), np.float32), ((length // 2,) * 2, (0, 0))),
                              cv2.getRotationMatrix2D((length / 2, length / 2), angle, 1.0),
                              (length, length))
        blur /= blur.sum()
    noise, jpeg = rng.uniform(0, 6), int(rng.integers(35, 90))
    for i in range(n_frames):
        t = i / max(n_frames - 1, 1)
        frame_canvas = before
        fades = [app.switch for app, _, _ in placed if app.switch is not None]
        if fades:  # the shot's switching faces cross-fade together, over 0.15 of the shot
            alpha = np.clip((t - fades[0]) / 0.15 + 0.5, 0, 1)
            frame_canvas = before * (1 - alpha) + after * alpha
        m = _camera(t, motion, w, h)
        frame = cv2.warpAffine(frame_canvas, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        truth = []
        for app, b0, b1 in placed:
            b = b1 if fades and t >= fades[0] else b0
            pts = np.array([[b[0], b[1], 1], [b[2], b[3], 1]]) @ m.T
            (x1, y1), (x2, y2) = pts.clip([0, 0], [w, h])
            if app.occlusion and app.occlusion[0] <= t <= app.occlusion[1]:
                # a passing object covers 35 % of the face from one side
                cover = 0.35 * (x2 - x1)
                xa, xb = (x1, x1 + cover) if app.occlusion[2] < 0.5 else (x2 - cover, x2)
                frame[int(y1):int(y2), int(xa):int(xb)] = (40, 40, 45)
            if (x2 - x1) > 4 and (y2 - y1) > 4:
                truth.append(dict(label=app.person.name, index=app.track,
                                  bbox=[x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h]))
        frame = frame * (gain[0] + (gain[1] - gain[0]) * t) * temperature[None, None]
        if blur is not None:
            frame = cv2.filter2D(frame, -1, blur)
        frame = (frame + rng.normal(0, noise, size=frame.shape)).clip(0, 255).astype(np.uint8)
        ok, enc = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, jpeg])
        yield cv2.imdecode(enc, cv2.IMREAD_COLOR), truth


def _roles(rng, many: list[Person], once: list[Person], boxes: FaceBoxes, cast: int,
           guests: int, extras: int, main_photos: int = MIN_MAIN_PHOTOS):
    """Draws the main cast, guests and extras, each person with the photos that show no
    other face (bystanders at a photo's border would be faces without ground truth)."""
    taken: set[str] = set()

    def draw(pool: list[Person], n: int, min_photos: int, role: str) -> list[Person]:
        chosen = []
        for i in rng.permutation(len(pool)):
            if len(chosen) == n:
                break
            p = pool[i]
            if p.name in taken or len(p.photos) < min_photos:
                continue
            clean = [f for f in p.photos if boxes.alone(f)]
            if len(clean) >= min_photos:
                chosen.append(Person(p.name, list(rng.permutation(clean))))
                taken.add(p.name)
        if role == "main" and len(chosen) < n:
            raise ValueError(f"{n} main characters need {n} people with >= {min_photos} "
                             f"photos of one face; the source has {len(chosen)}")
        return chosen

    main = draw(many, cast, main_photos, "main")
    return main, draw(many, guests, 2, "guest"), draw(once or many, extras, 1, "extra")


def make_episode(rng, many: list[Person], once: list[Person], boxes: FaceBoxes, out: Path,
                 name: str, minutes: list[float], cast: int = 4, guests: int = 3,
                 extras: int = 8, repeat: float = 0.0, width: int = 640, height: int = 360,
                 fps: int = 25, main_photos: int = MIN_MAIN_PHOTOS) -> list[dict]:
    """Render one episode and write it at every length of ``minutes`` (prefixes).

    Returns:
        list[dict]: One manifest entry per length (as :func:`make_multishot.make_video`).
    """
    main, guest, extra = _roles(rng, many, once, boxes, cast, guests, extras, main_photos)
    total = int(max(minutes) * 60 * fps)
    # shots of 1.5-5 s (a TV average of about 3 s); plan them all first
    plan: list[tuple[int, int | None]] = []  # (frames, the earlier shot it replays)
    while sum(n for n, _ in plan) < total:
        if plan and rng.random() < repeat:  # stress: an exact rerun of a past shot
            source = int(rng.integers(len(plan)))
            source = plan[source][1] if plan[source][1] is not None else source
            plan.append((plan[source][0], source))
        else:
            plan.append((int(rng.uniform(1.5, 5.0) * fps), None))
    lengths = [n for n, _ in plan]
    n_shots = len(lengths)
    weights = rng.dirichlet(np.ones(cast)) * 0.5 + 0.5 / cast  # leads and supporting cast
    guest_shots = {i: set(rng.choice(n_shots, int(rng.integers(2, 6)), replace=False))
                   for i in range(len(guest))}
    extra_shots = dict(zip(rng.choice(n_shots, len(extra), replace=False), extra))
    limits, ends = [], np.cumsum(lengths)
    for m in sorted(minutes):  # cut each prefix at the last whole shot
        limits.append(int(ends[ends <= m * 60 * fps][-1]) if (ends <= m * 60 * fps).any()
                      else int(ends[0]))
    names = [f"{name}_{m:g}min" for m in sorted(minutes)]
    writers = VideoWriters(out, names, limits, width, height, fps)
    truth, shots, track, history, frame_no = {}, [], 0, {}, 0
    try:
        for s, (n_frames, source) in enumerate(plan):
            if source is not None:
                state, people = history[source]
                shot_rng = np.random.default_rng(state)
                apps = [Appearance(p, ph, track + j, sw, fl, ro, oc)
                        for j, (p, ph, sw, fl, ro, oc) in enumerate(people)]
            else:
                k = int(rng.choice([1, 1, 2, 2, 2, 3, 3]))
                chosen = [main[i] for i in rng.choice(cast, min(k, cast), replace=False,
                                                      p=weights)]
                chosen += [guest[i] for i, ss in guest_shots.items() if s in ss][:1]
                if s in extra_shots:
                    chosen.append(extra_shots[s])
                chosen = chosen[:4]
                apps = []
                for j, p in enumerate(chosen):
                    photos = [p.next_photo(), p.next_photo()]
                    switch = (float(rng.uniform(0.3, 0.7)) if len(set(photos)) == 2
                              and rng.random() < 0.35 else None)
                    occlusion = ((lambda a: (a, a + rng.uniform(0.2, 0.4), rng.random()))(
                        rng.uniform(0, 0.6)) if rng.random() < 0.2 else None)
                    apps.append(Appearance(p, photos, track + j, switch, bool(rng.random() < 0.5),
                                           float(rng.uniform(-10, 10)), occlusion))
                state = int(rng.integers(2**31))
                shot_rng = np.random.default_rng(state)
                history[s] = (state, [(a.person, a.photos, a.switch, a.flip, a.roll,
                                       a.occlusion) for a in apps])
            track += len(apps)
            shots.append([frame_no + 1, frame_no + n_frames])
            for frame, faces in render_episode_shot(shot_rng, apps, boxes, n_frames, width,
                                                    height):
                frame_no += 1
                writers.write(frame)
                if faces:
                    truth[frame_no] = faces
            if frame_no >= limits[-1]:
                break
    finally:
        writers.close()
    videos = []
    for m, vname, limit, path in zip(sorted(minutes), names, limits, writers.paths):
        frames = {str(f): fr for f, fr in truth.items() if f <= limit}
        people = sorted({f["label"] for fr in frames.values() for f in fr})
        videos.append(dict(
            name=vname, filepath=path.name, width=width, height=height, fps=fps,
            num_frames=limit, minutes=m, shots=[s for s in shots if s[1] <= limit],
            cast=[p.name for p in main], guests=[p.name for p in guest],
            extras=[p.name for p in extra], num_identities=len(people),
            num_tracks=len({f["index"] for fr in frames.values() for f in fr}),
            repeat=repeat, frames=frames))
    return videos
