"""What goes wrong, and what is left afterwards: bad inputs are refused before any work with
every problem listed, nothing is half-written, broken videos are reported, the face store
follows the dataset's id, and App forms cannot run code (issue 14)."""
import os
from pathlib import Path

import cv2
import pytest

fo = pytest.importorskip("fiftyone")
import fiftyone.operators as foo  # noqa: E402
from fiftyone.operators.executor import ExecutionError  # noqa: E402

from fiftyone_plugin import api  # noqa: E402
from fiftyone_plugin.api.checks import InvalidInputs  # noqa: E402
from fiftyone_plugin.video import VideoError  # noqa: E402

from .conftest import URI, add_videos as _videos  # noqa: E402


def _state(ds):
    """Schema, frames, labels, runs, views, tags and the dataset's face store."""
    root = api.face_store_root(ds)
    store = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) if root.exists() \
        else []
    frames = ds.count("frames")
    labels = ds.count("frames.faces.detections") if "faces" in (
        ds.get_frame_field_schema() or {}) else None
    return (sorted(ds.get_frame_field_schema() or {}), sorted(ds.get_field_schema()), frames,
            labels, ds.list_runs(), ds.list_saved_views(), ds.count_sample_tags(), store)


def _corrupt_in_the_middle(src: str, out: Path) -> str:
    """The video with a run of bytes zeroed at 40 %: it opens and its last frames decode,
    but reading stops there."""
    data = bytearray(Path(src).read_bytes())
    a, n = len(data) * 2 // 5, len(data) // 10
    data[a:a + n] = bytes(n)
    out.write_bytes(bytes(data))
    return str(out)


def _cut(src: str, out: Path, fraction: float = 0.5) -> str:
    data = Path(src).read_bytes()
    out.write_bytes(data[:int(len(data) * fraction)])
    return str(out)


@pytest.fixture(scope="module")
def avi_video(photos, tmp_path_factory) -> str:
    """75 frames of Obama in an MJPG AVI (a container that stays readable when damaged)."""
    from fixtures.videos import photo_frame

    path = tmp_path_factory.mktemp("avi") / "obama.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (320, 180))
    for i in range(75):
        writer.write(photo_frame(photos["obama"], x=0.45 + 0.002 * i))
    writer.release()
    return str(path)


# --- validate everything first ----------------------------------------------------------

def test_invalid_run_key_changes_nothing(dataset, two_shot_video):
    _videos(dataset, two_shot_video)
    before = _state(dataset)
    with pytest.raises(ValueError, match="run key 'my run' is not valid"):
        api.find_identities(dataset, run_key="my run")
    assert _state(dataset) == before


def test_a_user_field_of_another_type_is_refused_first(dataset, two_shot_video):
    _videos(dataset, two_shot_video)
    dataset.add_sample_field("shots", fo.StringField)
    dataset.set_values("shots", ["my notes"])
    before = _state(dataset)
    with pytest.raises(ValueError, match="'shots' exists and does not hold"):
        api.find_identities(dataset)
    assert _state(dataset) == before and dataset.values("shots") == ["my notes"]


def test_outputs_never_replace_inputs_or_user_fields_unless_asked(dataset, two_shot_video):
    _videos(dataset, two_shot_video)
    api.find_identities(dataset)
    user = {dataset.first().id: {1: fo.Detections(detections=[
        fo.Detection(label="Barack", bounding_box=[0.1, 0.1, 0.2, 0.2], index=0)])}}
    dataset.set_values("frames.gt_faces", user, key_field="id")
    before = _state(dataset)
    with pytest.raises(ValueError, match="both an input and the output"):
        api.cluster_faces(dataset, out_field="frames.faces")
    with pytest.raises(ValueError, match="not written by this plugin's identities step"):
        api.cluster_faces(dataset, out_field="frames.gt_faces")
    with pytest.raises(ValueError, match="holds this plugin's identities"):
        api.detect_faces(dataset, out_field="frames.identities")
    assert _state(dataset) == before
    assert dataset.distinct("frames.gt_faces.detections.label") == ["Barack"]
    # re-running into the plugin's own fields is fine; a user's field only when asked
    api.cluster_faces(dataset)
    api.cluster_faces(dataset, out_field="frames.gt_faces", run_key="mine", overwrite=True)
    assert "Barack" not in dataset.distinct("frames.gt_faces.detections.label")


def test_every_problem_is_listed_before_any_model_loads(dataset, two_shot_video, tmp_path,
                                                        monkeypatch):
    import fiftyone_plugin.api.faces as faces

    def no_models(*args, **kwargs):
        raise AssertionError("a model was loaded before the inputs were checked")

    monkeypatch.setattr(faces, "build_detector", no_models)
    empty = tmp_path / "zero.mp4"
    empty.write_bytes(b"")
    _videos(dataset, two_shot_video, two_shot_video, empty)
    dataset.add_sample_field("shots", fo.StringField)
    before = _state(dataset)
    with pytest.raises(InvalidInputs) as info:
        api.find_identities(dataset, run_key="no good", method="kmeans", skip_failures=False)
    problems = info.value.problems
    assert len(problems) == 4
    assert any("video 3 of 3" in p and "zero.mp4" in p for p in problems)
    assert any("run key" in p for p in problems)
    assert any("kmeans" in p for p in problems)
    assert any("'shots'" in p for p in problems)
    assert _state(dataset) == before


def test_a_video_cut_short_is_refused_before_work(dataset, avi_video, tmp_path):
    _videos(dataset, _cut(avi_video, tmp_path / "cut.avi"))
    before = _state(dataset)
    with pytest.raises(VideoError, match="cut short or corrupt"):
        api.find_identities(dataset)
    assert _state(dataset) == before


# --- decode errors -------------------------------------------------------------------

def test_a_video_corrupt_in_the_middle_is_reported_and_tagged(dataset, avi_video, tmp_path):
    bad = _corrupt_in_the_middle(avi_video, tmp_path / "mid.avi")
    _videos(dataset, avi_video, bad)
    summary = api.find_identities(dataset)
    [error] = summary["decode_errors"]
    assert error["filepath"] == bad and error["frames_read"] < 75
    assert f"{error['frames_read']} frames read" in error["error"]
    good, broken = dataset.values("id")
    assert dataset.count_sample_tags() == {"vfc:decode_error": 1}
    assert dataset[broken].tags == ["vfc:decode_error"] and dataset[good].tags == []
    # what was read is kept: faces on the frames before the damage
    frames = [n for n, f in zip(*dataset.select(broken).values(
        ["frames.frame_number", "frames.faces"])) for n, f in zip(n, f) if f is not None]
    assert frames and max(frames) <= error["frames_read"]
    # a rerun after replacing the file clears the tag
    dataset[broken].filepath = avi_video
    dataset[broken].save()
    assert api.find_identities(dataset)["decode_errors"] == []
    assert dataset.count_sample_tags() == {}


# --- vfc run ---------------------------------------------------------------------------

def test_vfc_run_adds_samples_only_after_they_validate(two_shot_video, tmp_path, capsys):
    from fiftyone_plugin.cli import main

    name = f"vfc-run-{os.getpid()}"
    zero = tmp_path / "zero.mp4"
    zero.write_bytes(b"")
    assert main(["run", str(zero), "--dataset", name]) == 2
    assert "zero.mp4" in capsys.readouterr().err and not fo.dataset_exists(name)
    assert main(["run", two_shot_video, "--dataset", name, "--stride", "2"]) == 0
    ds = fo.load_dataset(name)
    before = _state(ds)
    # a bad file later: refused, the dataset as it was
    assert main(["run", two_shot_video, str(zero), "--dataset", name]) == 2
    assert _state(ds) == before and len(ds) == 1
    # a run that fails its checks takes back the sample it added
    other = tmp_path / "copy.mp4"
    other.write_bytes(Path(two_shot_video).read_bytes())
    ds.add_sample_field("shots_other", fo.StringField)
    assert main(["run", str(other), "--dataset", name, "--method", "hac_k"]) == 1
    assert len(ds) == 1 and "needs n_clusters" in capsys.readouterr().err
    ds.delete()


# --- the face store follows the dataset's id --------------------------------------------

def test_store_survives_a_rename_and_a_clone_says_what_to_do(dataset, two_shot_video):
    _videos(dataset, two_shot_video)
    api.find_identities(dataset)
    root = api.face_store_root(dataset)
    assert root.name == str(dataset._doc.id) and root.is_dir()
    before = dataset.distinct("frames.identities.detections.label")
    dataset.name = f"renamed-{os.getpid()}"
    assert api.face_store_root(dataset) == root
    api.cluster_faces(dataset)
    assert dataset.distinct("frames.identities.detections.label") == before
    clone = dataset.clone()
    try:
        with pytest.raises(FileNotFoundError, match="cloned or copied") as info:
            api.cluster_faces(clone)
        assert "find_identities" in str(info.value) and str(root) in str(info.value)
        assert api.cluster_faces(clone, store_dir=str(root))["num_identities"] == len(before)
    finally:
        clone.delete()


@pytest.mark.parametrize("name", ["../../vfc-escape", "/tmp/vfc-abs-name"])
def test_dataset_names_never_become_paths(two_shot_video, name):
    from fiftyone_plugin.assets import cache_dir

    ds = fo.Dataset(f"{name}-{os.getpid()}")
    try:
        _videos(ds, two_shot_video)
        api.find_identities(ds, frame_stride=3)
        root = api.face_store_root(ds)
        assert root.parent == cache_dir() / "stores" and root.name == str(ds._doc.id)
        assert not (cache_dir() / "stores" / ds.name).exists()
        assert not Path(ds.name).exists()
    finally:
        ds.delete()


# --- no code from a form ------------------------------------------------------------------

def test_a_form_cannot_name_a_config_outside_the_allowed_folders(dataset, two_shot_video,
                                                                 tmp_path):
    from fiftyone_plugin.operators.paths import PLUGIN_NAME

    marker = tmp_path / "ran"
    config = tmp_path / "evil.py"
    config.write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    _videos(dataset, two_shot_video)
    before = _state(dataset)
    for op, params in (("detect_faces", dict(detector_config=str(config))),
                       ("find_identities", dict(detector_checkpoint=str(config))),
                       ("adapt_faces", dict(config=str(config)))):
        with pytest.raises(ExecutionError, match="outside the directories a form may use"):
            foo.execute_operator(f"{URI}/{op}", ctx=dict(dataset=dataset, params=params))
    assert not marker.exists() and _state(dataset) == before
    # the administrator allows a folder: the form may name configs there
    fo.app_config.plugins[PLUGIN_NAME] = {"config_dirs": [str(tmp_path)]}
    try:
        from fiftyone_plugin.operators.paths import form_path

        assert form_path(str(config), "config") == str(config.resolve())
        assert form_path("mmcfg/detectors/yunet_n_2023mar_widerface.py", "config")
    finally:
        fo.app_config.plugins.pop(PLUGIN_NAME)


def test_checkpoints_load_weights_only(tmp_path):
    import torch

    from fiftyone_plugin.adaptation.runner import trusted_checkpoints

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    torch.save({"state_dict": {}, "x": Payload()}, tmp_path / "evil.pth")
    with pytest.raises(RuntimeError, match="cannot be loaded safely"), trusted_checkpoints():
        torch.load(tmp_path / "evil.pth")
    assert not (tmp_path / "ran").exists()
    assert "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD" not in os.environ


# --- per-video commit, resume, crashes ---------------------------------------------------

def test_batch_keeps_good_videos_and_a_rerun_does_only_the_fixed_one(dataset, two_shot_video,
                                                                     carphone, avi_video,
                                                                     tmp_path):
    broken = _cut(avi_video, tmp_path / "third.avi")
    _videos(dataset, two_shot_video, carphone, broken)
    first = api.find_identities(dataset, frame_stride=2)
    [failed] = first["failed"]
    assert failed["filepath"] == broken and "cut short or corrupt" in failed["error"]
    a, b, c = dataset.values("id")
    assert first["num_videos"] == 2 and first["num_identities"] == 3  # Obama, Biden, man
    assert dataset.count_sample_tags() == {"vfc:failed": 1} and dataset[c].tags == ["vfc:failed"]
    assert dataset.select(c).count("frames.identities.detections") == 0
    root = api.face_store_root(dataset)
    kept = {sid: (root / sid / "faces.npz").stat().st_mtime_ns for sid in (a, b)}
    det_ids = dataset.select([a, b]).values("frames.faces.detections.id", unwind=True)
    Path(broken).write_bytes(Path(avi_video).read_bytes())  # the user fixes the file
    second = api.find_identities(dataset, frame_stride=2)
    assert second["resumed"] == 2 and second["failed"] == [] and second["num_videos"] == 3
    assert {sid: (root / sid / "faces.npz").stat().st_mtime_ns for sid in (a, b)} == kept
    assert dataset.select([a, b]).values("frames.faces.detections.id", unwind=True) == det_ids
    assert dataset.count_sample_tags() == {}
    assert dataset.select(c).count("frames.identities.detections") > 0
    # other settings: every video again
    assert api.find_identities(dataset, frame_stride=3)["resumed"] == 0


def _content(ds):
    """What a run leaves, without its random ids."""
    fields = ["filepath", "tags", "frames.frame_number", "frames.faces.detections.bounding_box",
              "frames.faces.detections.index", "frames.identities.detections.label",
              "shots.detections.support"]
    values = ds.values(fields)
    rounded = [[[[round(x, 4) for x in b] for b in (fr or [])] for fr in vid]
               for vid in values[3]]
    return (sorted(ds.get_frame_field_schema() or {}), sorted(ds.get_field_schema()),
            ds.count("frames"), values[:3], rounded, values[4:], ds.list_runs(),
            ds.list_saved_views(), ds.load_run_results(api.DEFAULT_RUN_KEY).num_identities)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["video-stored#2", "video-faces-written#2",
                                   "identities-written"])
def test_a_run_killed_before_during_or_after_its_writes_resumes_to_the_same_result(
        two_shot_video, carphone, point, tmp_path):
    import subprocess
    import sys

    from .conftest import ROOT

    names = [f"vfc-crash-{os.getpid()}-{k}" for k in range(2)]
    reference, killed = (_videos(fo.Dataset(n, persistent=True), two_shot_video, carphone)
                         for n in names)
    try:
        api.find_identities(reference, frame_stride=2)
        script = ("import fiftyone as fo; from fiftyone_plugin import api; "
                  f"api.find_identities(fo.load_dataset({killed.name!r}), frame_stride=2)")
        env = dict(os.environ, PYTHONPATH=str(ROOT), VFC_KILL_AT=point)
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == -9, done.stderr[-2000:]
        killed.reload()
        summary = api.find_identities(killed, frame_stride=2)
        assert summary["resumed"] == (1 if point.startswith("video") else 2)
        assert _content(killed) == _content(reference)
        root = api.face_store_root(killed)
        assert not list(root.glob(".*.tmp"))  # the killed writer's folder is gone
    finally:
        for n in names:
            fo.delete_dataset(n)


def test_stale_writer_folders_are_removed_and_live_ones_kept(tmp_path):
    from fiftyone_plugin.embedding.store import FaceStoreWriter, remove_stale_tmp

    live = FaceStoreWriter(tmp_path, "video_a")  # this process: alive
    dead = tmp_path / ".video_b.999999999-0123abcd.tmp"  # no such process
    old_style = tmp_path / ".video_c.0123abcd.tmp"  # an earlier version's name
    for d in (dead, old_style):
        (d / "sub").mkdir(parents=True)
    assert sorted(p.name for p in remove_stale_tmp(tmp_path)) == sorted(
        [dead.name, old_style.name])
    assert live.tmp.is_dir() and not dead.exists() and not old_style.exists()
    live.abort()


def test_store_and_dataset_that_disagree_say_what_to_run(dataset, two_shot_video):
    _videos(dataset, two_shot_video)
    api.find_identities(dataset, frame_stride=2)
    api.detect_faces(dataset, frame_stride=2)  # new faces, new ids: the store is stale
    before = _state(dataset)
    with pytest.raises(ValueError, match="(?i)run embed_faces"):
        api.cluster_faces(dataset)
    with pytest.raises(ValueError, match="run embed_faces"):
        api.adapt_faces(dataset)
    assert _state(dataset) == before
    api.track_faces(dataset)
    api.embed_faces(dataset)
    assert api.cluster_faces(dataset)["num_identities"] == 2


@pytest.mark.slow
def test_a_killed_delegated_run_is_found_marked_failed_and_rerun(two_shot_video, carphone):
    """What the README says to do: `fiftyone delegated list` shows it RUNNING forever,
    `fiftyone delegated fail ID` then `fiftyone delegated rerun ID`; the rerun resumes."""
    import subprocess
    import sys

    from fiftyone.operators.delegated import DelegatedOperationService

    from .conftest import ROOT

    service = DelegatedOperationService()
    ds = _videos(fo.Dataset(f"vfc-delegated-{os.getpid()}", persistent=True), two_shot_video,
                 carphone)
    try:
        foo.execute_operator(f"{URI}/find_identities", ctx=dict(
            dataset=ds, params=dict(frame_stride=2)), request_delegation=True)
        worker = ("from fiftyone.operators.delegated import DelegatedOperationService as S; "
                  f"S().execute_queued_operations(dataset_name={ds.name!r})")
        env = dict(os.environ, PYTHONPATH=str(ROOT), VFC_KILL_AT="video-faces-written#2")
        done = subprocess.run([sys.executable, "-c", worker], env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == -9, done.stderr[-2000:]
        [running] = service.get_running_operations(dataset_name=ds.name)
        first = ds.first().id
        kept = (api.face_store_root(ds) / first / "faces.npz").stat().st_mtime_ns
        service.set_failed(running.id)
        service.rerun_operation(running.id)
        service.execute_queued_operations(dataset_name=ds.name)
        states = sorted(o.run_state for o in service.list_operations(dataset_name=ds.name))
        assert states == ["completed", "failed"]
        ds.reload()
        assert (api.face_store_root(ds) / first / "faces.npz").stat().st_mtime_ns == kept
        assert ds.load_run_results(api.DEFAULT_RUN_KEY).num_identities == 3
    finally:
        service.delete_for_dataset(ds._doc.id)
        ds.delete()
