#!/usr/bin/env bash
# What a Spark round costs: `pretrain` on local[2] (2 workers x 64) against a single-process fit
# of the same graph on minibatches of the same effective batch (128), same JVM settings. Each
# measurement runs in its own JVM (own peak RSS), repeated REPEATS times, interleaved; medians.
#
#   mae-spark-job/bench.sh                                  # fmnist-28, PA af 1 and 8, GS
#   CONFIGS=fmnist-28,tiny-32 RUNS=parameter_averaging:8 REPEATS=5 mae-spark-job/bench.sh
#
# Prints per run BENCH_RUN / BENCH_SINGLE lines, then per configuration and trainer:
#   BENCH_SPARK config=<name> trainer=<parameter_averaging|gradient_sharing> af=<n>
#               img_per_s=<x> single_img_per_s=<y> ratio=<x/y> peak_rss_mib=<z>
# Gradient sharing binds fixed UDP ports: on a shared machine run it under the lock the tests use.
#
#   WHAT=eval mae-spark-job/bench.sh    # evaluation instead (org.maespark.eval.EvalBench):
#   BENCH what=features ... img_per_s=..; BENCH what=knn train=<n> ... seconds=.. (README Evaluation)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
CONFIGS="${CONFIGS:-fmnist-28}"
RUNS="${RUNS:-parameter_averaging:1,parameter_averaging:8,gradient_sharing:1}"
REPEATS="${REPEATS:-3}"
export BENCH_DIR="${BENCH_DIR:-$root/mae-spark-job/target/spark-bench}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
HEAP="${HEAP:-3g}"
# CLASSES=<dir> runs another build's compiled classes (<dir>/<module>/target/classes), e.g. a
# copy of main's, against this checkout's bench: a before/after comparison in one session
CLASSES="${CLASSES:-$root}"
JAVA_OPTS="${JAVA_OPTS:-}"

# the bench main lives in the test source set, so it stays out of the application jar
if [[ -z "${SKIP_BUILD:-}" ]]; then # SKIP_BUILD=1: run what is compiled already
  mvn -B -ntp -q -pl mae-spark-job -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/classpath.txt >/dev/null
fi
cp="$root/mae-spark-job/target/test-classes:$CLASSES/mae-spark-job/target/classes"
for m in mae-conf mae-model data-prep; do cp="$cp:$CLASSES/$m/target/classes"; done
cp="$cp:$(cat mae-spark-job/target/classpath.txt)"
cd mae-spark-job # the bench reads the Fashion-MNIST sample as the tests do (../samples/fmnist)
# every JVM's flags (--add-opens, the vector module, Aeron's timeout), as deploy/bin/mae reads them
opens="$(sed -n 's:.*<jvm.opens>\(.*\)</jvm.opens>.*:\1:p' "$root/pom.xml")"
# and the OpenBLAS core bin/mae pins on AMD Zen 5 (deploy/bin/openblas-core)
core="$("$root/deploy/bin/openblas-core")"
[[ -z "$core" ]] || export OPENBLAS_CORETYPE="$core"
if [[ "${WHAT:-rounds}" == eval ]]; then
  # shellcheck disable=SC2086
  exec java -Xmx"$HEAP" $JAVA_OPTS $opens -Dlog4j2.level=WARN -cp "$cp" \
    org.maespark.eval.EvalBench "$REPEATS" 2>/dev/null
fi
bench() {
  # shellcheck disable=SC2086
  java -Xmx"$HEAP" $JAVA_OPTS $opens -Dlog4j2.level=WARN -cp "$cp" \
    org.maespark.train.bench.SparkRoundBench "$@" 2>/dev/null | grep -E '^BENCH_(RUN|SINGLE) '
}
field() { sed -E "s/.* $1=([^ ]+).*/\1/"; }
median() { python3 -c 'import sys,statistics; print("%.2f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

declare -A ips rss single
for ((rep = 0; rep < REPEATS; rep++)); do
  for config in ${CONFIGS//,/ }; do
    line="$(bench "$config" single)"
    echo "$line"
    single[$config]="${single[$config]:-} $(field img_per_s <<<"$line")"
    for run in ${RUNS//,/ }; do
      trainer="${run%%:*}" af="${run##*:}"
      line="$(bench "$config" "$trainer" "$af")"
      echo "$line"
      ips[$config:$run]="${ips[$config:$run]:-} $(field img_per_s <<<"$line")"
      rss[$config:$run]="${rss[$config:$run]:-} $(field peak_rss_mib <<<"$line")"
    done
  done
done
for config in ${CONFIGS//,/ }; do
  # shellcheck disable=SC2086
  y="$(median ${single[$config]})"
  for run in ${RUNS//,/ }; do
    # shellcheck disable=SC2086
    x="$(median ${ips[$config:$run]})"
    # shellcheck disable=SC2086
    r="$(python3 -c 'import sys; print(max(int(v) for v in sys.argv[1:]))' ${rss[$config:$run]})"
    echo "BENCH_SPARK config=$config trainer=${run%%:*} af=${run##*:} img_per_s=$x" \
      "single_img_per_s=$y ratio=$(python3 -c "print('%.2f' % ($x / $y))") peak_rss_mib=$r"
  done
done
