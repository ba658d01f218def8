# 200 head-only iterations, then 2 rounds of coarse matching + 200 joint iterations.
_base_ = ['./adamw_400it.py']
train_cfg = dict(warmup_iters=200, iters_per_round=200)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=600, eta_min_ratio=0.1),
]
