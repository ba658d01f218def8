"""Quality that holds with video length: the demo looped to 1 and 2 minutes (real
decoding, detection, tracking, embedding; a few people, many tracks each). The 5- and
10-minute loops run in `make bench` (benchmarks.looped_demo)."""
import pytest

fo = pytest.importorskip("fiftyone")
pytestmark = pytest.mark.slow  # minutes of video through the whole pipeline

from benchmarks.looped_demo import identities_per_video, looped  # noqa: E402
from fiftyone_plugin import api  # noqa: E402
from fiftyone_plugin.demo import build_demo_video, ground_truth  # noqa: E402


def test_looped_demo_keeps_three_identities(tmp_path):
    video, placements = build_demo_video(tmp_path)
    gt = ground_truth(placements)
    ds = fo.Dataset()
    try:
        ds.add_samples([fo.Sample(filepath=looped(video, m, tmp_path / f"demo_{m}min.mp4"))
                        for m in (1, 2)])
        ds.compute_metadata()
        summary = api.find_identities(ds, frame_stride=5)
        assert summary["num_tracks"] > 100  # about 35 tracks a minute
        for path, found in identities_per_video(ds, gt, len(gt)).items():
            assert len(found) == 3, (path, found)
            # each identity is one person, and each person one identity
            people = [c.most_common(1)[0][0] for c in found.values()]
            assert sorted(people) == ["biden", "carphone_man", "obama"], (path, found)
            assert all(len(c) == 1 for c in found.values()), (path, found)
    finally:
        ds.delete()


def test_two_minute_episode_meets_the_quality_goal(tmp_path):
    """A generated 2-minute episode (4 main characters with many photos, look changes inside
    and between tracks, guests and extras): the default finds K within 10 % of the truth
    with BCubed F >= 0.95, unknown tracks counted. Longer episodes: `make bench`."""
    import json

    import numpy as np

    from benchmarks.episode import make_episode
    from benchmarks.make_multishot import FaceBoxes, _people, load_manifest
    from benchmarks.photo_tracks import DATA_ROOT

    source = DATA_ROOT / "lfw_dev"
    if not source.is_dir():
        pytest.skip(f"{source} is absent (benchmark data lives only in ../shared/data)")
    many, once = _people(source)
    videos = make_episode(np.random.default_rng(0), many, once, FaceBoxes(), tmp_path, "e",
                          minutes=[2], cast=4)
    (tmp_path / "manifest.json").write_text(json.dumps(dict(videos=videos)))
    ds = fo.Dataset()
    try:
        load_manifest(ds, tmp_path / "manifest.json")
        ds.compute_metadata()
        api.find_identities(ds, frame_stride=5)
        report = api.evaluate_identities(ds, per_video=True)
        track = report["track"]
        assert abs(track["num_predicted"] - track["num_true"]) <= 0.1 * track["num_true"] + 0.5, \
            track
        assert track["bcubed_f"] >= 0.95 and track["wcp"] >= 0.99, track
    finally:
        ds.delete()
