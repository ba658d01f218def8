"""Importers on self-made fixtures in each dataset's exact file format."""
import pytest

from fiftyone_plugin.datasets import (kit_is_unknown, load_bauml_tracks, load_bcl_ids,
                                      load_easycom_boxes, load_kit_features, read_castlist)

from fixtures import formats as ff


def test_bauml_tracks_cast_before_arithmetic_and_castlist(tmp_path):
    ff.bauml_mat(tmp_path / "ep.facetracks.mat")
    ff.castlist(tmp_path / "ep.cast", ["leonard", "sheldon"])
    tracks = load_bauml_tracks(tmp_path / "ep.facetracks.mat",
                               read_castlist(tmp_path / "ep.cast"))
    assert [t.track_id for t in tracks] == [11, 12, 13]
    assert [t.identity for t in tracks] == ["leonard", "sheldon", "unknown_9"]
    right = tracks[0].boxes[:, 0] + tracks[0].boxes[:, 2]
    assert right.tolist() == [300.0, 301.0]  # uint8 arithmetic would give 44, 45
    assert tracks[1].frames.tolist() == [2, 3, 4] and tracks[2].frames.tolist() == [5]
    assert tracks[0].frame_size == (1024, 576)
    shifted = load_bauml_tracks(tmp_path / "ep.facetracks.mat", frame_offset=1)
    assert shifted[0].frames.tolist() == [2, 3] and shifted[0].identity == "1"


def test_bauml_bad_file_is_a_clear_error(tmp_path):
    (tmp_path / "x.mat").write_text("not matlab")
    with pytest.raises(ValueError, match="cannot read"):
        load_bauml_tracks(tmp_path / "x.mat")


def test_bcl_ids_with_features(tmp_path):
    ids_path, feats, labels = ff.bcl(tmp_path)
    data = load_bcl_ids(ids_path, feats)
    assert data.track_ids == list(labels) and data.labels == list(labels.values())
    assert [f.shape for f in data.features] == [(3, 16), (4, 16), (5, 16), (6, 16)]
    assert load_bcl_ids(ids_path).features == []
    (tmp_path / "bad.ids").write_text("5 leonard\n")
    with pytest.raises(ValueError, match="CVHCI_TRACKLABELS_V1"):
        load_bcl_ids(tmp_path / "bad.ids")
    (feats / "17.npy").unlink()
    with pytest.raises(FileNotFoundError, match="17"):
        load_bcl_ids(ids_path, feats)


def test_kit_v5_unpads_frames(tmp_path):
    ff.kit_v5(tmp_path / "bbt_s01e01_features_VGG2.mat")
    data = load_kit_features(tmp_path / "bbt_s01e01_features_VGG2.mat")
    assert len(data) == 12 and data.track_ids[0] == 100
    assert [len(f) for f in data.features] == ff.KIT_FRAMES
    assert data.features[2][:, 0].tolist() == [3, 4, 5, 6]  # no zero padding left
    assert data.labels == [str(v) for v in ff.KIT_LABELS]
    unknown = kit_is_unknown(data.labels)
    assert [unknown(v) for v in ("1", "2", "3", "5")] == [False, True, False, True]


def test_kit_v73_hdf5(tmp_path):
    ff.kit_v73(tmp_path / "tracks.mat")
    data = load_kit_features(tmp_path / "tracks.mat")
    assert [len(f) for f in data.features] == ff.KIT_FRAMES
    assert data.features[3][0, 0] == 4.0  # crop 0 (crop 1 is negated)
    assert load_kit_features(tmp_path / "tracks.mat", crop=1).features[3][0, 0] == -4.0
    assert data.labels[:3] == ["name1", "name1", "name3"] and data.track_ids[-1] == 111


def test_easycom_boxes_link_and_break_tracks(tmp_path):
    boxes = ff.easycom(tmp_path)
    path = tmp_path / "Main/Face_Bounding_Boxes/Session_4/00-00-000.json"
    tracks = load_easycom_boxes(path, 4, (64, 48), max_gap=5)
    # participant 1: frames 1-12 minus unannotated frame 3 -> one track (gap of 1)
    # participant 3: frames 1-2 and 11-12 (gap of 8 > 5) -> two tracks
    assert [(t.identity, t.frames.tolist()) for t in tracks] == [
        ("S04_P1", [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]), ("S04_P3", [1, 2]),
        ("S04_P3", [11, 12])]
    assert tracks[0].boxes[0].tolist() == [4, 10, 16, 20]  # x1..y2 -> x, y, w, h
    assert len({t.track_id for t in tracks}) == 3
    assert len(load_easycom_boxes(path, 4, (64, 48), max_gap=10)) == 2
    (tmp_path / "bad.json").write_text('[{"Participants": []}]')
    with pytest.raises(ValueError, match="Frame_Number"):
        load_easycom_boxes(tmp_path / "bad.json", 4, (64, 48))
    assert boxes  # fixture wrote both segments
