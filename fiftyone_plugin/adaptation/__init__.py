"""Self-supervised adaptation on MMEngine. VideoClusterNet: a dataset of positive face pairs
from the crop store, a student/teacher model, coarse track matching and the hook that
alternates it with training.
VCT: a dataset of temporal views of track embeddings and a track transformer. One runner
for both. Importing this package registers all of them (``custom_imports``)."""
from . import datasets, hooks, optim, runner, transforms  # noqa: F401  (registration)
from .models import dino, vcn, vct  # noqa: F401
