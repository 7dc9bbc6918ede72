#!/usr/bin/env bash
# Training-step benchmark (forward + backward + AdamW) of the DL4J MAE, interleaved with the
# PyTorch reference (bench_ref.py) on the same machine in the same run, with the ratios.
#
#   mae-model/bench.sh                       # every config, both variants, with the reference
#   CONFIGS=fmnist-28 VARIANTS=asym mae-model/bench.sh
#   REF=none mae-model/bench.sh              # DL4J only
#   REF=/path/to/shared/reference ...        # default: ../shared/reference beside the checkout
#   ND4J_CLASSIFIER=linux-x86_64-onednn-avx2 # another nd4j-native build (must be in ~/.m2)
#   MVN_ARGS=-Pcuda                          # another backend (see cuda-check.sh)
#   JAVA_OPTS=...                            # extra JVM options of the DL4J runs
#   BLAS=openblas                            # the host's libopenblas.so.0 instead of ND4J's own (MAE_BLAS)
#   SIMD=off                                 # the step's element loops without the JDK's vector API
#
# Prints one line per measurement:
#   BENCH config=<name> variant=<asym|full> batch=<n> img_per_s=<x> peak_rss_mib=<y> ...
#   REF   config=<name> variant=<asym|full> batch=<n> img_per_s=<x> peak_rss_mib=<y>
#   RATIO config=<name> variant=<asym|full> dl4j/ref=<r> per_cpu_s=<images per CPU-second ratio>
# and the asymmetric speedup (asym img/s / full img/s) of both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
CONFIGS="${CONFIGS:-tiny-32,fmnist-28,vit-b-224}"
VARIANTS="${VARIANTS:-asym,full}"
REF="${REF:-$root/../shared/reference}"
THREADS="${THREADS:-$(nproc)}"
BLAS="${BLAS:-bundled}"
blas_opt=""
# SIMD=off: the scalar element loops (a JVM without the vector module), for before/after figures
simd_opt="--add-modules=jdk.incubator.vector"
[[ "${SIMD:-on}" == off ]] && simd_opt=""
[[ "$BLAS" == bundled ]] || blas_opt="-Dorg.bytedeco.openblas.load=$BLAS"
# 2-core machines: OpenMP threads must not spin against OpenBLAS's (bench_ref notes)
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# and OpenBLAS's (both sides) sleep after a gemm instead of spinning in sched_yield (README "Threads")
export OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$THREADS}"
# the DL4J runs get the OpenBLAS core bin/mae pins on AMD Zen 5 (deploy/bin/openblas-core); the
# reference keeps what its own OpenBLAS picks
core="$(deploy/bin/openblas-core)"
dl4j_env=()
[[ -z "$core" ]] || dl4j_env=(env OPENBLAS_CORETYPE="$core")

# the bench mains live in the test source set, so they stay out of the application jar
mvn -B -ntp -q ${MVN_ARGS:-} -pl mae-model -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/classpath.txt >/dev/null
cp="mae-model/target/test-classes:mae-model/target/classes:$(cat mae-model/target/classpath.txt)"
if [[ -n "${ND4J_CLASSIFIER:-}" ]]; then
  cp="${cp//nd4j-native-1.0.0-M2.1-linux-x86_64.jar/nd4j-native-1.0.0-M2.1-$ND4J_CLASSIFIER.jar}"
fi

declare -A ours theirs
for config in ${CONFIGS//,/ }; do
  for variant in ${VARIANTS//,/ }; do
    line="$("${dl4j_env[@]}" java -Xmx8g $simd_opt $blas_opt ${JAVA_OPTS:-} -cp "$cp" org.maespark.model.bench.TrainStepBench "$config:$variant" \
      | grep '^BENCH ')"
    echo "$line"
    ours[$config:$variant]="$(sed -E 's/.*img_per_s=([0-9.]+).*/\1/' <<<"$line")"
    if [[ "$REF" != none ]]; then
      ref="$(/usr/bin/python3 "$REF/bench_ref.py" --threads "$THREADS" --one "$config" "$variant" \
        | grep '^RESULT ' | cut -c8-)"
      read -r batch ips rss cpu < <(/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["batch"], "%.2f" % r["img_per_s"], "%.0f" % r["peak_rss_mib"], "%.2f" % r["img_per_cpu_s"])' "$ref")
      echo "REF   config=$config variant=$variant batch=$batch img_per_s=$ips peak_rss_mib=$rss img_per_cpu_s=$cpu"
      theirs[$config:$variant]="$ips"
      ourcpu="$(sed -E 's/.*img_per_cpu_s=([0-9.]+).*/\1/' <<<"$line")"
      # img per own CPU-second is the figure least disturbed by other jobs on the machine
      echo "RATIO config=$config variant=$variant dl4j/ref=$(/usr/bin/python3 -c "print('%.2f' % (${ours[$config:$variant]} / $ips))") per_cpu_s=$(/usr/bin/python3 -c "print('%.2f' % ($ourcpu / $cpu))")"
    fi
  done
  if [[ -n "${ours[$config:asym]:-}" && -n "${ours[$config:full]:-}" ]]; then
    s="$(/usr/bin/python3 -c "print('%.2f' % (${ours[$config:asym]} / ${ours[$config:full]}))")"
    r=""
    if [[ -n "${theirs[$config:full]:-}" ]]; then
      r=" ref=$(/usr/bin/python3 -c "print('%.2f' % (${theirs[$config:asym]} / ${theirs[$config:full]}))")"
    fi
    echo "SPEEDUP config=$config asym/full dl4j=$s$r"
  fi
done
