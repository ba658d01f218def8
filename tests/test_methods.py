"""Clustering methods are config classes: a new one is one file, and the CLI, the operators
and the library find it through the registry."""
import dataclasses
from typing import ClassVar

import numpy as np
import pytest

from fiftyone_plugin.clustering import cluster, make_method, method_names
from fiftyone_plugin.clustering.methods import ClusteringMethod, option, register_method
from fiftyone_plugin.registry import CLUSTERING_METHODS


@pytest.fixture
def toy_method():
    @register_method
    @dataclasses.dataclass
    class EveryTrackAlone(ClusteringMethod):
        """What a new method's file holds: a name, a label, its parameters, ``__call__``."""

        name: ClassVar[str] = "every_track_alone"
        label: ClassVar[str] = "Every track its own identity (toy)"

        offset: int = option(0, "Label offset", "added to every label", int)

        def __call__(self, faces, cannot_link=None):
            return np.arange(len(faces)) + self.offset

    try:
        yield EveryTrackAlone
    finally:
        CLUSTERING_METHODS._module_dict.pop("every_track_alone")


def test_a_registered_method_reaches_the_library_cli_and_operator(toy_method):
    from fiftyone_plugin.cli import build_parser
    from fiftyone_plugin.operators import ClusterFaces, FindIdentities

    assert "every_track_alone" in method_names()
    faces = [np.ones((2, 4), np.float32)] * 3
    assert cluster(faces, "every_track_alone", offset=2).tolist() == [2, 3, 4]
    args = build_parser().parse_args(["cluster", "--dataset", "d", "--method",
                                      "every_track_alone", "--offset", "5"])
    assert args.method == "every_track_alone" and args.offset == 5
    from fiftyone.operators.executor import ExecutionContext

    ctx = ExecutionContext(request_params=dict(params=dict(method="every_track_alone")))
    for op in (ClusterFaces(), FindIdentities()):
        props = op.resolve_input(ctx).type.properties
        assert "every_track_alone" in props["method"].type.values
        assert "offset" in props  # the chosen method's own option
    # a parameter the method does not take is refused, not ignored
    with pytest.raises(ValueError, match="takes no 'threshold'"):
        make_method("every_track_alone", threshold=0.3)


def test_method_configs_hold_their_defaults_and_checks():
    assert method_names()[0] == "parameter_free"
    assert set(method_names()) >= {"parameter_free", "c1c", "finch", "hac_k", "hac_threshold"}
    assert make_method("hac_threshold", threshold=0.4).settings() == dict(threshold=0.4,
                                                                          linkage="average")
    assert make_method("c1c").settings()["partition"] == "auto"
    assert "n_clusters" not in make_method("c1c").settings()  # unset: not stored
    # None is a value for a parameter the method takes (no floor), "not given" otherwise
    assert make_method("parameter_free", floor=None).floor is None
    assert make_method("parameter_free", threshold=None).floor == "impostor"
    with pytest.raises(ValueError, match="needs n_clusters"):
        make_method("hac_k")
    with pytest.raises(ValueError, match="unknown clustering method"):
        make_method("kmeans")
