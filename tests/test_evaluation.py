"""Metrics and protocols against hand-computed answers (no database)."""
import numpy as np
import pytest

from fiftyone_plugin.evaluation import (apply_unknown_policy, box_iou, clustering_metrics,
                                        evaluate_tracks, match_faces, track_identities)

Y = ["a", "a", "a", "b", "b", "c"]
C = [0, 0, 1, 1, 1, 2]


def test_metrics_on_a_hand_computed_toy():
    # clusters: {a, a}, {a, b, b}, {c}
    m = clustering_metrics(Y, C)
    assert m["wcp"] == pytest.approx(5 / 6)
    assert m["bcubed_precision"] == pytest.approx(7 / 9)  # (4/2 + 5/3 + 1) / 6
    assert m["bcubed_recall"] == pytest.approx(7 / 9)  # (5/3 + 4/2 + 1) / 6
    assert m["bcubed_f"] == pytest.approx(7 / 9)
    # same-cluster-same-label pairs 2; predicted pairs 1 + 3; true pairs 3 + 1
    assert (m["pairwise_precision"], m["pairwise_recall"]) == pytest.approx((0.5, 0.5))
    assert m["hungarian_accuracy"] == pytest.approx(5 / 6)
    assert (m["num_predicted"], m["num_true"], m["cluster_count_diff"]) == (3, 3, 0)


def test_bcl_nmi_examples():
    y = np.array([1] * 5 + [2] * 10 + [3] * 5)
    c1 = np.array([1, 1, 1, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 2])
    c2 = np.array([1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2])
    assert clustering_metrics(y, c1)["nmi"] == pytest.approx(0.1089, abs=5e-5)
    assert clustering_metrics(y, c2)["nmi"] == pytest.approx(0.2533, abs=5e-5)


def test_wcp_and_hungarian_differ_when_over_clustered():
    m = clustering_metrics(["a"] * 4, [0, 0, 1, 1])
    assert m["wcp"] == 1.0 and m["hungarian_accuracy"] == 0.5
    assert m["cluster_count_ratio"] == 2.0 and m["nmi"] == pytest.approx(0.0)


def test_perfect_and_weighted_scores():
    assert clustering_metrics(Y, [5, 5, 5, 7, 7, 9])["bcubed_f"] == 1.0
    w = [3, 1, 1, 2, 1, 4]
    rep_y = np.repeat(Y, w)
    rep_c = np.repeat(C, w)
    weighted, repeated = clustering_metrics(Y, C, w), clustering_metrics(rep_y, rep_c)
    for k in ("wcp", "nmi", "bcubed_f", "pairwise_f", "hungarian_accuracy"):
        assert weighted[k] == pytest.approx(repeated[k])


def test_unknown_policies():
    y = ["a", "a", "unknown_1", "unknown_2"]
    c = [0, 0, 1, 1]
    own = clustering_metrics(*apply_unknown_policy(y, c, policy="own_identity")[:2])
    single = clustering_metrics(*apply_unknown_policy(y, c, policy="single_class")[:2])
    dropped = clustering_metrics(*apply_unknown_policy(y, c, policy="drop")[:2])
    assert own["wcp"] == 0.75 and own["num_true"] == 3
    assert single["wcp"] == 1.0 and single["num_true"] == 2
    assert dropped["num_items"] == 2 and dropped["num_true"] == 1
    with pytest.raises(ValueError, match="unknown_policy"):
        apply_unknown_policy(y, c, policy="ignore")


def test_evaluate_tracks_counts_unclustered_tracks_as_singletons():
    out = evaluate_tracks(["a", "a", "a"], ["id_000", "unknown", "id_000"], num_faces=[2, 1, 2])
    assert out["coverage"] == pytest.approx(2 / 3)
    assert out["track"]["num_predicted"] == 2 and out["track"]["wcp"] == 1.0
    assert out["frame"]["bcubed_recall"] == pytest.approx((4 * 4 / 5 + 1 / 5) / 5)
    with pytest.raises(ValueError, match="no track left"):
        evaluate_tracks(["unknown"], ["id_000"], unknown_policy="drop")


def test_box_matching_is_one_to_one_per_frame():
    assert box_iou([[0, 0, 2, 2]], [[1, 1, 2, 2]])[0, 0] == pytest.approx(1 / 7)
    pred_frames = [1, 1, 2, 3]
    pred = [[0, 0, 10, 10], [50, 50, 10, 10], [1, 1, 10, 10], [80, 80, 5, 5]]
    gt_frames = [1, 1, 2, 3]
    gt = [[52, 50, 10, 10], [0, 1, 10, 10], [30, 30, 10, 10], [0, 0, 5, 5]]
    assert match_faces(pred_frames, pred, gt_frames, gt).tolist() == [1, 0, -1, -1]
    ids = track_identities([7, 7, 7, 8], ["x", "y", "x", None])
    assert ids == {7: ("x", 3), 8: (None, 1)}


def test_unclustered_tracks_can_be_dropped_as_vcn_does():
    out = evaluate_tracks(["a", "a", "b"], ["id_000", "unknown", "id_001"], unclustered="drop")
    assert out["coverage"] == pytest.approx(2 / 3)
    assert out["track"]["num_items"] == 2 and out["track"]["bcubed_f"] == 1.0
    with pytest.raises(ValueError, match="unclustered"):
        evaluate_tracks(["a"], ["id_000"], unclustered="ignore")
