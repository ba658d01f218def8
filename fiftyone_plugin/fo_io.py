"""FiftyOne side: field names, validation, bulk reads and writes, runs.

Every write is one ``set_values(..., key_field="id")`` call per field for the whole
collection, made only after all computing has finished.
"""
from __future__ import annotations

import numpy as np

from .tracking.tracks import FaceTable

# default field names and run keys (every one is a parameter)
FACES_FIELD = "frames.faces"
IDENTITIES_FIELD = "frames.identities"
SHOTS_FIELD = "shots"
GT_FIELD = "frames.gt_faces"
UNKNOWN = "unknown"
DEFAULT_RUN_KEY = "face_identities"
DEFAULT_EVAL_KEY = "identity_eval"
DEFAULT_ADAPT_KEY = "face_adaptation"
DEFAULT_VCT_KEY = "track_transformer"


def validate_videos(samples) -> None:
    """Raise a clear error unless ``samples`` is a non-empty video collection."""
    media_type = getattr(samples, "media_type", None)
    if media_type != "video":
        raise ValueError(
            f"{getattr(samples, 'name', 'this collection')!r} holds {media_type!r} media; face "
            "tracking needs a video dataset (e.g. fo.Dataset.from_videos([...])).")


def frame_field(path: str) -> str:
    """``"frames.faces"`` or ``"faces"`` -> ``"faces"`` (the frame-level name)."""
    if not path:
        raise ValueError("a field name is required")
    return path[len("frames."):] if path.startswith("frames.") else path


def require_detections_field(samples, path: str,
                             fix: str = "Run face detection first or pass the right field "
                                        "name.") -> str:
    """Check that frame field ``path`` exists and holds ``fo.Detections``; ``fix`` says
    what to do when it does not exist."""
    import fiftyone as fo

    name = frame_field(path)
    schema = samples.get_frame_field_schema() or {}
    if name not in schema:
        known = sorted(k for k, v in schema.items() if _is_detections(v, fo))
        raise ValueError(f"unknown frame field 'frames.{name}'; detection fields here: {known}. "
                         + fix)
    if not _is_detections(schema[name], fo):
        raise ValueError(f"'frames.{name}' is not an fo.Detections field")
    return name


# field.info[OWNER_KEY]: what this plugin wrote in a field ("faces", "shots",
# "identities", "ground_truth"); a field without it is the user's. dataset.info[INTENT_KEY]
# ({path: kind}) records a write begun, so a field a killed run left unmarked is ours too.
OWNER_KEY = "vfc_written"
INTENT_KEY = "vfc_writing"


def field_kind(samples, path: str) -> str | None:
    """What this plugin wrote (or began writing) in ``path``; None if not ours."""
    dataset = samples._dataset
    field = dataset.get_field(path)
    if field is None:
        return None
    kind = (field.info or {}).get(OWNER_KEY)
    return kind or ((dataset.info or {}).get(INTENT_KEY) or {}).get(path)


def begin_write(samples, path: str, kind: str) -> None:
    """Record, before writing ``path``, that this plugin is writing ``kind`` there."""
    dataset = samples._dataset
    info = dict(dataset.info or {})
    if (info.get(INTENT_KEY) or {}).get(path) != kind:
        info[INTENT_KEY] = dict(info.get(INTENT_KEY) or {}, **{path: kind})
        dataset.info = info
        dataset.save()


def mark_field(samples, path: str, kind: str) -> None:
    """Record that this plugin wrote ``kind`` in ``path`` (it may overwrite it later)."""
    field = samples._dataset.get_field(path)
    if field is not None and (field.info or {}).get(OWNER_KEY) != kind:
        field.info = dict(field.info or {}, **{OWNER_KEY: kind})
        field.save()


def check_output_field(samples, path: str, kind: str, inputs: tuple[str, ...] = (),
                       overwrite: bool = False) -> str:
    """An output frame field may be new, or a ``fo.Detections`` field this plugin wrote the
    same ``kind`` in before; never one of the call's ``inputs``. Any other existing field
    is replaced only with ``overwrite=True``."""
    import fiftyone as fo

    name = frame_field(path)
    if name in {frame_field(i) for i in inputs if i}:
        raise ValueError(f"'frames.{name}' is both an input and the output of this call: "
                         "choose another output field")
    schema = samples.get_frame_field_schema() or {}
    if name in schema and not _is_detections(schema[name], fo):
        raise ValueError(f"'frames.{name}' exists and is not an fo.Detections field; choose "
                         "another output field")
    _check_owner(samples, f"frames.{name}", name in schema, kind, overwrite)
    return name


def check_spans_field(samples, path: str, overwrite: bool = False, kind: str = "shots") -> str:
    """A sample field of spans (shots, tracks): new, or ``fo.TemporalDetections`` this
    plugin wrote the same ``kind`` in."""
    import fiftyone as fo

    field = samples.get_field_schema().get(path)
    if field is not None and getattr(field, "document_type", None) is not fo.TemporalDetections:
        raise ValueError(f"sample field '{path}' exists and does not hold "
                         f"fo.TemporalDetections; choose another {kind} field")
    _check_owner(samples, path, field is not None, kind, overwrite)
    return path


def _check_owner(samples, path: str, exists: bool, kind: str, overwrite: bool) -> None:
    if not exists or overwrite:
        return
    other = field_kind(samples, path)
    if other != kind:
        held = f" (it holds this plugin's {other})" if other else ""
        raise ValueError(f"'{path}' exists and was not written by this plugin's {kind} step"
                         f"{held}; choose another field, or pass overwrite=True (vfc: "
                         "--overwrite-fields) to replace it")


def _is_detections(field, fo) -> bool:
    return getattr(field, "document_type", None) is fo.Detections


def read_faces(samples, field: str, sizes: dict[str, tuple[int, int]]
               ) -> dict[str, tuple[FaceTable, list[str]]]:
    """Faces of every video as ``{sample_id: (FaceTable in pixels, detection ids)}``.

    ``sizes`` gives each video's ``(width, height)`` to turn relative boxes into pixels.
    """
    name = frame_field(field)
    base = f"frames.{name}.detections"
    ids, numbers, det_ids, boxes, scores, index, lms = samples.values(
        ["id", "frames.frame_number", f"{base}.id", f"{base}.bounding_box",
         f"{base}.confidence", f"{base}.index", f"{base}.landmarks"])
    out = {}
    for k, sid in enumerate(ids):
        w, h = sizes[sid]
        cols = {"frames": [], "boxes": [], "scores": [], "tracks": [], "landmarks": []}
        dids: list[str] = []
        has_lm = True
        for fn, fd, fb, fs, fi, fl in zip(numbers[k], det_ids[k], boxes[k], scores[k],
                                          index[k], lms[k]):
            for d, b, s, i, lm in zip(fd or [], fb or [], fs or [], fi or [], fl or []):
                x, y, bw, bh = b
                dids.append(str(d))
                cols["frames"].append(fn)
                cols["boxes"].append([x * w, y * h, (x + bw) * w, (y + bh) * h])
                cols["scores"].append(1.0 if s is None else s)
                cols["tracks"].append(-1 if i is None else i)
                if lm is None:
                    has_lm = False
                else:
                    cols["landmarks"].append([[px * w, py * h] for px, py in lm])
        table = FaceTable(
            frames=np.asarray(cols["frames"], np.int64),
            boxes=np.asarray(cols["boxes"], np.float32).reshape(-1, 4),
            scores=np.asarray(cols["scores"], np.float32),
            landmarks=np.asarray(cols["landmarks"], np.float32).reshape(-1, 5, 2)
            if has_lm else None,
            tracks=np.asarray(cols["tracks"], np.int64))
        out[sid] = (table, dids)
    return out


def faces_to_frames(table: FaceTable, det_ids: list[str], width: int, height: int,
                    labels: list[str] | None = None, quality: np.ndarray | None = None,
                    with_landmarks: bool = True) -> dict[int, "object"]:
    """``{frame_number: fo.Detections}`` with relative boxes, ``index`` = track id."""
    import fiftyone as fo
    from bson import ObjectId

    frames: dict[int, list] = {}
    scale = np.array([width, height, width, height], np.float64)
    for r in range(len(table)):
        x1, y1, x2, y2 = np.clip(table.boxes[r] / scale, 0.0, 1.0)
        kwargs = {}
        if with_landmarks and table.landmarks is not None:
            kwargs["landmarks"] = (table.landmarks[r] / scale[:2]).round(5).tolist()
        if quality is not None:
            kwargs["quality"] = float(quality[r])
        track = int(table.tracks[r])
        det = fo.Detection(
            label=labels[r] if labels is not None else "face",
            bounding_box=[float(x1), float(y1), float(x2 - x1), float(y2 - y1)],
            confidence=float(table.scores[r]), index=track if track >= 0 else None, **kwargs)
        det._id = ObjectId(det_ids[r])
        frames.setdefault(int(table.frames[r]), []).append(det)
    return {n: fo.Detections(detections=d) for n, d in frames.items()}


def write_frame_labels(samples, field: str, per_sample: dict[str, dict[int, object]],
                       kind: str) -> None:
    """Replace frame field ``field`` of the given videos in one bulk write and mark it as
    holding this plugin's ``kind``.

    Frames that had a value before and get none now are cleared, so a re-run never leaves
    stale labels behind.
    """
    import fiftyone as fo

    if not per_sample:
        return
    name = frame_field(field)
    view = samples.select(list(per_sample))
    values = dict(per_sample)
    exists = name in (samples.get_frame_field_schema() or {})
    if exists:
        ids, numbers, old = view.values(["id", "frames.frame_number", f"frames.{name}"])
        for sid, fns, olds in zip(ids, numbers, old):
            new = values.setdefault(sid, {})
            for fn, o in zip(fns, olds):
                if o is not None and fn not in new:
                    new[fn] = None
    values = {sid: v for sid, v in values.items() if v}
    begin_write(samples, f"frames.{name}", kind)
    if values:  # declares the field with its first values
        view.select(list(values)).set_values(f"frames.{name}", values, key_field="id",
                                             dynamic=True)
    elif not exists:
        # declare it even when nothing was found, so "no faces" reads as an empty result
        samples._dataset.add_frame_field(name, fo.EmbeddedDocumentField,
                                         embedded_doc_type=fo.Detections)
    mark_field(samples, f"frames.{name}", kind)


def shots_to_label(shots: list[tuple[int, int]]):
    import fiftyone as fo

    return fo.TemporalDetections(detections=[
        fo.TemporalDetection(label="shot", support=[int(a), int(b)], index=i)
        for i, (a, b) in enumerate(shots)])


def write_sample_labels(samples, field: str, per_sample: dict[str, object], kind: str) -> None:
    if per_sample:
        begin_write(samples, field, kind)
        samples.select(list(per_sample)).set_values(field, per_sample, key_field="id")
        mark_field(samples, field, kind)


def identity_label(k: int) -> str:
    return f"id_{k:03d}"


# Distinct on the App's dark background and on video (no greys, no near-black): one per
# identity, by its number, so a rename keeps its colour. Unknown faces are a light grey.
IDENTITY_COLORS = ("#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#42d4f4",
                   "#f032e6", "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324",
                   "#fffac8", "#aaffc3", "#ffd8b1", "#911eb4", "#a9a9ff", "#ff6f61")
UNKNOWN_COLOR = "#d0d0d0"


def show_identities(samples, field: str, labels: dict[str, str],
                    faces_field: str | None = None) -> None:
    """How the App shows an identities field: each label (``{label: identity id}``; None:
    not a person) in its identity's colour, and the raw faces field hidden by default (the
    two overlap); the rest of the dataset's colour scheme and sidebar stays."""
    import fiftyone as fo

    dataset = samples._dataset
    path = f"frames.{frame_field(field)}"
    colors = [{"value": UNKNOWN, "color": UNKNOWN_COLOR}] + [
        {"value": label, "color": UNKNOWN_COLOR if i is None
         else IDENTITY_COLORS[_number(i) % len(IDENTITY_COLORS)]}
        for label, i in sorted(labels.items())]
    scheme = dataset.app_config.color_scheme or fo.ColorScheme()
    scheme.fields = [f for f in (scheme.fields or []) if f.get("path") != path] + [
        {"path": path, "colorByAttribute": "label", "valueColors": colors}]
    if scheme.color_by is None:
        scheme.color_by = "value"
    dataset.app_config.color_scheme = scheme
    if faces_field:
        hidden = f"frames.{frame_field(faces_field)}"
        # the App's own default (label fields), less the faces; "exclude" lists would
        # show every primitive field on the thumbnails
        active = (dataset.app_config.active_fields
                  or fo.DatasetAppConfig.default_active_fields(dataset))
        if active.exclude:
            active.paths = [p for p in active.paths if p not in (hidden, path)] + [hidden]
        else:
            active.paths = [p for p in active.paths if p not in (hidden, path)] + [path]
        dataset.app_config.active_fields = active
    dataset.save()


def identity_colors(samples, field: str) -> dict[str, str]:
    """``{label: colour}`` the App uses for an identities field (:func:`show_identities`)."""
    scheme = samples._dataset.app_config.color_scheme
    path = f"frames.{frame_field(field)}"
    for entry in (scheme.fields or []) if scheme else []:
        if entry.get("path") == path:
            return {c["value"]: c["color"] for c in entry.get("valueColors") or []}
    return {}


def _number(identity: str) -> int:
    digits = "".join(c for c in identity if c.isdigit())
    return int(digits) if digits else 0


def save_identity_views(samples, field: str, run_key: str, labels: list[str]) -> list[str]:
    """One saved view ``<run_key>-<label>`` per identity (the frames where it appears);
    views of this run key from an earlier run are replaced."""
    from fiftyone import ViewField as F

    dataset = samples._dataset
    prefix = f"{run_key}-"
    for name in dataset.list_saved_views():
        if name.startswith(prefix):
            dataset.delete_saved_view(name)
    name_path = f"frames.{frame_field(field)}"
    names = []
    for label in labels:
        view = samples.filter_labels(name_path, F("label") == label)
        dataset.save_view(prefix + label, view, description=f"faces of {label} ({run_key})",
                          overwrite=True)
        names.append(prefix + label)
    return names
