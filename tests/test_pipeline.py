"""The video pass: explicit steps over one per-video state, each one replaceable."""
import numpy as np
import pytest

from fiftyone_plugin.detection import FaceDetector
from fiftyone_plugin.embedding import FaceEmbedder
from fiftyone_plugin.pipeline import (AlignFaces, DetectFaces, DetectShots, EmbedFaces,
                                      StoredFaces, TrackFaces, VideoStep, find_faces_steps,
                                      run_video_pass)
from fiftyone_plugin.tracking.tracker import FaceTracker


@pytest.fixture(scope="module")
def models():
    return FaceDetector(), FaceEmbedder()


def test_whole_pass_finds_two_shots_and_three_tracks(two_shot_video, models):
    detector, embedder = models
    r = run_video_pass(two_shot_video, find_faces_steps(detector, FaceTracker(), embedder))
    # shot 1: Obama (frames 1-12); shot 2: Biden and Obama2 (13-24)
    assert r.shots == [(1, 12), (13, 24)]
    assert r.num_frames_processed == 24 and len(r.faces) == 36 == len(r.det_ids)
    t = r.faces
    assert len(set(t.tracks[t.frames <= 12])) == 1 and len(set(t.tracks[t.frames > 12])) == 2
    assert not set(t.tracks[t.frames <= 12]) & set(t.tracks[t.frames > 12])  # reset at the cut
    assert t.embeddings.shape == (36, embedder.embedding_dim)
    assert np.isfinite(t.embeddings).all()  # embed_stride 1: every face


def test_stored_faces_decode_only_their_frames_and_keep_ids(two_shot_video, models):
    detector, embedder = models
    found = run_video_pass(two_shot_video, [DetectFaces(detector, stride=3), DetectShots()])
    assert found.faces.embeddings is None and found.faces.sharpness is None
    assert found.num_frames_processed == 8  # frames 1, 4, ..., 22
    again = run_video_pass(two_shot_video, [StoredFaces(found.faces, found.det_ids),
                                            AlignFaces(112), EmbedFaces(embedder)])
    assert again.det_ids == found.det_ids and again.shots == []
    np.testing.assert_array_equal(again.faces.boxes, found.faces.boxes)
    assert np.isfinite(again.faces.embeddings).all()


class OnlyLargestFace(VideoStep):
    """A user's own step: keep the largest face of each frame."""

    def __call__(self, batch):
        for i, ff in enumerate(batch.faces):
            if len(ff.boxes) > 1:
                k = int(np.argmax((ff.boxes[:, 2] - ff.boxes[:, 0])
                                  * (ff.boxes[:, 3] - ff.boxes[:, 1])))
                batch.faces[i] = type(ff)(ff.boxes[k:k + 1], ff.scores[k:k + 1],
                                          None if ff.landmarks is None
                                          else ff.landmarks[k:k + 1])
                batch.det_ids[i] = batch.det_ids[i][k:k + 1]
                batch.tracks[i] = batch.tracks[i][k:k + 1]


def test_a_step_can_be_inserted_and_later_steps_see_its_output(two_shot_video, models):
    detector, embedder = models
    steps = [DetectFaces(detector), OnlyLargestFace(), DetectShots(),
             TrackFaces(FaceTracker()), AlignFaces(112), EmbedFaces(embedder)]
    r = run_video_pass(two_shot_video, steps)
    assert len(r.faces) == 24 and len(set(r.faces.frames.tolist())) == 24
    assert len(r.faces.embeddings) == 24 and len(set(r.faces.tracks.tolist())) == 2


def test_badly_ordered_steps_are_refused(two_shot_video, models):
    detector, embedder = models
    with pytest.raises(ValueError, match="starts with a FaceSource"):
        run_video_pass(two_shot_video, [DetectShots(), DetectFaces(detector)])
    with pytest.raises(ValueError, match="put AlignFaces before it"):
        run_video_pass(two_shot_video, [DetectFaces(detector), EmbedFaces(embedder)])
