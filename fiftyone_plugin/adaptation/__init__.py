"""Self-supervised adaptation on MMEngine. VideoClusterNet: a dataset of positive face pairs
from the crop store, a student/teacher model, coarse track matching, the alternating loop.
VCT: a dataset of temporal views of track embeddings and a track transformer. One runner
for both. Importing this package registers all of them (``custom_imports``)."""
from . import datasets, hooks, loops, optim, runner, transforms  # noqa: F401  (registration)
from .models import dino_head, vcn, vct  # noqa: F401
