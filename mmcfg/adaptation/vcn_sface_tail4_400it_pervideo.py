# The default: VideoClusterNet adaptation sized for a 2-core CPU. The first 23 of SFace's
# 27 conv units stay frozen (computed once per face, shared by student and teacher), the
# last 4 units and the embedding layers fine-tune with the head: 100 head-only iterations,
# then 2 x (coarse track matching + 150 joint iterations), 16 pairs per iteration.
_base_ = [
    './_base_/models/vcn_sface.py',
    './_base_/datasets/track_pairs.py',
    './_base_/schedules/adamw_400it.py',
    './_base_/default_runtime.py',
]
model = dict(frozen_layers=23)
train_dataloader = dict(batch_size=16)
