# VideoClusterNet on SFace (128-D). Values the paper leaves open are DINO's defaults
# (docs/methods.md section 4), marked "project default".
custom_hooks = [
    # the schedule: head-only warm-up, then rounds of coarse track matching + joint
    # fine-tuning until train_cfg.max_iters. VideoClusterNet's Gaussian rule (its arguments:
    # fraction=0.25, pca_dim=32, eps=1e-2, mutual=False); method='parameter_free' is the
    # project alternative
    dict(type='TrackMatchingHook', warmup_iters=100, iters_per_round=150,
         faces_per_track=16, matching=dict(method='gaussian')),
    # when training ends: every face re-embedded by the adapted teacher, stored next to the
    # original embeddings as 'adapted'; backbone.pth and head.pth in the work dir
    dict(type='FaceEmbeddingExportHook', name='adapted'),
]
model = dict(
    type='VideoClusterNet',
    backbone=dict(type='SFace'),
    pretrained='sface',  # converted OpenCV Zoo weights (`vfc weights fetch`), or a .pth path
    neck=dict(
        type='DINONeck',
        in_channels=128,
        hidden_channels=2048,  # project default (DINO)
        bottleneck_channels=256,  # project default (DINO)
        out_channels=4096,  # project default: DINO's per-video size
        num_layers=3),
    head=dict(
        type='DINOHead',  # the loss; keeps the running centre of the teacher's logits
        student_temp=0.1,  # project default (DINO)
        teacher_temp=0.04,  # project default (DINO)
        center_momentum=0.9),  # project default (DINO)
    ema_momentum=0.004,  # mmengine convention (weight of the student): DINO's 0.996
    backbone_eval=True,  # project default: BN statistics and dropout stay frozen
    frozen_layers=0)  # 0: the whole backbone fine-tunes, as in the paper
