# The paper's ablation CT-TRSF: the same transformer without a video token, trained
# clip against clip (mean of a clip's frame tokens), no video-to-frame term.
_base_ = ['./vct_videocentral_sface_200it_pervideo.py']
model = dict(objective='clip_centralised')
custom_hooks = [dict(type='TrackEmbeddingExportHook', name='vct_ct')]
