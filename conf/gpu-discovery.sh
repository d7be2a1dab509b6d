#!/usr/bin/env bash
# Spark GPU discovery script (spark.worker.resource.gpu.discoveryScript and
# spark.executor.resource.gpu.discoveryScript): prints the GPUs this host has as
#   {"name": "gpu", "addresses": ["0", "1", ...]}
# using nvidia-smi; no GPU (or no nvidia-smi) gives an empty list.
set -euo pipefail
ids=""
if command -v nvidia-smi >/dev/null 2>&1; then
  ids=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | grep -E '^[0-9]+$' \
    | sed 's/.*/"&"/' | paste -sd, - || true)
fi
echo "{\"name\": \"gpu\", \"addresses\": [${ids}]}"
