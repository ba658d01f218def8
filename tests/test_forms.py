"""Forms that guide: each method's own options, fields and embeddings offered from the
dataset, run keys checked, invalid combinations refused before anything is scheduled."""
import numpy as np
import pytest

fo = pytest.importorskip("fiftyone")
import fiftyone.operators as foo  # noqa: E402
from fiftyone.operators.delegated import DelegatedOperationService  # noqa: E402
from fiftyone.operators.executor import ExecutionContext, ExecutionError  # noqa: E402

from fiftyone_plugin import api  # noqa: E402
from fiftyone_plugin.embedding.store import FaceStore  # noqa: E402
from fiftyone_plugin.operators import ClusterFaces, EvaluateIdentities  # noqa: E402

from .conftest import URI, add_videos  # noqa: E402


def _form(op, dataset=None, **params):
    ctx = ExecutionContext(request_params=dict(
        params=params, dataset_name=dataset.name if dataset is not None else None))
    return op.resolve_input(ctx).type.properties


def test_each_method_shows_only_its_own_options():
    assert "n_clusters" not in _form(ClusterFaces(), method="parameter_free")
    assert "threshold" not in _form(ClusterFaces(), method="parameter_free")
    hac_k = _form(ClusterFaces(), method="hac_k")
    assert hac_k["n_clusters"].required and "threshold" not in hac_k
    hac_t = _form(ClusterFaces(), method="hac_threshold")
    assert "threshold" in hac_t and not hac_t["threshold"].required
    assert "n_clusters" not in hac_t


def test_fields_embeddings_and_run_keys_come_from_the_dataset(dataset, two_shot_video):
    add_videos(dataset, two_shot_video)
    dataset.persistent = True  # the executor loads it by name
    api.find_identities(dataset, frame_stride=3)
    store = FaceStore(api.face_store_root(dataset), dataset.first().id)
    store.write_embeddings("adapted", store.embeddings, {})
    form = _form(ClusterFaces(), dataset)
    assert form["in_field"].type.values == ["frames.faces", "frames.identities"]
    assert sorted(form["embeddings"].type.values) == ["adapted", "original"]
    assert not form["run_key"].invalid
    bad = _form(ClusterFaces(), dataset, run_key="my run")["run_key"]
    assert bad.invalid and "not valid" in bad.error_message
    # the clustering run's key holds another kind of run for an evaluation
    clash = _form(EvaluateIdentities(), dataset, eval_key=api.DEFAULT_RUN_KEY)["eval_key"]
    assert clash.invalid and "another kind" in clash.error_message


def test_invalid_combinations_are_refused_before_anything_is_scheduled(dataset,
                                                                       two_shot_video):
    add_videos(dataset, two_shot_video)
    dataset.persistent = True
    api.find_identities(dataset, frame_stride=3)
    service = DelegatedOperationService()
    for params in (dict(method="hac_k"), dict(run_key="my run")):
        with pytest.raises(ExecutionError, match="(?i)validation"):
            foo.execute_operator(f"{URI}/cluster_faces", ctx=dict(dataset=dataset,
                                                                  params=params),
                                 request_delegation=True)
    assert service.list_operations(dataset_name=dataset.name) == []
    # with K the same request is scheduled and runs
    foo.execute_operator(f"{URI}/cluster_faces", ctx=dict(dataset=dataset, params=dict(
        method="hac_k", n_clusters=2, run_key="ward", out_field="frames.ward")),
        request_delegation=True)
    service.execute_queued_operations(dataset_name=dataset.name)
    assert dataset.load_run_results("ward").num_identities == 2
    assert np.isin(dataset.distinct("frames.ward.detections.label"), ["id_000", "id_001"]).all()
    service.delete_for_dataset(dataset._doc.id)


def _immediate(op, dataset, view=None, **params):
    """Run ``op`` as the App runs it immediately (on ``view``, serialized): the messages
    its generator streams, and the error it ends with (None)."""
    from fiftyone.operators.executor import Executor

    ctx = ExecutionContext(request_params=dict(params=params, dataset_name=dataset.name,
                                               **({"view": view} if view else {})),
                           executor=Executor())
    messages, error = [], None
    try:
        for m in op.execute(ctx):
            messages.append((m.body.operator_uri, m.body.params))
    except Exception as e:
        error = e
    return messages, error


def test_immediate_runs_stream_progress_results_and_errors(dataset, two_shot_video):
    from fiftyone_plugin.operators import FindIdentities

    add_videos(dataset, two_shot_video)
    dataset.persistent = True
    messages, error = _immediate(FindIdentities(), dataset, frame_stride=3)
    assert error is None
    labels = [p.get("label", "") for name, p in messages if name == "set_progress"]
    assert any("frames of" in label for label in labels)  # per frame batch, as it happens
    assert labels[-1] == "done" and [n for n, _ in messages][-2:] == ["show_output",
                                                                      "reload_dataset"]
    table = messages[-2][1]["results"]["summary"]
    assert "| num identities | 2 |" in table
    # a failure: its message in the progress label, a notification and the output
    messages, error = _immediate(EvaluateIdentities(), dataset)
    assert isinstance(error, ValueError) and "Ground truth comes from" in str(error)
    names = [n for n, _ in messages]
    assert names[-3:] == ["set_progress", "notify", "show_output"]
    assert messages[-3][1]["label"].startswith("failed: ValueError")
    assert messages[-2][1]["variant"] == "error"
    assert "Ground truth comes from" in str(messages[-1][1]["outputs"])


def test_operators_run_on_the_videos_behind_a_clips_view(dataset, two_shot_video):
    """From an identity's clips (the App's view after *Clips*), an operator works on the
    videos those clips come from."""
    from fiftyone_plugin.operators import MapTracks
    from fiftyone_plugin.operators.base import videos_of

    add_videos(dataset, two_shot_video)
    dataset.persistent = True
    api.find_identities(dataset, frame_stride=3)
    clips = api.identity_clips(dataset, "id_001")
    assert videos_of(clips).values("id") == [dataset.first().id]
    ctx = ExecutionContext(request_params=dict(dataset_name=dataset.name, params={},
                                               view=clips._serialize()))
    assert ctx.target_view()._dataset is not dataset  # the App hands over the clips
    messages, error = _immediate(MapTracks(), dataset, view=clips._serialize())
    assert error is None and dataset.list_brain_runs() == ["face_identities_map"]
