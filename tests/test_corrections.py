"""Corrections of a clustering run: applied at once, undoable, and kept through a fresh
``cluster_faces`` (issue 15, part 2)."""
import pytest

fo = pytest.importorskip("fiftyone")

from fiftyone_plugin import api  # noqa: E402
from fiftyone_plugin.clustering.corrections import constraints, replay  # noqa: E402

from .conftest import add_videos  # noqa: E402


def test_replay_and_constraints_follow_tracks_and_later_corrections_win():
    base = {("v", 0): "id_000", ("v", 2): "id_000", ("v", 1): "id_001"}
    log = [dict(op="rename", tracks=[["v", 0], ["v", 2]], name="Barack"),
           {"op": "move", "track": ["v", 2], "with": [], "from": [["v", 0]]}]
    labels, names = replay(base, log)
    assert labels == {("v", 0): "id_000", ("v", 2): "id_002", ("v", 1): "id_001"}
    assert names == {"id_000": "Barack"}
    c = constraints(log)
    assert c.cannot_link == [(("v", 2), ("v", 0))] and not c.must_link
    # merging them back: the later correction wins over the split
    c = constraints(log + [dict(op="merge", tracks=[["v", 0], ["v", 2]])])
    assert c.must_link == [(("v", 0), ("v", 2))] and c.cannot_link == []
    # a merge keeps a name, whichever identity had it
    labels, names = replay(base, log + [dict(op="merge", tracks=[["v", 2], ["v", 0]])])
    assert labels[("v", 0)] == labels[("v", 2)] == "id_002" and names == {"id_002": "Barack"}
    # identity numbers may change after a re-clustering: entries follow the tracks
    labels, names = replay({("v", 0): "id_001", ("v", 2): "id_001", ("v", 1): "id_000"}, log)
    assert names == {"id_001": "Barack"} and labels[("v", 2)] == "id_002"


def _labels(ds, field="identities"):
    """``{track: (label, identity id)}`` over the dataset's faces."""
    index, label, ident = ds.values([f"frames.{field}.detections.index",
                                     f"frames.{field}.detections.label",
                                     f"frames.{field}.detections.identity"])
    out = {}
    for vi, vl, vd in zip(index, label, ident):
        for fi, fl, fd in zip(vi, vl, vd):
            for t, lab, i in zip(fi or [], fl or [], fd or [None] * len(fi or [])):
                out.setdefault(t, set()).add((lab, i))
    return {t: s.pop() if len(s) == 1 else s for t, s in out.items()}


def test_corrections_apply_undo_and_survive_a_fresh_clustering(dataset, two_shot_video):
    add_videos(dataset, two_shot_video)
    api.find_identities(dataset, frame_stride=2)
    # track 0: Obama (shot 1); shot 2: Biden and Obama again (tracks 1 and 2, some order)
    first = _labels(dataset)
    obama = first[0][0]
    again, b = (1, 2) if first[1][0] == obama else (2, 1)
    biden = first[b][0]
    assert first[again][0] == obama != biden

    api.rename_identity(dataset, obama, "Barack")
    assert _labels(dataset)[0] == _labels(dataset)[again] == ("Barack", obama)
    api.move_track(dataset, dataset.first().id, again)  # split: a new identity of its own
    split = _labels(dataset)[again]
    assert split[0] == split[1] not in (obama, biden) and _labels(dataset)[0][0] == "Barack"
    with pytest.raises(ValueError, match="same frame"):
        api.merge_identities(dataset, [biden, split[1]])  # Biden and Obama share frames
    assert f"{api.DEFAULT_RUN_KEY}-Barack" in dataset.list_saved_views()

    # a fresh clustering keeps the name and the split
    api.cluster_faces(dataset)
    assert _labels(dataset)[0][0] == "Barack" and _labels(dataset)[again][0] != "Barack"
    assert _labels(dataset)[again][0] != _labels(dataset)[b][0]

    # merge back, then mark Biden as no face; undo that; all through a re-clustering
    api.merge_identities(dataset, ["Barack", _labels(dataset)[again][1]])
    api.mark_not_face(dataset, dataset.first().id, b)
    assert _labels(dataset)[b][0] == "not_a_face"
    api.cluster_faces(dataset)
    labels = _labels(dataset)
    assert labels[0][0] == labels[again][0] == "Barack" and labels[b][0] == "not_a_face"
    assert api.undo_correction(dataset)["op"] == "not_face"
    # the last clustering left that track out: unknown until the next one clusters it
    assert _labels(dataset)[b][0] == "unknown"
    api.cluster_faces(dataset)
    labels = _labels(dataset)
    assert labels[b][0] not in ("unknown", "not_a_face", "Barack")
    rows = api.list_identities(dataset)
    assert [(r["name"], r["tracks"], r["videos"]) for r in rows] == [
        ("Barack", 2, 1), (None, 1, 1)]
    log = dataset.load_run_results(api.DEFAULT_RUN_KEY).corrections
    assert [e["op"] for e in log] == ["rename", "move", "merge"]


def test_cli_lists_and_corrects_identities(dataset, two_shot_video, capsys):
    from fiftyone_plugin.cli import main

    add_videos(dataset, two_shot_video)
    dataset.persistent = True
    api.find_identities(dataset, frame_stride=3)
    first = api.list_identities(dataset)[0]["id"]
    assert main(["identities", "rename", first, "Barack", "--dataset", dataset.name]) == 0
    assert main(["identities", "list", "--dataset", dataset.name]) == 0
    out = capsys.readouterr().out
    assert "Barack" in out and first in out
    assert main(["identities", "merge", "Barack", "nobody", "--dataset", dataset.name]) == 1
    assert "no identity 'nobody'" in capsys.readouterr().err
    assert main(["identities", "undo", "--dataset", dataset.name]) == 0
    assert api.list_identities(dataset)[0]["name"] is None
    assert main(["identities", "review", "--dataset", dataset.name]) == 0
    capsys.readouterr()
    assert main(["identities", "answer", first, "nobody", "--same",
                 "--dataset", dataset.name]) == 1


def test_review_asks_the_closest_pairs_and_answers_recluster(dataset, two_shot_video):
    add_videos(dataset, two_shot_video)
    api.find_identities(dataset, frame_stride=2)
    first = _labels(dataset)
    again, b = (1, 2) if first[1][0] == first[0][0] else (2, 1)
    sid = dataset.first().id
    api.move_track(dataset, sid, again)  # Obama's second track now alone: 3 identities
    labels = _labels(dataset)
    obama, alone, biden = labels[0][1], labels[again][1], labels[b][1]
    questions = api.review_questions(dataset)
    # Biden and the lone Obama track share frames: never asked; Obama's two are closest
    assert [{q["a"], q["b"]} for q in questions] == [{obama, alone}, {obama, biden}]
    assert questions[0]["distance"] < questions[1]["distance"]
    # "not the same" for Obama and Biden: kept apart, never asked again (the clustering
    # runs again and may renumber the identities)
    api.answer_question(dataset, obama, biden, same=False)
    labels = _labels(dataset)
    obama, alone = labels[0][1], labels[again][1]
    assert [{q["a"], q["b"]} for q in api.review_questions(dataset)] == [{obama, alone}]
    # "same" for the two Obama tracks: merged, and the clustering runs again
    summary = api.answer_question(dataset, obama, alone, same=True)
    labels = _labels(dataset)
    assert summary["num_identities"] == 2 and labels[0] == labels[again] != labels[b]
    assert api.review_questions(dataset) == []


def test_recluster_repeats_the_run_with_its_own_settings(dataset, two_shot_video):
    add_videos(dataset, two_shot_video)
    api.find_identities(dataset, frame_stride=2)
    api.cluster_faces(dataset, method="hac_threshold", threshold=0.5, run_key="fixed",
                      out_field="frames.fixed")
    before = [_labels(dataset), _labels(dataset, "fixed")]
    config = dataset.get_run_info("fixed").config.serialize()
    assert api.recluster(dataset)["num_identities"] == 2
    assert api.recluster(dataset, "fixed")["num_identities"] == 2
    assert [_labels(dataset), _labels(dataset, "fixed")] == before
    assert dataset.get_run_info("fixed").config.serialize() == config
