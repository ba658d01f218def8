"""The benchmark video generator on registry photos laid out as <identity>/<image>."""
import argparse
import json

import cv2
import numpy as np
import pytest

fo = pytest.importorskip("fiftyone")


@pytest.fixture(scope="module")
def source(photos, tmp_path_factory):
    root = tmp_path_factory.mktemp("people")
    for name, keys in (("obama", ("obama", "obama2", "obama3")), ("biden", ("biden",))):
        (root / name).mkdir()
        for k in keys:
            cv2.imwrite(str(root / name / f"{k}.jpg"), photos[k])
    return root


def test_generated_video_and_ground_truth(source, tmp_path):
    from benchmarks.make_multishot import FaceBoxes, _people, load_manifest, make_video

    many, once = _people(source)
    assert [p.name for p in many] == ["obama"] and [p.name for p in once] == ["biden"]
    args = argparse.Namespace(cast=1, extras=1, shots=3, frames_per_shot=6, width=160,
                              height=96, fps=10)
    video = make_video(np.random.default_rng(0), many, once, FaceBoxes(), tmp_path, "v", args)
    assert video["num_frames"] == 18 and video["shots"] == [[1, 6], [7, 12], [13, 18]]
    assert video["cast"] == ["obama"] and video["extras"] == ["biden"]
    faces = [f for fr in video["frames"].values() for f in fr]
    assert {f["label"] for f in faces} == {"obama", "biden"}
    assert all(0 <= v <= 1 for f in faces for v in f["bbox"][:2])
    # obama appears in every shot; each appearance is its own ground-truth track
    assert len({f["index"] for f in faces if f["label"] == "obama"}) == 3
    cap = cv2.VideoCapture(str(tmp_path / video["filepath"]))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 18
    (tmp_path / "manifest.json").write_text(json.dumps(dict(videos=[video])))
    ds = fo.Dataset()
    try:
        load_manifest(ds, tmp_path / "manifest.json")
        assert ds.count("frames.gt_faces.detections") == len(faces)
        assert ds.first().num_identities == 2
    finally:
        ds.delete()


def test_episode_prefixes_share_cast_shots_and_truth(source, tmp_path):
    from benchmarks.episode import make_episode
    from benchmarks.make_multishot import FaceBoxes, _people

    many, once = _people(source)
    boxes = FaceBoxes()
    # a photo with a second face would put a face without ground truth into the video:
    # obama3.jpg has one (a small false detection), so only 2 of Obama's photos qualify
    assert [boxes.alone(source / "obama" / f"{k}.jpg") for k in ("obama", "obama2", "obama3")] \
        == [True, True, False]
    with pytest.raises(ValueError, match="photos of one face"):
        make_episode(np.random.default_rng(0), many, once, boxes, tmp_path, "e", minutes=[0.1],
                     cast=1, main_photos=3)
    videos = make_episode(np.random.default_rng(0), many, once, boxes, tmp_path, "e",
                          minutes=[0.1, 0.2], cast=1, guests=0, extras=1, repeat=0.3,
                          width=160, height=96, fps=10, main_photos=2)
    short, long = videos
    assert short["cast"] == long["cast"] == ["obama"]
    assert 0 < short["num_frames"] <= 60 and short["num_frames"] < long["num_frames"] <= 120
    # the short video is the long one cut after a whole shot, truth included
    assert long["shots"][:len(short["shots"])] == short["shots"]
    assert short["shots"][-1][1] == short["num_frames"]
    assert all(long["frames"][k] == v for k, v in short["frames"].items())
    for v in videos:
        cap = cv2.VideoCapture(str(tmp_path / v["filepath"]))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == v["num_frames"]
    # the main character is in every shot; every appearance is its own track
    faces = [f for fr in long["frames"].values() for f in fr]
    assert len({f["index"] for f in faces if f["label"] == "obama"}) == len(long["shots"])
