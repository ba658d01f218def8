"""Ground-truth importers as FiftyOne dataset importers, and the table of them.

Each format is one module with an importer (a ``GenericSampleDatasetImporter``: samples keep
their own fields and tags, such as ``episode`` or a split tag) and its dataset type, so
``fo.Dataset.from_dir(dataset_dir, dataset_type=...)`` works. :data:`IMPORTERS` is the table
the CLI (``vfc import``) and the ``import_ground_truth`` operator derive their choices and
options from: a new format is one module registered with :func:`register_importer`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import fiftyone.types as fot
import fiftyone.utils.data as foud

from .. import fo_io
from .tracks import GroundTruthTrack, tracks_to_frames


@dataclass(frozen=True)
class ImportOption:
    """One constructor argument of an importer, as the CLI and the form show it."""

    name: str
    kind: type  # str, int, or list (of ints or strings: ``item``)
    help: str
    item: type = str


@dataclass
class PlannedVideo:
    """One video to import: its file, its sample fields and tags, its ground-truth tracks."""

    path: Path
    tracks: list[GroundTruthTrack]
    fields: dict
    tags: list[str]


class GroundTruthImporter(foud.GenericSampleDatasetImporter):
    """Base: :meth:`plan` reads and checks everything when the import starts (a clear error
    before any sample is added), then one sample per planned video with its tracks in
    ``frames.<gt_field>`` (label = identity, ``index`` = track id).

    Args:
        dataset_dir (str): The format's root folder (see the subclass).
        gt_field (str): Frame field for the ground truth. Defaults to ``"gt_faces"``.
        shuffle, seed, max_samples: FiftyOne's importer arguments.
    """

    NAME = ""  # the key in IMPORTERS (``vfc import NAME``)
    DATASET_DIR = ""  # what dataset_dir is, for help texts
    OPTIONS: tuple[ImportOption, ...] = ()

    def __init__(self, dataset_dir: str, gt_field: str = "gt_faces", shuffle: bool = False,
                 seed=None, max_samples: int | None = None) -> None:
        super().__init__(dataset_dir=dataset_dir, shuffle=shuffle, seed=seed,
                         max_samples=max_samples)
        self.gt_field = gt_field
        self.planned: list[PlannedVideo] = []
        self.summary: dict = {}
        self._iter = None

    def plan(self) -> tuple[list[PlannedVideo], dict]:
        """The videos to import and what was skipped (reported in :attr:`summary`)."""
        raise NotImplementedError

    def setup(self) -> None:
        self.planned, skipped = self.plan()
        if self.max_samples is not None:
            self.planned = self.planned[:self.max_samples]
        self.summary = dict(videos=len(self.planned),
                            tracks=sum(len(p.tracks) for p in self.planned),
                            faces=sum(len(t.frames) for p in self.planned for t in p.tracks),
                            **skipped)

    def __len__(self) -> int:
        return len(self.planned)

    def __iter__(self):
        self._iter = iter(self.planned)
        return self

    def __next__(self):
        import fiftyone as fo

        p = next(self._iter)
        sample = fo.Sample(filepath=str(p.path.resolve()), tags=list(p.tags), **p.fields)
        for number, detections in tracks_to_frames(p.tracks).items():
            sample.frames[number][self.gt_field] = detections
        return sample

    @property
    def has_dataset_info(self) -> bool:
        return False

    @property
    def has_sample_field_schema(self) -> bool:
        return False


IMPORTERS: dict[str, type[GroundTruthImporter]] = {}


def register_importer(cls: type[GroundTruthImporter]) -> type[GroundTruthImporter]:
    """Class decorator: lists an importer in :data:`IMPORTERS` under its ``NAME``."""
    IMPORTERS[cls.NAME] = cls
    return cls


def import_options() -> dict[str, tuple[ImportOption, list[str]]]:
    """``{option name: (ImportOption, formats taking it)}`` over every importer (what the
    CLI and the operator offer)."""
    out: dict = {}
    for name, cls in IMPORTERS.items():
        for opt in cls.OPTIONS:
            out.setdefault(opt.name, (opt, []))[1].append(name)
    return out


def dataset_type(importer_cls: type[GroundTruthImporter]) -> type[fot.Dataset]:
    """The FiftyOne dataset type whose importer is ``importer_cls``."""

    class _Type(fot.Dataset):
        def get_dataset_importer_cls(self):
            return importer_cls

    _Type.__name__ = _Type.__qualname__ = importer_cls.__name__.replace("Importer", "Dataset")
    _Type.__module__ = importer_cls.__module__
    _Type.__doc__ = f"Dataset type of :class:`{importer_cls.__name__}` (``from_dir``)."
    return _Type


def import_ground_truth(dataset, name: str, dataset_dir: str, gt_field: str = "gt_faces",
                        progress=None, **options) -> dict:
    """Add the videos of format ``name`` (a key of :data:`IMPORTERS`) to ``dataset`` with
    their ground truth in ``frames.<gt_field>``.

    Everything is read and checked before the first sample is added.

    Returns:
        dict: ``videos``, ``tracks``, ``faces`` and what was skipped.
    """
    if name not in IMPORTERS:
        raise ValueError(f"unknown ground-truth format {name!r}; choose from "
                         f"{sorted(IMPORTERS)}")
    if not dataset_dir:
        raise ValueError(f"{name} needs dataset_dir: {IMPORTERS[name].DATASET_DIR}")
    importer = IMPORTERS[name](dataset_dir, gt_field=gt_field, **options)
    dataset.add_importer(importer)
    fo_io.mark_field(dataset, f"frames.{fo_io.frame_field(gt_field)}", "ground_truth")
    if progress is not None:
        progress(1.0, f"imported {importer.summary['videos']} videos")
    return importer.summary
