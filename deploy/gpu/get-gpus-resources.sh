#!/usr/bin/env bash
# Spark GPU discovery script (spark.{driver,executor}.resource.gpu.discoveryScript): prints the
# GPUs this container or host can see as Spark's ResourceInformation JSON, e.g.
#   {"name": "gpu", "addresses": ["0", "1"]}
# Spark then hands each task the address(es) it was given; ND4J's CUDA backend uses the device
# that CUDA_VISIBLE_DEVICES / the container runtime exposes.
set -euo pipefail
command -v nvidia-smi >/dev/null || {
  echo "get-gpus-resources.sh: nvidia-smi not found; no NVIDIA driver in this container/host" >&2
  exit 1
}
addresses="$(nvidia-smi --query-gpu=index --format=csv,noheader | sed 's/ //g; s/.*/"&"/' | paste -sd, -)"
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
