# YuNet-n at YuNet's own working scale: frames are resized to fit 640x640 (keep ratio;
# 1280x720 -> 640x360) and boxes/landmarks are mapped back to frame pixels. The default
# detector: 4x fewer pixels than 720p, and at 640 YuNet still finds faces down to ~10 px
# (20 px in a 720p frame, the clustering's minimum face size). For smaller faces use the
# native-resolution config `yunet_n_2023mar_widerface.py`.
_base_ = './yunet_n_2023mar_widerface.py'

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(640, 640), keep_ratio=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
