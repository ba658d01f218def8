"""What the Identities panel shows, from the library (issue 15, parts 1, 6 and 7): counts,
screen time and sharpest faces, an identity's tracks and clips, the track map, colours."""
import numpy as np
import pytest

fo = pytest.importorskip("fiftyone")

from fiftyone_plugin import api, fo_io  # noqa: E402

from .conftest import add_videos  # noqa: E402


@pytest.fixture
def clustered(dataset, two_shot_video):
    """Obama (track 0, frames 1-11) then Biden beside Obama again (frames 13-23), 25 fps,
    faces on every 2nd frame."""
    add_videos(dataset, two_shot_video)
    api.find_identities(dataset, frame_stride=2)
    return dataset


def test_identities_tracks_screen_time_and_faces(clustered):
    rows = api.list_identities(clustered)
    assert [(r["id"], r["tracks"], r["faces"], r["videos"]) for r in rows] == [
        ("id_000", 2, 12, 1), ("id_001", 1, 6, 1)]
    # screen time: frames 1-11 and 13-23 at 25 fps; Biden 13-23
    assert rows[0]["seconds"] == pytest.approx(22 / 25) and rows[1]["seconds"] == pytest.approx(
        11 / 25)
    sid = clustered.first().id
    tracks = api.identity_tracks(clustered, "id_000")
    assert [(t["first"], t["last"], t["faces"]) for t in sorted(
        tracks, key=lambda t: t["first"])] == [(1, 11, 6), (13, 23, 6)]
    (crop,) = api.face_crops(clustered, [(sid, rows[0]["best"][1])])
    assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8 and crop.std() > 10
    # the sharpest face of the identity is the sharpest of its tracks' sharpest
    assert rows[0]["best"][1] in {t["best"] for t in tracks}


def test_a_clone_says_where_its_faces_are(clustered):
    clone = clustered.clone()
    try:
        with pytest.raises(FileNotFoundError, match="cloned"):
            api.list_identities(clone)  # what the panel shows for it
    finally:
        clone.delete()


def test_clips_show_one_identity_only(clustered):
    joined = api.identity_clips(clustered, "id_000")  # 1 frame apart: one clip
    assert joined.values("support") == [[1, 23]]
    apart = api.identity_clips(clustered, "id_000", gap=0)
    assert apart.values("support") == [[1, 11], [13, 23]]
    labels = set(apart.values("frames.identities.detections.label", unwind=True))
    assert labels == {"id_000"}  # Biden's boxes are filtered out
    assert "faces" not in apart.get_frame_field_schema()  # the raw faces are not shown
    api.rename_identity(clustered, "id_000", "Barack")
    assert api.identity_clips(clustered, "Barack", gap=0).values("support") == [[1, 11],
                                                                                 [13, 23]]


def test_track_map_is_a_brain_visualization_of_the_tracks(clustered):
    done = api.map_tracks(clustered)
    assert done == dict(brain_key="face_identities_map", view="face_identities_track_map",
                        field="identities_tracks", num_tracks=3)
    spans = clustered.first().identities_tracks.detections
    assert sorted((d.support, d.label) for d in spans) == [
        ([1, 11], "id_000"), ([13, 23], "id_000"), ([13, 23], "id_001")]
    results = clustered.load_brain_results("face_identities_map")
    assert results.points.shape == (3, 2)
    view = clustered.load_saved_view("face_identities_track_map")
    labels = view.values("identities_tracks.label")
    assert sorted(labels) == ["id_000", "id_000", "id_001"]
    # the two Obama tracks lie closer to each other than to Biden
    pts = dict(zip(results.sample_ids, results.points))
    ids = view.values("id")
    a, b = [pts[i] for i, lab in zip(ids, labels) if lab == "id_000"]
    (c,) = [pts[i] for i, lab in zip(ids, labels) if lab == "id_001"]
    assert np.linalg.norm(a - b) < min(np.linalg.norm(a - c), np.linalg.norm(b - c))
    api.cluster_faces(clustered)  # a re-clustering keeps the map's view (it renews its own)
    assert "face_identities_track_map" in clustered.list_saved_views()
    api.rename_identity(clustered, "id_000", "Barack")
    api.map_tracks(clustered)  # again, after a correction: replaced, with the new names
    assert clustered.list_brain_runs() == ["face_identities_map"]
    assert sorted(clustered.load_saved_view("face_identities_track_map").values(
        "identities_tracks.label")) == ["Barack", "Barack", "id_001"]
    clustered.add_sample_field("mine", fo.EmbeddedDocumentField,
                               embedded_doc_type=fo.TemporalDetections)
    with pytest.raises(ValueError, match="overwrite"):
        api.map_tracks(clustered, tracks_field="mine")  # a user's own field is kept


def test_identity_colours_are_distinct_and_faces_hidden(clustered):
    def colours():
        scheme = clustered.app_config.color_scheme
        (entry,) = [f for f in scheme.fields if f["path"] == "frames.identities"]
        return {c["value"]: c["color"] for c in entry["valueColors"]}

    first = colours()
    assert first["id_000"] != first["id_001"]
    assert first[fo_io.UNKNOWN] == fo_io.UNKNOWN_COLOR
    assert fo_io.UNKNOWN_COLOR not in (first["id_000"], first["id_001"])
    active = clustered.app_config.active_fields
    assert not active.exclude and "frames.identities" in active.paths
    assert "frames.faces" not in active.paths and "shots" in active.paths
    api.rename_identity(clustered, "id_000", "Barack")
    assert colours()["Barack"] == first["id_000"]  # a rename keeps the colour
    assert len(set(fo_io.IDENTITY_COLORS)) == len(fo_io.IDENTITY_COLORS)


def test_identities_across_videos(dataset, two_shot_video):
    """One clustering over two videos: an identity's cards, tracks and clips span both."""
    add_videos(dataset, two_shot_video, two_shot_video)
    api.find_identities(dataset, frame_stride=2, scope="collection")
    rows = api.list_identities(dataset)
    assert [(r["tracks"], r["faces"], r["videos"]) for r in rows] == [(4, 24, 2), (2, 12, 2)]
    assert rows[0]["seconds"] == pytest.approx(2 * 22 / 25)
    tracks = api.identity_tracks(dataset, rows[0]["id"])
    assert len({t["sample_id"] for t in tracks}) == 2
    clips = api.identity_clips(dataset, rows[0]["id"], gap=0)
    assert len(clips) == 4 and len(set(clips.values("sample_id"))) == 2
    assert api.map_tracks(dataset)["num_tracks"] == 6
