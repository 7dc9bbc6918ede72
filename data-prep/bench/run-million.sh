#!/usr/bin/env bash
# data-prep at ImageNet's file count (a benchmark, not CI): builds an ImageNet-shaped tree of small
# real JPEGs (make_synthetic_imagenet.py: 1000 classes x 1280 + 50,000 flat val files labelled by
# LOC_val_solution.csv), runs data-prep on it embedded (--master local[2] unless MASTER is set)
# with a JFR recording, and prints what scales with the file count:
#   data-prep/bench/run-million.sh [WORK_DIR]       # ~10 GB of disk while it runs
# CLASSES_N, PER_CLASS, VAL: tree shape (defaults as ImageNet). HEAP: -Xmx (default 6g).
# SETTINGS: data.* overrides (default: 32 px images, patch 8, so the output stays ~4 GB).
# CLASSES: data-prep's compiled classes to run instead of this checkout's (as in run-bench.sh).
# KEEP=1 keeps the tree and the output; by default both are deleted at the end.
# Prints: BENCH_MILLION files= list_s= total_s= cpu_s= heap_peak_mib= cached_listing_mib=
#   shuffle_mib= train_shards= val_shards= shard_mib= (list_s: listing + the one pass counting it,
#   from the job's log; heap_peak_mib: most heap in use after a GC, driver and local executors
#   together; shuffle_mib: what the shuffles wrote, from Spark's event log).
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-${TMPDIR:-/tmp}/mae-data-prep-million}
mkdir -p "$WORK"
TREE="$WORK/tree"
if [ ! -d "$TREE" ]; then
  t0=$(date +%s)
  /usr/bin/python3 data-prep/bench/make_synthetic_imagenet.py "$TREE" --classes "${CLASSES_N:-1000}" \
    --per-class "${PER_CLASS:-1280}" --val "${VAL:-50000}"
  echo "generated in $(( $(date +%s) - t0 )) s"
fi
# one reactor call: data-prep's project dependencies (mae-conf) resolve to their build folders
mvn -B -ntp -q -pl data-prep -am compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/cp.txt"
CP="${CLASSES:-data-prep/target/classes}:$(cat "$WORK/cp.txt")"
OPENS="--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED"
SETS=()
for kv in ${SETTINGS:-data.image_size=32 data.patch=8}; do SETS+=(--set "$kv"); done
rm -rf "$WORK/out" "$WORK/run.jfr" "$WORK/events"
mkdir -p "$WORK/events"
t0=$(date +%s.%N)
/usr/bin/time -f '%e s wall %U s user %S s sys %M KiB max RSS' -o "$WORK/time.txt" \
  java -Xmx"${HEAP:-6g}" $OPENS -XX:StartFlightRecording=filename="$WORK/run.jfr",settings=default \
  -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 -Dspark.ui.enabled=false \
  -Dspark.eventLog.enabled=true -Dspark.eventLog.dir="file://$WORK/events" \
  -Dspark.serializer=org.apache.spark.serializer.KryoSerializer \
  -Dspark.kryo.registrator=org.maespark.data.RecordKryoRegistrator \
  -cp "$CP" org.maespark.data.DataPrepMain --master "${MASTER:-local[2]}" \
  --input "$TREE" --output "$WORK/out" "${SETS[@]}" > "$WORK/log" 2>&1 || { tail -20 "$WORK/log"; exit 1; }
t1=$(date +%s.%N)
cat "$WORK/time.txt"
/usr/bin/python3 - "$WORK" "$t0" "$t1" <<'PY'
import json, os, re, subprocess, sys
work, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
log = open(os.path.join(work, 'log')).read()
stamp = lambda line: re.match(r'(\d\d)/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)', line)
def when(pattern):
    for line in log.splitlines():
        if re.search(pattern, line) and stamp(line):
            h, m, s = map(int, stamp(line).groups()[3:]); return h * 3600 + m * 60 + s
first = next(l for l in log.splitlines() if stamp(l))
h, m, s = map(int, stamp(first).groups()[3:]); start = h * 3600 + m * 60 + s
listed = when(r'input .*: layout')
cached = [float(x) for x in re.findall(r'listing cached: ([\d.]+) MiB', log)]
ev = json.loads(subprocess.run(['jfr', 'print', '--json', '--events', 'jdk.GCHeapSummary',
                                os.path.join(work, 'run.jfr')], capture_output=True, text=True).stdout)
peak = max((e['values']['heapUsed'] for e in ev['recording']['events']
            if e['values']['when'] == 'After GC'), default=0)
man = json.load(open(os.path.join(work, 'out', 'manifest.json')))
sizes = []
for split in man['splits']:
    for sh in man['splits'][split]['shards']:
        sizes.append(os.path.getsize(os.path.join(work, 'out', split, sh['file'])))
shuffle = 0  # bytes the shuffles wrote: the file names moved to their shards (and the counts)
for name in os.listdir(os.path.join(work, 'events')):
    for line in open(os.path.join(work, 'events', name)):
        e = json.loads(line)
        if e.get('Event') == 'SparkListenerTaskEnd':
            shuffle += e.get('Task Metrics', {}).get('Shuffle Write Metrics', {}).get(
                'Shuffle Bytes Written', 0)
cpu = re.search(r'([\d.]+) s user ([\d.]+) s sys', open(os.path.join(work, 'time.txt')).read())
print('BENCH_MILLION files=%d rows=%d list_s=%s total_s=%.0f cpu_s=%.0f heap_peak_mib=%.0f'
      ' cached_listing_mib=%s shuffle_mib=%.1f train_shards=%d val_shards=%d shard_mib=%.1f'
      ' digest=%s' % (
          man['input_files'], man['input_files'] - man['rejects'],
          (listed - start) if listed else 'na', t1 - t0, float(cpu.group(1)) + float(cpu.group(2)),
          peak / 2**20, cached[0] if cached else 'na', shuffle / 2**20,
          len(man['splits'].get('train', {}).get('shards', [])),
          len(man['splits'].get('val', {}).get('shards', [])),
          sum(sizes) / max(1, len(sizes)) / 2**20, man['digest']))
PY
[ "${KEEP:-0}" = 1 ] || rm -rf "$TREE" "$WORK/out"
