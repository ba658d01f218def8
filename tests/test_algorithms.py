"""Unit tests (no database, no weights) for the algorithmic core."""
import math

import cv2
import numpy as np
import pytest

from fiftyone_plugin.clustering.common import track_means
from fiftyone_plugin.clustering.hac import threshold_hac
from fiftyone_plugin.pipeline import EmbedSampler
from fiftyone_plugin.embedding.align import (ARCFACE_TEMPLATE, align_faces, landmarks_from_boxes,
                                             sharpness, similarity_transform)
from fiftyone_plugin.shots import ShotDetector, shots_from_cuts
from fiftyone_plugin.tracking.tracks import FaceTable, QualityRules, cooccurring_pairs
from fiftyone_plugin.video import VideoError, iter_frames, probe

from fixtures.videos import write_video


def test_similarity_transform_recovers_rotation_scale_translation():
    a, s, t = math.radians(20), 1.7, np.array([5.0, -3.0])
    rot = s * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    src = ARCFACE_TEMPLATE
    dst = src @ rot.T + t
    m = similarity_transform(src, dst)
    np.testing.assert_allclose(m[:, :2], rot, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], t, atol=1e-9)


def test_align_maps_landmarks_onto_template():
    img = np.zeros((200, 200, 3), np.uint8)
    pts = ARCFACE_TEMPLATE * 1.5 + 20  # a face 1.5x larger, shifted
    for x, y in pts:
        cv2.circle(img, (int(round(x)), int(round(y))), 3, (255, 255, 255), -1)
    crop = align_faces(img, pts[None])[0]
    for x, y in ARCFACE_TEMPLATE:
        assert crop[int(round(y)), int(round(x))].max() > 200


def test_landmarks_from_boxes_inside_box_and_ordered():
    lm = landmarks_from_boxes(np.array([[10, 20, 110, 140]]))[0]
    assert (lm[:, 0] > 10).all() and (lm[:, 0] < 110).all()
    assert lm[0, 0] < lm[1, 0] and lm[2, 1] > lm[0, 1] and lm[3, 1] > lm[2, 1]


def test_sharpness_orders_sharp_above_blurred():
    rng = np.random.default_rng(0)
    sharp = rng.integers(0, 255, (1, 112, 112, 3), dtype=np.uint8)
    blurred = cv2.GaussianBlur(sharp[0], (15, 15), 5)[None]
    assert sharpness(sharp)[0] > 10 * sharpness(blurred)[0]


def _frames_with_cuts():
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    frames = []
    for c in colours:
        for i in range(10):
            f = np.full((60, 80, 3), c, np.uint8)
            cv2.circle(f, (10 + 3 * i, 30), 8, (255, 255, 255), -1)  # motion within a shot
            frames.append(f)
    return frames


def test_shot_detector_finds_hard_cuts_only():
    det = ShotDetector()
    shot_ids = []
    for f in _frames_with_cuts():
        det.update(f)
        shot_ids.append(det.shot_index)
    assert shot_ids == [0] * 10 + [1] * 10 + [2] * 10
    assert shots_from_cuts(list(range(1, 31)), shot_ids) == [(1, 10), (11, 20), (21, 30)]


def test_shots_from_cuts_with_stride_covers_gaps():
    assert shots_from_cuts([1, 3, 5, 7], [0, 0, 1, 1]) == [(1, 4), (5, 7)]


def test_cooccurring_pairs():
    frames = np.array([1, 1, 1, 2, 2, 3])
    tracks = np.array([0, 1, -1, 1, 2, 0])
    assert cooccurring_pairs(frames, tracks) == {(0, 1), (1, 2)}


def test_track_means_are_unit_and_averaged():
    m = track_means([np.array([[1, 0], [0, 1]], np.float32), np.array([[2, 0]], np.float32)])
    np.testing.assert_allclose(m, [[math.sqrt(0.5), math.sqrt(0.5)], [1, 0]], atol=1e-6)


def test_quality_rules_mark_short_tiny_and_untracked_faces():
    boxes = np.array([[0, 0, 50, 50]] * 4 + [[0, 0, 10, 10]] * 3 + [[0, 0, 50, 50]] * 2, float)
    t = FaceTable(frames=np.arange(9), boxes=boxes, scores=np.full(9, 0.9),
                  tracks=np.array([0, 0, 0, 0, 1, 1, 1, 2, -1]),
                  sharpness=np.array([50, 50, 50, 1, 50, 50, 50, 50, 50], float))
    rules = QualityRules(min_face_size=20, min_track_len=3, min_sharpness=10)
    usable = rules.usable_tracks(t)
    assert list(usable) == [0]  # track 1 tiny, track 2 too short, -1 untracked
    assert usable[0].tolist() == [0, 1, 2]  # the blurry face is left out


def test_embed_sampler_takes_every_nth_usable_face_of_each_track():
    # stride 10: the 1st, 11th, 21st ... usable face, and before the 10th the gaps double
    # (2nd, 3rd, 5th, 9th), so a short track is more than one face
    sampler = EmbedSampler(stride=10)
    big = [0, 0, 50, 50]
    chosen = sampler(np.zeros(25, np.int64), np.array([big] * 25, float), np.full(25, 0.9),
                     np.full(25, 50.0))
    assert np.flatnonzero(chosen).tolist() == [0, 1, 2, 4, 8, 10, 20]

    sampler = EmbedSampler(stride=4, rules=QualityRules(min_face_size=20))
    big, tiny = [0, 0, 50, 50], [0, 0, 10, 10]
    # frame 1: track 0 twice (one tiny), track 1, an untracked face
    chosen = sampler(np.array([0, 0, 1, -1]), np.array([big, tiny, big, big], float),
                     np.full(4, 0.9), np.full(4, 50.0))
    assert chosen.tolist() == [True, False, True, True]  # 1st usable of 0 and 1; untracked
    # frames 2-6: track 0's 2nd to 5th usable faces (2nd, 3rd: doubling gaps; 4th: no;
    # 5th: the stride); a blurry one does not count
    chosen = sampler(np.array([0, 0, 0, 0, 0]), np.array([big] * 5, float), np.full(5, 0.9),
                     np.array([50.0, 1.0, 50.0, 50.0, 50.0]))
    assert chosen.tolist() == [True, False, True, False, True]
    # a track with no usable face: its first face only, so it can be attached later
    chosen = sampler(np.array([5, 5]), np.array([tiny, tiny], float), np.full(2, 0.9),
                     np.full(2, 50.0))
    assert chosen.tolist() == [True, False]
    assert not sampler(np.array([5]), np.array([tiny], float), np.full(1, 0.9),
                       np.full(1, 50.0)).any()
    assert EmbedSampler(1)(np.array([0, 0]), np.array([tiny, tiny], float), np.zeros(2),
                           np.zeros(2)).all()
    with pytest.raises(ValueError, match="embed_stride"):
        EmbedSampler(0)


def test_threshold_hac_clusters_and_respects_cannot_link():
    rng = np.random.default_rng(1)
    protos = np.eye(3, 16)
    x = np.concatenate([p + 0.05 * rng.standard_normal((4, 16)) for p in protos])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = threshold_hac(x, threshold=0.5)
    assert labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    split = threshold_hac(x, threshold=0.5, cannot_link={(0, 1)})
    assert split[0] != split[1] and len(set(split)) == 4
    assert threshold_hac(x[:1], 0.5).tolist() == [0]
    assert threshold_hac(x[:0], 0.5).tolist() == []


def test_iter_frames_one_based_with_stride(tmp_path):
    frames = [np.full((32, 32, 3), 10 * i, np.uint8) for i in range(10)]
    path = write_video(tmp_path / "v.mp4", frames)
    assert [n for n, _ in iter_frames(path, stride=3)] == [1, 4, 7, 10]
    assert [n for n, _ in iter_frames(path, only={2, 5})] == [2, 5]
    assert probe(path).width == 32


def test_unreadable_and_missing_videos_raise(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(VideoError, match="cannot decode"):
        list(iter_frames(str(bad)))
    with pytest.raises(VideoError, match="not found"):
        probe(str(tmp_path / "missing.mp4"))


def test_retrack_resets_at_cuts_and_keeps_ids_within_a_shot():
    from fiftyone_plugin.tracking.retrack import retrack
    from fiftyone_plugin.tracking.tracker import FaceTracker

    frames = np.repeat(np.arange(1, 21, 2), 2)  # stride 2, two faces per frame
    boxes = np.array([[10, 10, 60, 60], [100, 10, 150, 60]] * 10, np.float32)
    boxes[:, [0, 2]] += np.repeat(np.arange(10), 2)[:, None]  # slow motion
    table = FaceTable(frames=frames, boxes=boxes, scores=np.full(20, 0.95, np.float32))
    tracks = retrack(table, shot_starts=[1, 11], tracker=FaceTracker())
    first, second = tracks[frames < 11], tracks[frames >= 11]
    assert set(first[0::2]) == {0} and set(first[1::2]) == {1}
    assert set(second[0::2]) == {2} and set(second[1::2]) == {3}
