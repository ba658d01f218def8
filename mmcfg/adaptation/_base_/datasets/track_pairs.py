# Positive pairs from the face store of one FiftyOne dataset. `data_source` names the
# dataset (the runner fills `data_root` and `keys`); the operator and `vfc adapt` set it.
data_source = None  # e.g. dict(dataset='my-videos', store_dir=None)
train_pipeline = [
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomRotate', max_angle=15.0),  # project default
    dict(type='ColorTemperature', max_shift=0.15),  # project default
]
train_dataloader = dict(
    batch_size=32,  # pairs per iteration, project default
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='TrackPairDataset',
        data_root='',
        keys=None,
        pipeline=train_pipeline,
        quality=None,  # QualityRules defaults: the tracks that get clustered
        cross_track_prob=0.5,  # project default
        seed=0))
