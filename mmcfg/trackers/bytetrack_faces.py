# ByteTrack (mmdet's ByteTracker) driven by the face detector's boxes, reset at every shot cut.
# Thresholds are on the detector's face score; faces move less predictably than pedestrians,
# so the first-stage IoU gate is loose and lost tracks are kept for ~1 s at 25 fps.
tracker = dict(
    type='mmdet.ByteTracker',
    motion=dict(type='mmdet.KalmanFilter'),
    obj_score_thrs=dict(high=0.7, low=0.4),
    init_track_thr=0.75,
    weight_iou_with_det_scores=True,
    match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
    num_tentatives=2,
    num_frames_retain=25)
