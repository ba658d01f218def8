# VCT-style video-centralised transformer (VC-TRSF), trained on one video's tracks
# (transductive, as the paper does): 200 iterations of 32 tracks, about 0.5 s each on
# 2 CPU cores.
# Exports one vector per track as the store embeddings 'vct' (every face of a track gets
# its track's vector), for every clustering method:
#   cluster_faces(dataset, embeddings='vct')
_base_ = [
    './_base_/models/vct_sface.py',
    './_base_/datasets/track_sequences.py',
    './_base_/schedules/adamw_vct_200it.py',
    './_base_/default_runtime.py',
]
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=False)
