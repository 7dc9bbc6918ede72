#!/usr/bin/env bash
# What a training round moves and costs on the loopback standalone cluster of the cluster tests
# (a master and two single-core workers, each its own JVM; every job sent with deploy/bin/mae-submit
# and the shaded jar), per model preset and training master. README "Scaling" quotes it.
#
#   mae-dist/bench-comm.sh                       # fmnist-28 and tiny-32, PA af 1 and GS af 4
#   CONFIGS=vit-b-16 WORKER_MEMORY=5g DRIVER_MEMORY=5g mae-dist/bench-comm.sh
#   RUNS=parameter_averaging:1 ROUNDS=6 WRAP="flock /tmp/some.lock" mae-dist/bench-comm.sh
#
# Each run is one `pretrain` of ROUNDS rounds (ROUNDS x af steps, one epoch); the first round is
# not counted. Prints per training job BENCH_COMM_ROUND lines, then per configuration and trainer:
#   BENCH_COMM config=<name> trainer=<..> af=<n> params=<n> batch_per_worker=<n> rounds=<n>
#     bytes_out_per_round=<b>  (broadcast bytes each executor fetched: parameters + updater state)
#     bytes_in_per_round=<b>   (each executor's training task result: parameters + updater state)
#     round_s=<s> fit_s=<s>    (median wall time per round; time the average worker was in fit)
#     gs_bytes_per_step=<b> gs_density=<d> gs_bitmap_updates=<n>/<n>  (gradient sharing: encoded
#                               bytes each worker sent per step, density of its sparse updates)
# Gradient sharing binds fixed UDP ports (40123+) and every run starts Spark daemons: on a shared
# machine run it under the lock the cluster tests use (WRAP="flock <lock>" wraps each run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
CONFIGS="${CONFIGS:-fmnist-28,tiny-32}"
RUNS="${RUNS:-parameter_averaging:1,gradient_sharing:4}"
ROUNDS="${ROUNDS:-4}"
WORKER_MEMORY="${WORKER_MEMORY:-3g}"
DRIVER_MEMORY="${DRIVER_MEMORY:-2g}"
BENCH_DIR="${BENCH_DIR:-$root/mae-dist/target/comm-bench}"
WRAP="${WRAP:-}"
SPARK_CONF="${SPARK_CONF:-}" # extra key=value,... Spark settings for the pretrain jobs
BATCH="${BATCH:-0}"           # batch per worker; 0: the bench's own per preset (32; ViTs 2)

# the bench main lives in mae-dist's test sources, so CI compiles it and never runs it
if [[ -z "${SKIP_BUILD:-}" ]]; then # SKIP_BUILD=1: run what is built already
  mvn -B -ntp -q -pl mae-dist -am package -DskipTests dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/classpath.txt >/dev/null
fi
jar="$(ls "$root"/mae-dist/target/mae-spark-*-cpu.jar | head -n 1)"
cp="$root/mae-dist/target/test-classes:$(cat mae-dist/target/classpath.txt)"
opens="$(sed -n 's:.*<jvm.opens>\(.*\)</jvm.opens>.*:\1:p' pom.xml)"
cd mae-dist # the cluster's log4j configuration is read from src/test/resources
for config in ${CONFIGS//,/ }; do
  for run in ${RUNS//,/ }; do
    trainer="${run%%:*}" af="${run##*:}"
    # shellcheck disable=SC2086
    $WRAP java -Xmx512m -cp "$cp" -Dmae.dist.jar="$jar" -Dmae.repo.root="$root" \
      -Dmae.spark.home="$root/mae-dist/spark-home/target/spark-home" -Dmae.jvm.opens="$opens" \
      -Dbench.dir="$BENCH_DIR" -Dbench.rounds="$ROUNDS" -Dbench.worker_memory="$WORKER_MEMORY" \
      -Dbench.driver_memory="$DRIVER_MEMORY" -Dbench.spark_conf="$SPARK_CONF" \
      -Dbench.batch_per_worker="$BATCH" \
      org.maespark.dist.CommBench "$config" "$trainer" "$af" | grep -E '^BENCH_COMM' ||
      echo "BENCH_COMM config=$config trainer=$trainer af=$af FAILED (see $BENCH_DIR)"
  done
done
