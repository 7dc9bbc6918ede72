#!/usr/bin/env bash
# The CUDA backend (-Pcuda, nd4j-cuda-11.6) checked on a GPU machine in one go: parity with the
# reference fixtures at the float32 tolerances and the hand-written step against SameDiff, then
# the vit-b-224 training-step benchmark with the GPU's peak memory.
#
#   mae-model/cuda-check.sh                  # needs CUDA 11.6 + cuDNN 8.3 and nvidia-smi
#   CONFIGS=fmnist-28 VARIANTS=asym,full mae-model/cuda-check.sh
#
# Prints the tests' result, the BENCH line(s) and `GPU peak_mem_mib=<n>`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

mvn -B -ntp -Pcuda -pl mae-model -am test -Dtest='ParityTest,MaeStepTest' \
  -Dsurefire.failIfNoSpecifiedTests=false

samples="$(mktemp)"
trap 'rm -f "$samples"' EXIT
# memory.used of GPU 0 once a second while the benchmark runs; the peak is reported
(while true; do
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 >>"$samples"
  sleep 1
done) &
sampler=$!
MVN_ARGS=-Pcuda CONFIGS="${CONFIGS:-vit-b-224}" VARIANTS="${VARIANTS:-asym}" REF="${REF:-none}" \
  mae-model/bench.sh
kill "$sampler"
echo "GPU peak_mem_mib=$(sort -n "$samples" | tail -1)"
