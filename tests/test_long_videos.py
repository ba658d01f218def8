"""Quality that holds with video length: the demo looped to 1 and 2 minutes (real
decoding, detection, tracking, embedding; a few people, many tracks each). The 5- and
10-minute loops run in `make bench` (benchmarks.looped_demo)."""
import pytest

fo = pytest.importorskip("fiftyone")

from benchmarks.looped_demo import identities_per_video, looped  # noqa: E402
from fiftyone_plugin import stages  # noqa: E402
from fiftyone_plugin.demo import build_demo_video, ground_truth  # noqa: E402


def test_looped_demo_keeps_three_identities(tmp_path):
    video, placements = build_demo_video(tmp_path)
    gt = ground_truth(placements)
    ds = fo.Dataset()
    try:
        ds.add_samples([fo.Sample(filepath=looped(video, m, tmp_path / f"demo_{m}min.mp4"))
                        for m in (1, 2)])
        ds.compute_metadata()
        summary = stages.find_identities(ds, frame_stride=5)
        assert summary["num_tracks"] > 100  # about 35 tracks a minute
        for path, found in identities_per_video(ds, gt, len(gt)).items():
            assert len(found) == 3, (path, found)
            # each identity is one person, and each person one identity
            people = [c.most_common(1)[0][0] for c in found.values()]
            assert sorted(people) == ["biden", "carphone_man", "obama"], (path, found)
            assert all(len(c) == 1 for c in found.values()), (path, found)
    finally:
        ds.delete()
