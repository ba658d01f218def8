"""Train an adaptation from a config, the OpenMMLab way.

Examples::

    python -m fiftyone_plugin.adaptation.train mmcfg/adaptation/vcn_sface_tail4_400it_pervideo.py \\
        --dataset my-videos
    python -m fiftyone_plugin.adaptation.train CONFIG \\
        --cfg-options train_dataloader.dataset.data_root=/path/to/store train_cfg.max_iters=550
    torchrun --nproc_per_node 4 -m fiftyone_plugin.adaptation.train CONFIG \\
        --dataset my-videos --launcher pytorch
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from mmengine.config import Config, DictAction

REPO_CONFIGS = Path(__file__).resolve().parents[2] / "mmcfg" / "adaptation"
DEFAULT_CONFIG = REPO_CONFIGS / "vcn_sface_tail4_400it_pervideo.py"


def load_config(config: str | os.PathLike = DEFAULT_CONFIG, work_dir: str | None = None,
                dataset: str | None = None, store_dir: str | None = None,
                ids: list[str] | None = None, cfg_options: dict | None = None,
                resume: bool | str = False, launcher: str = "none") -> Config:
    """The config with the command line's overrides applied (later wins)."""
    cfg = Config.fromfile(str(config))
    if dataset is not None:
        cfg.data_source = dict(dataset=dataset, store_dir=store_dir, ids=ids)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get("work_dir") is None:
        cfg.work_dir = str(Path("work_dirs") / Path(config).stem)
    if resume:
        cfg.resume = True
        cfg.load_from = None if resume is True else str(resume)
    return cfg


def build_runner(cfg: Config):
    """``RUNNERS.build`` when the config names a ``runner_type``, else ``Runner.from_cfg``.

    The runner type is looked up in the config's own scope, whatever scope is current
    (``mmdet.apis`` leaves ``mmdet`` current after building a detector)."""
    from mmengine.runner import Runner

    from ..registry import RUNNERS, SCOPE

    if "runner_type" not in cfg:
        return Runner.from_cfg(cfg)
    cfg = cfg.copy()
    cfg["_scope_"] = cfg.get("default_scope", SCOPE)
    return RUNNERS.build(cfg)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Adapt a face model to videos (MMEngine)")
    p.add_argument("config", help="config file, e.g. mmcfg/adaptation/vcn_sface_*.py")
    p.add_argument("--dataset", help="FiftyOne dataset whose stored faces to train on")
    p.add_argument("--store-dir", help="face-store folder (default: the dataset's)")
    p.add_argument("--work-dir", help="where logs and checkpoints go")
    p.add_argument("--resume", nargs="?", const=True, default=False,
                   help="resume from the latest checkpoint in work_dir, or from a given one")
    p.add_argument("--cfg-options", nargs="+", action=DictAction,
                   help="override config keys, e.g. train_cfg.max_iters=550")
    p.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none")
    p.add_argument("--local_rank", "--local-rank", type=int, default=0)
    args = p.parse_args(argv)
    os.environ.setdefault("LOCAL_RANK", str(args.local_rank))
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = load_config(args.config, args.work_dir, args.dataset, args.store_dir,
                      cfg_options=args.cfg_options, resume=args.resume,
                      launcher=args.launcher)
    build_runner(cfg).train()


if __name__ == "__main__":
    main()
