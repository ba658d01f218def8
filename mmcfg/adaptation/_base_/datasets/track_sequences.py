# Two temporal views of each track's stored frame embeddings. `data_source` names the
# FiftyOne dataset (the runner fills `data_root` and `keys`); `tracks_file` takes
# precomputed features instead (features-only protocol).
data_source = None  # e.g. dict(dataset='my-videos', store_dir=None)
train_dataloader = dict(
    batch_size=32,  # items (tracks) per iteration; a track drawn twice is no negative
    num_workers=0,  # views are cheap slices of small arrays
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='TrackSequenceDataset',
        data_root='',
        keys=None,
        embeddings=None,  # the original SFace embeddings; 'adapted' after VCN adaptation
        quality=None,  # QualityRules defaults: the tracks that get clustered
        num_frames=16,
        crop=(0.5, 1.0),  # temporal crop, fraction of the track
        drop_prob=0.1,
        noise_std=0.01,
        repeats=100,
        # a person's other tracks are no negatives: tracks the parameter-free clustering
        # links on their temporal averages share a group (project choice; False = every
        # track its own, pure instance discrimination, far worse: BENCHMARKS.md)
        link_tracks=True,
        seed=0))
