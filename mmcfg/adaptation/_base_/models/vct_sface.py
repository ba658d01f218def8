# VCT-style track transformer on SFace frame embeddings (128-d). Every number is a project
# default (docs/methods.md section 5): the paper states none of them.
# when training ends: one vector per track, stored on every face of the track as 'vct'
custom_hooks = [dict(type='TrackEmbeddingExportHook', name='vct')]
model = dict(
    type='VCT',
    encoder=dict(
        type='TrackTransformer',
        in_channels=128,  # SFace
        embed_dims=256,
        num_layers=4,
        num_heads=8,
        mlp_ratio=4.0,
        dropout=0.1,
        max_len=64),  # longer tracks are embedded in chunks of 64, averaged
    head=dict(hidden_channels=256, out_channels=128),
    # 'video_centralised' (VC-TRSF), 'clip_centralised' (CT-TRSF), 'temporal_average'
    objective='video_centralised',
    temperature=0.1,
    frame_weight=1.0)  # video-to-frame term (lambda)
