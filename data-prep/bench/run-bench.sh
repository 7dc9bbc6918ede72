#!/usr/bin/env bash
# data-prep throughput per core next to djpeg's raw decode limit on the same files.
#   data-prep/bench/run-bench.sh [WORK_DIR]
# Needs /usr/bin/python3 with python3-pil + python3-numpy, and libjpeg-turbo-progs (djpeg, cjpeg).
# MAE_TOOLS: folder of make_photo_imagenet.py (default: the project's shared tools, ../shared/tools).
# TREES: trees under WORK_DIR to measure (default "photos photos-large"; other names must exist).
# CLASSES: data-prep's compiled classes to measure instead of this checkout's (for before/after:
# copy data-prep/target/classes and test-classes of the old build away, pass "DIR/classes:DIR/test-classes").
# REPEATS: runs of each job, medians reported (default 3); WARMUPS: untimed runs of the whole tree
# first (default 2: Spark's code is JIT-compiled over the first runs; jit_s says what remains).
# JFR=1: record a JFR profile of the job runs into WORK_DIR/<tree>.jfr
# (`jfr print --events jdk.ExecutionSample` or `jfr summary`).
# Per tree, one line: BENCH_DATAPREP tree= files= djpeg_per_s= record_per_s= job_per_s=
# job_fixed_s= start_s= jit_s= digest= (job_per_s: marginal rate of the whole job on local[1];
# job_fixed_s: CPU of the same job on a one-file tree; start_s: Spark start + first job).
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-${TMPDIR:-/tmp}/mae-data-prep-bench}
TOOLS=${MAE_TOOLS:-../shared/tools}
TREES=${TREES:-photos photos-large}
mkdir -p "$WORK"
for tree in $TREES; do
  [ -d "$WORK/$tree" ] && continue
  [ -f "$TOOLS/make_photo_imagenet.py" ] || { echo "make_photo_imagenet.py not in $TOOLS (set MAE_TOOLS)" >&2; exit 1; }
  case $tree in
    photos) /usr/bin/python3 "$TOOLS/make_photo_imagenet.py" --out "$WORK/photos" --fetch ;;
    photos-large) /usr/bin/python3 "$TOOLS/make_photo_imagenet.py" --out "$WORK/photos-large" \
      --fetch --train-per-source 40 --val-per-source 10 --seed 1 ;;
    *) echo "no tree $WORK/$tree" >&2; exit 1 ;;
  esac
done
# one reactor call: data-prep's project dependencies (mae-conf) resolve to their build folders
mvn -B -ntp -q -pl data-prep -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/cp.txt"
CP="${CLASSES:-data-prep/target/classes:data-prep/target/test-classes}:$(cat "$WORK/cp.txt")"
OPENS="--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED"
for tree in $TREES; do
  echo "== $tree"
  limit=$(/usr/bin/python3 data-prep/bench/djpeg_limit.py "$WORK/$tree")
  echo "$limit"
  djpeg=$(awk -F'\t' '$1 == "djpeg" { sub(/ img\/s\/core/, "", $4); print $4 }' <<< "$limit")
  PROFILE=()
  [ "${JFR:-0}" = 1 ] && PROFILE=("-XX:StartFlightRecording=filename=$WORK/$tree.jfr,settings=profile")
  rm -rf "$WORK/out-$tree"
  java -Xmx4g $OPENS "${PROFILE[@]}" -Dbench.tree="$tree" -Dbench.djpeg="$djpeg" \
    -Dbench.repeats="${REPEATS:-3}" -Dbench.warmups="${WARMUPS:-2}" -cp "$CP" \
    org.maespark.data.bench.DataPrepBench \
    "$WORK/$tree" "$WORK/out-$tree" 2>/dev/null | grep -P '\t|^BENCH_DATAPREP'
  rm -rf "$WORK/out-$tree"
done
