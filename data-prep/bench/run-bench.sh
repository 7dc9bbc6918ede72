#!/usr/bin/env bash
# data-prep throughput per core next to djpeg's raw decode limit on the same files.
#   data-prep/bench/run-bench.sh [WORK_DIR]
# Needs /usr/bin/python3 with python3-pil + python3-numpy, and libjpeg-turbo-progs (djpeg, cjpeg).
# MAE_TOOLS: folder of make_photo_imagenet.py (default: the project's shared tools, ../shared/tools).
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-${TMPDIR:-/tmp}/mae-data-prep-bench}
TOOLS=${MAE_TOOLS:-../shared/tools}
[ -f "$TOOLS/make_photo_imagenet.py" ] || { echo "make_photo_imagenet.py not in $TOOLS (set MAE_TOOLS)" >&2; exit 1; }
mkdir -p "$WORK"
[ -d "$WORK/photos" ] || /usr/bin/python3 "$TOOLS/make_photo_imagenet.py" --out "$WORK/photos" --fetch
[ -d "$WORK/photos-large" ] || /usr/bin/python3 "$TOOLS/make_photo_imagenet.py" --out "$WORK/photos-large" \
  --fetch --train-per-source 40 --val-per-source 10 --seed 1
# one reactor call: data-prep's project dependencies (mae-conf) resolve to their build folders
mvn -B -ntp -q -pl data-prep -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/cp.txt"
CP="$(cat "$WORK/cp.txt"):data-prep/target/classes:data-prep/target/test-classes"
OPENS="--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED"
for tree in photos photos-large; do
  echo "== $tree"
  /usr/bin/python3 data-prep/bench/djpeg_limit.py "$WORK/$tree"
  rm -rf "$WORK/out-$tree"
  java -Xmx4g $OPENS -cp "$CP" org.maespark.data.bench.DataPrepBench "$WORK/$tree" "$WORK/out-$tree" 2>/dev/null \
    | grep -P '\t'
done
