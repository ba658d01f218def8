"""The per-track error analysis of the benchmarks (benchmarks.track_errors), on hand-made
tracks with answers worked out by hand."""
import numpy as np
import pytest

from benchmarks.track_errors import error_tracks, score, true_tracks
from fiftyone_plugin.tracking.tracks import FaceTable


def _table(track_directions: dict[int, np.ndarray]) -> FaceTable:
    """Two faces per track, both along the track's direction; sharpness = 10 * track id."""
    rows = [(t, d) for t, d in track_directions.items() for _ in range(2)]
    n = len(rows)
    return FaceTable(frames=np.arange(1, n + 1), boxes=np.tile([0, 0, 40, 50], (n, 1)).astype(
        np.float32), scores=np.ones(n, np.float32), tracks=np.array([t for t, _ in rows]),
        sharpness=np.array([10.0 * t for t, _ in rows], np.float32),
        embeddings=np.array([d for _, d in rows], np.float32))


def test_error_kinds_distances_and_score():
    e = np.eye(4)
    c60 = np.cos(np.pi / 3) * e[0] + np.sin(np.pi / 3) * e[2]  # 0.5 from e0
    c45 = (e[1] + e[3]) / np.sqrt(2)  # 1 - 0.7071 from e1
    table = _table({0: e[0], 1: e[0], 2: c60, 3: e[1], 4: e[1], 5: c45, 6: e[0], 7: e[3]})
    truth = {0: "A", 1: "A", 2: "A", 3: "B", 4: "B", 5: "C", 6: "A", 7: "D"}
    identity = {0: 0, 1: 0, 2: 1, 3: 2, 4: 2, 5: 2}  # tracks 6 and 7 left unknown

    report = error_tracks(table, truth, identity)
    errors = {e["track"]: e for e in report["errors"]}
    assert set(errors) == {2, 5, 6}  # D's only track, left apart, is right
    assert errors[2]["kind"] == "split off" and errors[2]["to_home"] == pytest.approx(0.5)
    # C's only track sits in B's identity: its home is that identity, without itself
    assert errors[5]["kind"] == "mixed in"
    assert errors[5]["to_home"] == pytest.approx(1 - 1 / np.sqrt(2), abs=1e-3)
    assert errors[5]["to_nearest_other"] == pytest.approx(1.0)
    assert errors[6]["kind"] == "unknown" and errors[6]["to_home"] == pytest.approx(0.0)
    assert errors[2]["sharpness"] == 20.0 and errors[2]["faces"] == 2
    assert report["all_tracks"] == dict(tracks=8, sharpness=35.0, size=40.0)

    # clusters {0,1} {2} {3,4,5} {6} {7}: BCubed P = 20/24, R = 11/16; WCP = 7/8
    s = score(truth, identity)
    p, r = 20 / 24, 11 / 16
    assert (s["predicted_k"], s["true_k"]) == (5, 4)
    assert s["bcubed_f"] == pytest.approx(2 * p * r / (p + r), abs=1e-4)
    assert s["wcp"] == pytest.approx(7 / 8, abs=1e-4)


def test_true_tracks_by_majority_of_matched_faces():
    video = dict(width=100, height=100, frames={
        "1": [{"label": "P", "index": 0, "bbox": [0.1, 0.1, 0.2, 0.2]}],
        "2": [{"label": "P", "index": 0, "bbox": [0.1, 0.1, 0.2, 0.2]},
              {"label": "Q", "index": 1, "bbox": [0.6, 0.6, 0.2, 0.2]}],
        "3": [{"label": "Q", "index": 1, "bbox": [0.6, 0.6, 0.2, 0.2]}]})
    boxes = np.array([[10, 10, 30, 30], [10, 10, 30, 30], [60, 60, 80, 80],
                      [60, 60, 80, 80], [0, 80, 10, 95]], np.float32)
    table = FaceTable(frames=np.array([1, 2, 2, 3, 3]), boxes=boxes,
                      scores=np.ones(5, np.float32), tracks=np.array([0, 0, 1, 1, 2]))
    # track 2 overlaps no true face: it has no true person
    assert true_tracks(table, video) == {0: "P", 1: "Q"}
