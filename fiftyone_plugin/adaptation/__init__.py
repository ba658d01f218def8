"""VideoClusterNet self-supervised adaptation on MMEngine: a dataset of positive face pairs
from the crop store, a student/teacher model, coarse track matching, the alternating loop
and a runner. Importing this package registers all of them (``custom_imports``)."""
from . import datasets, hooks, loops, optim, runner, transforms  # noqa: F401  (registration)
from .models import dino_head, vcn  # noqa: F401
