"""Clustering methods as config classes: one file per method, found by the registry.

A method is a dataclass on :class:`ClusteringMethod` whose fields are its parameters (with
defaults) and whose ``__call__`` clusters tracks. Its ``name``, ``label`` and the fields'
metadata are all the CLI, the operators and the library need: the choices of ``--method``
and of the form, the options they show, and the checks of the arguments are derived from
:data:`~fiftyone_plugin.registry.CLUSTERING_METHODS`. Adding a method is adding one module
here (importing this package imports every module in it).
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any, ClassVar

import numpy as np

from ...registry import CLUSTERING_METHODS

DEFAULT_METHOD = "parameter_free"
# SFace's published verification threshold (cosine similarity 0.363) as a distance
DEFAULT_HAC_THRESHOLD = 1.0 - 0.363


def option(default: Any, label: str, help: str, kind: type | None = None):  # noqa: A002
    """A method parameter. Parameters with a ``kind`` (``int``, ``float``, ``str``) are the
    user's: the CLI and the forms offer them; the others are the algorithm's own knobs."""
    return dataclasses.field(default=default,
                             metadata=dict(label=label, help=help, kind=kind))


@dataclasses.dataclass
class ClusteringMethod:
    """Base of every method: its parameters are the dataclass fields.

    Class attributes:
        name: The registry key (``--method`` value).
        label: One line for menus.
        needs_k: True when ``n_clusters`` must be given.
        verification_field: The parameter that takes the embedding model's own verification
            distance when the caller has not set it (``None``: none does).
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    needs_k: ClassVar[bool] = False
    verification_field: ClassVar[str | None] = None

    def __call__(self, faces: list[np.ndarray], cannot_link=None) -> np.ndarray:
        """Per track, its ``(n, D)`` face embeddings → ``(N,)`` labels ``0..K-1``."""
        raise NotImplementedError

    def validate(self) -> None:
        if self.needs_k and getattr(self, "n_clusters", None) is None:
            raise ValueError(f"method {self.name!r} needs n_clusters, the known number of "
                             "identities")

    def settings(self) -> dict:
        """The parameters that are set and JSON-able (not a distance object), as stored in
        a run's config."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if isinstance(getattr(self, f.name), (int, float, str, bool))}

    @classmethod
    def user_options(cls) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cls) if f.metadata.get("kind")]


def register_method(cls: type[ClusteringMethod]) -> type[ClusteringMethod]:
    """Class decorator: registers a method under its ``name``."""
    CLUSTERING_METHODS.register_module(name=cls.name, module=cls)
    return cls


def method_names() -> list[str]:
    """Registered method names, the default first."""
    names = sorted(CLUSTERING_METHODS.module_dict)
    return sorted(names, key=lambda n: n != DEFAULT_METHOD)


def method_class(name: str) -> type[ClusteringMethod]:
    cls = CLUSTERING_METHODS.get(name)
    if cls is None:
        raise ValueError(f"unknown clustering method {name!r}; choose from {method_names()}")
    return cls


def make_method(name: str = DEFAULT_METHOD, **params) -> ClusteringMethod:
    """The method ``name`` with ``params``. A parameter the method takes keeps the value
    given, ``None`` included (``floor=None`` means no floor); one it does not take is an
    error unless its value is ``None`` (not given: forms and the CLI pass every option).

    Raises:
        ValueError: An unknown method, a parameter the method does not take, or a missing K.
    """
    cls = method_class(name)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(k for k, v in params.items() if k not in known and v is not None)
    if unknown:
        raise ValueError(f"method {name!r} takes no {', '.join(map(repr, unknown))}; "
                         f"its parameters: {sorted(known)}")
    method = cls(**{k: v for k, v in params.items() if k in known})
    method.validate()
    return method


def user_options() -> dict[str, tuple[dataclasses.Field, list[str]]]:
    """Every user-facing parameter over all methods: ``{name: (field, methods taking it)}``
    (what the CLI and the forms offer)."""
    out: dict[str, tuple[dataclasses.Field, list[str]]] = {}
    for name in method_names():
        for f in method_class(name).user_options():
            out.setdefault(f.name, (f, []))[1].append(name)
    return out


# every module here is a method: importing them registers them (after the base is defined)
for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["DEFAULT_HAC_THRESHOLD", "DEFAULT_METHOD", "ClusteringMethod", "make_method",
           "method_class", "method_names", "option", "register_method", "user_options"]
