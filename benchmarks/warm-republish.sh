#!/usr/bin/env bash
# Benchmark: the image step of a warm republish of samples/HelloOci after a one-line change of the app, and the bytes
# the step physically wrote into the layout (blob files that are not links to the content store). Not part of the
# test suite. The content store is a fresh temp folder warmed by a first publish, so the numbers do not depend on
# what an earlier run left.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh
runs=${RUNS:-3}
work=$(mktemp -d)
bench_own_tmp "$work"
program=samples/HelloOci/Program.cs
cp "$program" "$work/Program.cs"
trap 'cp "$work/Program.cs" "$program"; rm -rf "$work"' EXIT
layout=samples/HelloOci/bin/Release/net10.0/linux-x64/oci-layout

publish() { # -> ms of BuildOciImage
  bench_ours samples/HelloOci "$work/ours.log" -p:OciBuildCacheDirectory="$work/cache" -p:OciIncrementalImage=false
  bench_task_ms BuildOciImage "$work/ours.log"
}
written() { # bytes of layout blobs with one link (copied or written, not linked from the store)
  find "$layout/blobs" -type f -links 1 -printf '%s\n' | awk '{s+=$1} END {print s+0}'
}

publish >/dev/null   # warms the store
printf '%-24s %12s %16s %16s\n' "run" "image step" "layout bytes" "bytes written"
for i in $(seq "$runs"); do
  sed -i "s/Hello from HelloOci[^,]*,/Hello from HelloOci (edit $i $RANDOM),/" "$program"
  ms=$(publish)
  total=$(find "$layout/blobs" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  printf '%-24s %9s ms %16s %16s\n' "one-line change #$i" "$ms" "$total" "$(written)"
done
