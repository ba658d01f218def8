"""``torchrun`` entry for the distributed test: mmengine's ``pytorch`` launcher calls
``torch.cuda.set_device`` unconditionally, which a CPU build lacks; everything else (process
group on gloo, DDP wrapper, sharded sampler, centre all-reduce, rank-0 export) is real."""
import sys

import torch

torch.cuda.set_device = lambda *args, **kwargs: None

from fiftyone_plugin.adaptation.train import main  # noqa: E402

main(sys.argv[1:])
