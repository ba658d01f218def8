"""Integration tests on real FiftyOne datasets (real MongoDB) built from small videos."""
import numpy as np
import pytest
import yaml

fo = pytest.importorskip("fiftyone")
import fiftyone.operators as foo  # noqa: E402

from fiftyone_plugin import api  # noqa: E402
from fiftyone_plugin.embedding.store import FaceStore  # noqa: E402
from fiftyone_plugin.pipeline import DEFAULT_EMBED_STRIDE  # noqa: E402
from fiftyone_plugin.video import VideoError  # noqa: E402

from .conftest import ROOT, URI, add_videos as _video_dataset  # noqa: E402


def _snapshot(ds):
    frames = ds.count("frames") if ds.media_type == "video" else 0
    return (sorted(ds.get_frame_field_schema() or {}), sorted(ds.get_field_schema()),
            frames, ds.list_runs())


def test_manifest_lists_every_registered_operator_and_panel():
    from fiftyone_plugin.operators import OPERATORS
    from fiftyone_plugin.panels import PANELS

    manifest = yaml.safe_load((ROOT / "fiftyone_plugin" / "fiftyone.yml").read_text())
    assert manifest["operators"] == [op().config.name for op in OPERATORS]
    assert manifest["panels"] == [panel().config.name for panel in PANELS]
    assert all(op().config.allow_delegated_execution for op in OPERATORS)


def test_find_identities_operator_immediate(dataset, two_shot_video, carphone):
    _video_dataset(dataset, two_shot_video, carphone)
    foo.execute_operator(f"{URI}/find_identities", ctx=dict(dataset=dataset, params={}))
    # faces have track ids
    indices = dataset.values("frames.faces.detections.index", unwind=True)
    assert len(indices) > 0 and None not in indices
    assert dataset.count("frames.faces.detections") == 12 + 2 * 12 + 120
    # shots: two in the synthetic clip, one in carphone
    assert [len(s.detections) for s in dataset.values("shots")] == [2, 1]
    # identities: Obama (2 tracks, 2 photos), Biden, carphone man
    labels = dataset.distinct("frames.identities.detections.label")
    assert labels == ["id_000", "id_001", "id_002"]
    results = dataset.load_run_results(api.DEFAULT_RUN_KEY)
    assert results.num_identities == 3
    first = dataset.first()
    a = results.assignments[first.id]
    assert len(a) == 3 and len(set(a.values())) == 2  # 3 tracks, 2 people
    def boxes(field):
        return sorted(tuple(b) for vid in dataset.values(f"frames.{field}.detections.bounding_box")
                      for fr in vid for b in (fr or []))

    np.testing.assert_allclose(boxes("faces"), boxes("identities"))  # identities mirror faces
    # some faces of each track are embedded (stride 10: a 12-face track's 1st, 2nd, 3rd,
    # 5th, 9th and 11th); every face has a crop
    assert DEFAULT_EMBED_STRIDE == 10
    store = FaceStore(api.face_store_root(dataset), first.id)
    embedded = np.isfinite(store.embeddings[:, 0])
    assert len(store.crops()) == len(embedded) == 12 + 2 * 12
    assert np.bincount(store.arrays["tracks"]).tolist() == [12, 12, 12]  # all usable
    assert embedded.sum() == 3 * 6


def test_stage_operators_delegated(dataset, two_shot_video):
    from fiftyone.operators.delegated import DelegatedOperationService

    _video_dataset(dataset, two_shot_video)
    for op, params in (("detect_faces", {}), ("track_faces", {}), ("embed_faces", {}),
                       ("cluster_faces", {"out_field": "frames.people"})):
        queued = foo.execute_operator(f"{URI}/{op}", ctx=dict(dataset=dataset, params=params),
                                      request_delegation=True)
        assert queued.delegated
        # one at a time: the local executor does not promise FIFO order
        DelegatedOperationService().execute_queued_operations(dataset_name=dataset.name)
    failed = [o.result.error for o in DelegatedOperationService().list_operations(
        dataset_name=dataset.name) if o.run_state != "completed"]
    assert not failed, failed
    dataset.reload()
    assert dataset.count("frames.faces.detections") == 36
    assert len(dataset.distinct("frames.faces.detections.index")) == 3
    assert all(q > 0 for q in dataset.values("frames.faces.detections.quality", unwind=True))
    assert dataset.distinct("frames.people.detections.label") == ["id_000", "id_001"]


def test_rerun_replaces_labels(dataset, two_shot_video):
    _video_dataset(dataset, two_shot_video)
    api.detect_faces(dataset)
    api.detect_faces(dataset, frame_stride=2)
    # odd frames only now: stale labels on even frames were cleared
    numbers = dataset.values("frames.frame_number", unwind=True)
    faces = dataset.values("frames.faces", unwind=True)
    with_faces = [n for n, f in zip(numbers, faces) if f is not None and f.detections]
    assert with_faces and all(n % 2 == 1 for n in with_faces)


def test_image_dataset_is_rejected_unchanged(dataset, tmp_path):
    import cv2

    img = tmp_path / "a.jpg"
    cv2.imwrite(str(img), np.zeros((8, 8, 3), np.uint8))
    dataset.add_sample(fo.Sample(filepath=str(img)))
    before = _snapshot(dataset)
    with pytest.raises(ValueError, match="video dataset"):
        api.find_identities(dataset)
    assert _snapshot(dataset) == before


def test_missing_video_is_skipped_or_stops_a_strict_run(dataset, two_shot_video, tmp_path):
    _video_dataset(dataset, two_shot_video, str(tmp_path / "gone.mp4"))
    before = _snapshot(dataset)
    with pytest.raises(VideoError, match="not found"):
        api.find_identities(dataset, skip_failures=False)
    assert _snapshot(dataset) == before
    summary = api.find_identities(dataset)
    [failed] = summary["failed"]
    assert "not found" in failed["error"] and failed["filepath"].endswith("gone.mp4")
    assert summary["num_videos"] == 1 and summary["num_identities"] == 2
    assert dataset.count_sample_tags() == {"vfc:failed": 1}


def test_video_without_faces_gives_empty_result(dataset, blank_video):
    _video_dataset(dataset, blank_video)
    summary = api.find_identities(dataset)
    assert summary["num_faces"] == 0 and summary["num_identities"] == 0
    assert dataset.count("frames.identities.detections") == 0


def test_unknown_field_is_a_clear_error(dataset, two_shot_video):
    _video_dataset(dataset, two_shot_video)
    before = _snapshot(dataset)
    with pytest.raises(ValueError, match="unknown frame field 'frames.nope'"):
        api.track_faces(dataset, in_field="frames.nope")
    with pytest.raises(ValueError, match="unknown frame field"):
        api.cluster_faces(dataset, in_field="nope")
    assert _snapshot(dataset) == before


def _ground_truth_from_layout(ds):
    """Label the detected faces of ``two_shot_video`` by where the people stand: Obama alone
    in shot 1 (frames 1-12), Biden left and Obama (another photo) right in shot 2."""
    per_frame = {}
    numbers, faces = ds.values(["frames.frame_number", "frames.faces"])
    for fn, f in zip(numbers[0], faces[0]):
        if f is None:
            continue
        out = []
        for d in f.detections:
            left = d.bounding_box[0] + d.bounding_box[2] / 2 < 0.5
            name, track = ("biden", 1) if fn > 12 and left else ("obama", 0 if fn <= 12 else 2)
            out.append(fo.Detection(label=name, bounding_box=d.bounding_box, index=track))
        per_frame[fn] = fo.Detections(detections=out)
    ds.set_values("frames.gt_faces", {ds.first().id: per_frame}, key_field="id")


def test_cluster_and_evaluate_operators_store_comparable_runs(dataset, two_shot_video, capsys):
    _video_dataset(dataset, two_shot_video)
    for op in ("detect_faces", "track_faces", "embed_faces"):
        foo.execute_operator(f"{URI}/{op}", ctx=dict(dataset=dataset, params={}))
    _ground_truth_from_layout(dataset)
    runs = {"hac_threshold": dict(method="hac_threshold"),
            "hac_k3": dict(method="hac_k", n_clusters=3)}
    for key, params in runs.items():
        foo.execute_operator(f"{URI}/cluster_faces", ctx=dict(dataset=dataset, params=dict(
            params, out_field=f"frames.{key}", run_key=key)))
        foo.execute_operator(f"{URI}/evaluate_identities", ctx=dict(dataset=dataset, params=dict(
            pred_field=f"frames.{key}", eval_key=f"eval_{key}")))
    # the same from Python, through the operator's typed __call__
    cluster = foo.get_operator(f"{URI}/cluster_faces")
    cluster(dataset, method="hac_k", n_clusters=2, out_field="frames.sdk", run_key="sdk",
            save_views=False)
    assert dataset.get_run_info("sdk").config.n_clusters == 2
    assert len(dataset.distinct("frames.sdk.detections.label")) == 2
    assert {"hac_threshold", "hac_k3", "eval_hac_threshold", "eval_hac_k3"} <= set(
        dataset.list_runs())
    good = dataset.load_run_results("eval_hac_threshold")
    assert good.track["num_true"] == 2 and good.track["num_predicted"] == 2
    assert good.track["nmi"] == 1.0 and good.frame["bcubed_f"] == 1.0 and good.coverage == 1.0
    split = dataset.load_run_results("eval_hac_k3")
    assert split.track["num_predicted"] == 3 and split.track["wcp"] == 1.0
    assert split.track["nmi"] < 1.0 and split.frame["cluster_count_diff"] == 1
    assert split.c_dif == 1 and good.c_dif == 0 and list(split.per_video) == [dataset.first().id]
    scoped = api.evaluate_identities(dataset, pred_field="frames.hac_k3", eval_key="scoped",
                                     per_video=True)  # one video: the same numbers
    assert scoped["track"]["nmi"] == split.track["nmi"]
    verdicts = dataset.distinct("frames.hac_k3.detections.eval_hac_k3")
    assert verdicts == ["correct", "wrong"]  # the split-off Obama track is "wrong"
    assert dataset.get_run_info("hac_k3").config.method == "hac_k"
    # one saved view per identity, and identities coloured by label in the App
    assert sorted(v for v in dataset.list_saved_views() if v.startswith("hac_k3-")) == [
        "hac_k3-id_000", "hac_k3-id_001", "hac_k3-id_002"]
    view = dataset.load_saved_view("hac_k3-id_000")
    assert view.distinct("frames.hac_k3.detections.label") == ["id_000"]
    paths = [f["path"] for f in dataset.app_config.color_scheme.fields]
    assert "frames.hac_k3" in paths and "frames.hac_threshold" in paths
    # runs listed side by side
    from fiftyone_plugin.cli import main

    assert main(["runs", "--dataset", dataset.name]) == 0
    table = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(table) if line.startswith("run "))
    rows = {line.split()[0]: line.split() for line in table[start + 1:] if line.strip()}
    assert rows["hac_k3"][1] == "cluster" and rows["hac_k3"][-1] == "3"
    assert rows["eval_hac_threshold"][1] == "evaluate" and rows["eval_hac_threshold"][-1] == "1.000"
    assert main(["evaluate", "--dataset", dataset.name, "--pred-field", "frames.hac_k3",
                 "--eval-key", "cli_eval"]) == 0
    assert "#C DIF 1 over 1 videos" in capsys.readouterr().out
    # runs own what they wrote: renaming moves it along, deleting removes it
    dataset.rename_run("eval_hac_k3", "eval_split")
    assert dataset.distinct("frames.hac_k3.detections.eval_split") == ["correct", "wrong"]
    assert not dataset.has_frame_field("hac_k3.detections.eval_hac_k3")
    dataset.rename_run("hac_k3", "split3")
    assert sorted(v for v in dataset.list_saved_views() if v.startswith("split3-")) == [
        "split3-id_000", "split3-id_001", "split3-id_002"]
    assert not any(v.startswith("hac_k3-") for v in dataset.list_saved_views())
    dataset.delete_run("eval_split")
    assert not dataset.has_frame_field("hac_k3.detections.eval_split")
    assert dataset.has_frame_field("hac_k3")
    dataset.delete_run("split3")
    assert not dataset.has_frame_field("hac_k3")
    assert not any(v.startswith("split3-") for v in dataset.list_saved_views())
    assert dataset.has_frame_field("hac_threshold") and "hac_threshold-id_000" in \
        dataset.list_saved_views()
    # a key of another kind of run is refused before any work
    with pytest.raises(ValueError, match="another kind"):
        api.cluster_faces(dataset, run_key="eval_hac_threshold")
    with pytest.raises(ValueError, match="not valid"):
        api.cluster_faces(dataset, run_key="my run")


def test_evaluate_needs_overlapping_ground_truth(dataset, two_shot_video):
    _video_dataset(dataset, two_shot_video)
    api.detect_faces(dataset)
    # no ground truth yet: the error says where it comes from, not "run face detection"
    with pytest.raises(ValueError, match="vfc import FORMAT") as info:
        api.evaluate_identities(dataset, pred_field="frames.faces")
    assert "face detection" not in str(info.value)
    dataset.set_values("frames.gt_faces", {dataset.first().id: {1: fo.Detections(detections=[
        fo.Detection(label="x", bounding_box=[0.9, 0.9, 0.05, 0.05], index=0)])}},
        key_field="id")
    before = _snapshot(dataset)
    with pytest.raises(ValueError, match="overlaps a ground-truth face"):
        api.evaluate_identities(dataset, pred_field="frames.faces")
    assert _snapshot(dataset) == before
    with pytest.raises(ValueError, match="needs n_clusters"):
        api.cluster_faces(dataset, method="hac_k")
    with pytest.raises(ValueError, match="unknown clustering method"):
        api.cluster_faces(dataset, method="kmeans")
    assert _snapshot(dataset) == before


def test_import_easycom_and_bbt_onto_videos(dataset, tmp_path):
    from fiftyone_plugin.datasets import import_bbt_buffy, import_easycom

    from fixtures import formats as ff
    from fixtures.videos import write_video

    ff.easycom(tmp_path / "easycom")
    summary = import_easycom(dataset, tmp_path / "easycom", splits=["val"])
    assert summary["segments"] == 2 and summary["tracks"] == 5
    assert len(summary["missing_boxes"]) == 1  # the segment without JSON is reported
    assert dataset.distinct("tags") == ["val"] and dataset.distinct("session") == [4]
    assert dataset.count("frames.gt_faces.detections") == summary["faces"]
    first = dataset.match(fo.ViewField("segment") == "00-00-000").first()
    box = first.frames[1].gt_faces.detections[0].bounding_box
    np.testing.assert_allclose(box, [4 / 64, 10 / 48, 16 / 64, 20 / 48])
    assert first.frames[3].gt_faces is None  # the unannotated frame stays empty
    with pytest.raises(ValueError, match="no EasyCom segment"):
        import_easycom(dataset, tmp_path / "easycom", splits=["test"])

    bbt = fo.Dataset()
    try:
        ff.bauml_mat(tmp_path / "ep1.facetracks.mat")
        ff.castlist(tmp_path / "ep1.cast", ["leonard", "sheldon"])
        ff.bauml_mat(tmp_path / "ep2.facetracks.mat")  # its video is absent
        write_video(tmp_path / "ep1.mp4", [np.zeros((36, 64, 3), np.uint8)] * 6)
        out = import_bbt_buffy(bbt, tmp_path, tmp_path, castlist_dir=tmp_path)
        assert out["episodes"] == 1 and out["missing_videos"] == ["ep2"]
        assert sorted(bbt.distinct("frames.gt_faces.detections.label")) == [
            "leonard", "sheldon", "unknown_9"]
        assert sorted(bbt.distinct("frames.gt_faces.detections.index")) == [11, 12, 13]
        x, _, w, _ = bbt.first().frames[1].gt_faces.detections[0].bounding_box
        assert (x, w) == pytest.approx((200 / 1024, 100 / 1024))
    finally:
        bbt.delete()


def test_importers_are_fiftyone_dataset_types_and_an_operator(dataset, tmp_path):
    from fiftyone_plugin.datasets import IMPORTERS, BBTBuffyDataset, EasyComDataset

    from fixtures import formats as ff
    from fixtures.videos import write_video

    assert sorted(IMPORTERS) == ["bbt-buffy", "easycom"]
    ff.easycom(tmp_path / "easycom")
    ds = fo.Dataset.from_dir(str(tmp_path / "easycom"), dataset_type=EasyComDataset,
                             splits=["val"])
    try:
        assert len(ds) == 2 and ds.distinct("tags") == ["val"]
        assert ds.count("frames.gt_faces.detections") > 0 and ds.distinct("session") == [4]
    finally:
        ds.delete()
    ff.bauml_mat(tmp_path / "ep1.facetracks.mat")
    write_video(tmp_path / "ep1.mp4", [np.zeros((36, 64, 3), np.uint8)] * 6)
    ds = fo.Dataset.from_dir(str(tmp_path), dataset_type=BBTBuffyDataset,
                             video_dir=str(tmp_path))
    try:
        assert ds.distinct("episode") == ["ep1"]
        assert sorted(ds.distinct("frames.gt_faces.detections.index")) == [11, 12, 13]
    finally:
        ds.delete()
    # the operator imports into the current dataset; a bad folder changes nothing
    with pytest.raises(Exception, match="no EasyCom segment|does not exist"):
        foo.execute_operator(f"{URI}/import_ground_truth", ctx=dict(dataset=dataset, params=dict(
            format="easycom", dataset_dir=str(tmp_path / "nope"))))
    assert len(dataset) == 0
    foo.execute_operator(f"{URI}/import_ground_truth", ctx=dict(dataset=dataset, params=dict(
        format="easycom", dataset_dir=str(tmp_path / "easycom"), splits="val")))
    assert len(dataset) == 2 and dataset.count("frames.gt_faces.detections") > 0


def test_cli_cluster_evaluate_and_import(dataset, tmp_path, capsys):
    from fiftyone_plugin.cli import main

    from fixtures import formats as ff

    ff.easycom(tmp_path / "easycom")
    name = f"{dataset.name}-cli"
    assert main(["import", "easycom", "--dataset-dir", str(tmp_path / "easycom"),
                 "--dataset", name, "--splits", "val"]) == 0
    assert "'videos': 2" in capsys.readouterr().out
    assert main(["import", "bbt-buffy", "--dataset-dir", str(tmp_path), "--dataset", name]) == 1
    assert "needs video_dir" in capsys.readouterr().err
    assert main(["import", "bbt-buffy", "--dataset-dir", str(tmp_path), "--dataset", name,
                 "--splits", "val"]) == 1
    assert "--splits is not an option of bbt-buffy" in capsys.readouterr().err
    assert main(["cluster", "--dataset", "no-such-dataset"]) == 1
    assert "no dataset named" in capsys.readouterr().err
    fo.delete_dataset(name)


@pytest.fixture
def forms_may_use(tmp_path):
    """The App config allows forms to name config files under ``tmp_path``."""
    from fiftyone_plugin.operators.paths import PLUGIN_NAME

    fo.app_config.plugins[PLUGIN_NAME] = {"config_dirs": [str(tmp_path)]}
    yield tmp_path
    fo.app_config.plugins.pop(PLUGIN_NAME)


@pytest.mark.slow
def test_adapt_then_cluster_with_learned_distance(dataset, two_shot_video, tmp_path,
                                                  forms_may_use):
    from fiftyone_plugin.adaptation.train import DEFAULT_CONFIG

    _video_dataset(dataset, two_shot_video)
    api.find_identities(dataset)
    _ground_truth_from_layout(dataset)
    with pytest.raises(FileNotFoundError, match="no 'adapted' embeddings"):
        api.cluster_faces(dataset, embeddings="adapted", distance="loss",
                          out_field="frames.vcn")
    with pytest.raises(ValueError, match="'parameter_free' only"):
        api.cluster_faces(dataset, method="finch", distance="loss", out_field="frames.vcn")
    # a user's config on top of the shipped one, as OpenMMLab users write them
    config = tmp_path / "vcn_sface_tiny.py"
    config.write_text(
        f"_base_ = ['{DEFAULT_CONFIG}']\n"
        "model = dict(neck=dict(hidden_channels=64, bottleneck_channels=32, "
        "out_channels=128))\n"
        "train_dataloader = dict(batch_size=4, num_workers=0)\n"
        "train_cfg = dict(max_iters=8)\n"
        "custom_hooks = [dict(type='TrackMatchingHook', warmup_iters=4, iters_per_round=4,"
        " faces_per_track=4), dict(type='FaceEmbeddingExportHook')]\n")
    frames_before = sorted(dataset.get_frame_field_schema())
    foo.execute_operator(f"{URI}/adapt_faces", ctx=dict(dataset=dataset, params=dict(
        config=str(config))))
    assert sorted(dataset.get_frame_field_schema()) == frames_before  # labels untouched
    run = dataset.load_run_results("face_adaptation")
    assert run.iterations == 8 and run.num_tracks >= 2
    summary = api.cluster_faces(dataset, embeddings="adapted", distance="loss",
                                out_field="frames.vcn", run_key="vcn")
    assert summary["num_identities"] >= 1
    assert dataset.get_run_info("vcn").config.distance == "loss"
    report = api.evaluate_identities(dataset, pred_field="frames.vcn", eval_key="eval_vcn")
    assert report["track"]["wcp"] == 1.0  # never merges Obama with Biden (they share frames)
    from fiftyone_plugin.cli import main

    assert main(["cluster", "--dataset", dataset.name, "--embeddings", "adapted",
                 "--method", "c1c", "--out-field", "frames.c1c_adapted",
                 "--run-key", "c1c_adapted"]) == 0
    assert dataset.get_run_info("c1c_adapted").config.embeddings == "adapted"
    # `vfc adapt --cluster` clusters the adapted embeddings by cosine unless told otherwise
    assert main(["adapt", "--dataset", dataset.name, "--config", str(config), "--name",
                 "adapted_cli", "--cluster"]) == 0
    info = dataset.get_run_info(api.DEFAULT_RUN_KEY).config
    assert (info.embeddings, info.distance) == ("adapted_cli", "cosine")
    assert api.evaluate_identities(dataset, eval_key="eval_cli")["track"]["wcp"] == 1.0


@pytest.mark.slow
def test_track_embeddings_operator_and_cli_feed_clustering(dataset, two_shot_video,
                                                           blank_video, tmp_path, capsys,
                                                           forms_may_use):
    from fiftyone_plugin.adaptation.train import REPO_CONFIGS

    _video_dataset(dataset, two_shot_video, blank_video)  # the blank one has no track
    api.find_identities(dataset)
    _ground_truth_from_layout(dataset)
    small = {"train_cfg.max_iters": 6, "train_dataloader.batch_size": 4,
             "model.encoder.num_layers": 1}
    config = tmp_path / "vct_tiny.py"
    config.write_text(f"_base_ = ['{REPO_CONFIGS / 'vct_videocentral_sface_200it_pervideo.py'}']\n"
                      "train_cfg = dict(max_iters=6)\n"
                      "train_dataloader = dict(batch_size=4)\n"
                      "model = dict(encoder=dict(num_layers=1))\n")
    frames_before = sorted(dataset.get_frame_field_schema())
    foo.execute_operator(f"{URI}/learn_track_embeddings", ctx=dict(dataset=dataset, params=dict(
        config=str(config))))
    assert sorted(dataset.get_frame_field_schema()) == frames_before  # labels untouched
    run = dataset.load_run_results(api.DEFAULT_VCT_KEY)
    assert run.num_videos == 2 and run.num_tracks == 3 and run.iterations == 6
    store = FaceStore(api.face_store_root(dataset), dataset.first().id)
    emb, meta = store.read_embeddings("vct")
    assert meta["objective"] == "video_centralised" and np.isfinite(emb).all()
    # every method clusters the track vectors; tracks sharing a frame stay apart
    for method in ("parameter_free", "hac_k"):
        api.cluster_faces(dataset, embeddings="vct", method=method,
                          n_clusters=2 if method == "hac_k" else None,
                          out_field=f"frames.vct_{method}", run_key=f"vct_{method}")
        report = api.evaluate_identities(dataset, pred_field=f"frames.vct_{method}",
                                         eval_key=f"eval_vct_{method}")
        assert report["track"]["wcp"] == 1.0
    from fiftyone_plugin.cli import main

    options = [f"{k}={v}" for k, v in small.items()]
    assert main(["vct", "--dataset", dataset.name, "--name", "vct_ct", "--config",
                 "mmcfg/adaptation/vct_clipcentral_sface_200it_pervideo.py", "--cfg-options",
                 *options, "--cluster"]) == 0
    assert FaceStore(api.face_store_root(dataset), dataset.first().id).read_embeddings(
        "vct_ct")[1]["objective"] == "clip_centralised"
    capsys.readouterr()
    assert main(["runs", "--dataset", dataset.name]) == 0
    listed = {line.split()[0]: line.split()[1]
              for line in capsys.readouterr().out.splitlines()[1:] if line.strip()}
    assert listed[api.DEFAULT_VCT_KEY] == "train" and listed["vct_hac_k"] == "cluster"
