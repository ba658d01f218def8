# 600 iterations: with 200 head-only and 200 per round (vcn_sface_full_600it_pervideo.py
# sets them on the TrackMatchingHook), 2 rounds of coarse matching + 200 joint iterations.
_base_ = ['./adamw_400it.py']
train_cfg = dict(max_iters=600)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=600, eta_min_ratio=0.1),
]
