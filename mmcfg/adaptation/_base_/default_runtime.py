# Runtime shared by the adaptation configs (OpenMMLab layout: runtime / model / data / schedule).
default_scope = 'fiftyone_plugin'
custom_imports = dict(imports=['fiftyone_plugin.adaptation'], allow_failed_imports=False)
runner_type = 'AdaptationRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=200, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
log_processor = dict(by_epoch=False, window_size=20)
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork'),
               dist_cfg=dict(backend='nccl'))
# the frozen-backbone warm-up leaves parameters without gradients under DDP
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
