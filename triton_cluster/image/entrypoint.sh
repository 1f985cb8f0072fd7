#!/usr/bin/env bash
# Sync the model repository from S3, then run tritonserver in the foreground (PID 1's child via exec).
# Env: MODEL_REPOSITORY_S3_URI (required, s3://bucket/prefix), MODEL_REPOSITORY_DIR (default /models),
#      TRITON_EXTRA_ARGS (optional, e.g. "--model-control-mode=explicit --load-model=asr").
# The task role needs s3:ListBucket and s3:GetObject on that prefix only.
set -euo pipefail
: "${MODEL_REPOSITORY_S3_URI:?set MODEL_REPOSITORY_S3_URI to s3://bucket/prefix of the model repository}"
MODEL_REPOSITORY_DIR="${MODEL_REPOSITORY_DIR:-/models}"
mkdir -p "$MODEL_REPOSITORY_DIR"
echo "syncing $MODEL_REPOSITORY_S3_URI -> $MODEL_REPOSITORY_DIR"
aws s3 sync --only-show-errors --delete "$MODEL_REPOSITORY_S3_URI" "$MODEL_REPOSITORY_DIR"
# S3 has no symlinks: a version directory without model.py reuses version 1's (as tts/2 does locally).
for version_dir in "$MODEL_REPOSITORY_DIR"/*/[0-9]*/; do
  model_dir="$(dirname "$version_dir")"
  if [ ! -e "$version_dir/model.py" ] && [ -e "$model_dir/1/model.py" ]; then
    cp "$model_dir/1/model.py" "$version_dir/model.py"
  fi
done
# shellcheck disable=SC2086  # TRITON_EXTRA_ARGS is a list of flags
exec tritonserver --model-repository="$MODEL_REPOSITORY_DIR" --exit-on-error=true --strict-readiness=true \
  --http-port=8000 --grpc-port=8001 --metrics-port=8002 ${TRITON_EXTRA_ARGS:-}
