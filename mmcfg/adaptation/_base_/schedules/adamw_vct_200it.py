# AdamW 1e-4, weight decay 0.05, 10 % linear warm-up then cosine (project defaults).
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    clip_grad=dict(max_norm=3.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=200, eta_min_ratio=0.01),
]
