# VideoClusterNet adaptation of the whole SFace backbone (as in the paper), for a GPU:
# 200 head-only iterations, then 2 x (coarse track matching + 200 joint iterations),
# 32 pairs per iteration.
_base_ = [
    './_base_/models/vcn_sface.py',
    './_base_/datasets/track_pairs.py',
    './_base_/schedules/adamw_600it.py',
    './_base_/default_runtime.py',
]
custom_hooks = [
    dict(type='TrackMatchingHook', warmup_iters=200, iters_per_round=200),
    dict(type='FaceEmbeddingExportHook', name='adapted'),
]
