# 400 iterations: with the model's TrackMatchingHook, 100 head-only, then 2 rounds of
# coarse matching + 150 joint iterations.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400)
# lr 1e-3 for the head, 1e-5 for the pretrained backbone (project default, DINO-style)
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='StudentOptimWrapperConstructor',  # the EMA teacher is not optimised
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.04),
    paramwise_cfg=dict(custom_keys={'student.backbone': dict(lr_mult=0.01)}),
    clip_grad=dict(max_norm=3.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=400, eta_min_ratio=0.1),
]
