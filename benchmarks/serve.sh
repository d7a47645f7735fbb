#!/usr/bin/env bash
# `dotnet oci serve` against docker-registry (CNCF distribution) serving the same image, same client, same machine, one
# run: skopeo pulls the image from each server, once alone and then PARALLEL at a time, and the wall time gives MB/s.
# Also the serve process's peak RSS. A benchmark, not a test: numbers go to stdout as a markdown table.
#
#   bash benchmarks/serve.sh                    # 4 layers of 16 MiB (random: gzip cannot shrink them), 8 parallel pulls
#   LAYERS=2 LAYER_MB=16 PARALLEL=4 bash benchmarks/serve.sh
#
# The image is made with umoci (random files, one layer each), copied into docker-registry with skopeo, and served by
# `dotnet oci serve` from the OCI layout itself. skopeo verifies every digest on both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh
layers=${LAYERS:-4}
layer_mb=${LAYER_MB:-16}
parallel=${PARALLEL:-8}
work=$(mktemp -d /tmp/oci-serve-bench.XXXXXX)
bench_own_tmp "$work"
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  bench_stop_registry
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

log "building dotnet oci (Release)"
dotnet build src/Oci.Build.Cli -c Release -nodeReuse:false >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
oci=(dotnet src/Oci.Build.Cli/bin/Release/net10.0/Oci.Build.Cli.dll)   # an array, not a function: `&` then gives dotnet's own pid

log "making a $layers x $layer_mb MiB image with umoci"
umoci init --layout "$work/layout"
umoci new --image "$work/layout:big"
for i in $(seq "$layers"); do
  umoci unpack --rootless --image "$work/layout:big" "$work/bundle" >/dev/null
  head -c "$((layer_mb << 20))" /dev/urandom >"$work/bundle/rootfs/data-$i.bin"
  umoci repack --image "$work/layout:big" "$work/bundle" >/dev/null
  rm -rf "$work/bundle"
done
bytes=$(du -sb "$work/layout/blobs" | cut -f1)

bench_start_registry "$work"
skopeo copy --dest-tls-verify=false "oci:$work/layout:big" "docker://$BENCH_REGISTRY/bench/big:big" >/dev/null
"${oci[@]}" serve "bench/big=oci:$work/layout" --listen 127.0.0.1:0 --quiet >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
until grep -q '^serving' "$work/serve.out"; do kill -0 "$serve_pid"; sleep 0.1; done
serve_host=$(sed -n 's|^serving .* on http://\([^/]*\)/.*|\1|p' "$work/serve.out")

# pull HOST COUNT: COUNT skopeo pulls of the image at once; prints the wall seconds.
pull() {
  local host=$1 count=$2 start end i pids=()
  rm -rf "$work/pulls"; mkdir -p "$work/pulls"
  start=$(date +%s.%N)
  for i in $(seq "$count"); do
    skopeo copy --src-tls-verify=false "docker://$host/bench/big:big" "dir:$work/pulls/$i" >/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"   # only these pulls: the servers are background jobs of this shell too
  end=$(date +%s.%N)
  for i in $(seq "$count"); do [ -f "$work/pulls/$i/manifest.json" ] || { echo "pull $i from $host failed" >&2; exit 1; }; done
  printf '%.2f' "$(echo "$end - $start" | bc)"
}
rate() { echo "scale=1; $1 * $2 / 1048576 / $3" | bc; }

log "pulling (one client, then $parallel at once), docker-registry first, then dotnet oci serve"
pull "$BENCH_REGISTRY" 1 >/dev/null; pull "$serve_host" 1 >/dev/null   # warm the page cache for both
reg_one=$(pull "$BENCH_REGISTRY" 1); oci_one=$(pull "$serve_host" 1)
reg_many=$(pull "$BENCH_REGISTRY" "$parallel"); oci_many=$(pull "$serve_host" "$parallel")
peak=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$serve_pid/status")

echo "| server | 1 pull | $parallel parallel pulls |"
echo "|---|---|---|"
echo "| docker-registry | ${reg_one} s ($(rate "$bytes" 1 "$reg_one") MiB/s) | ${reg_many} s ($(rate "$bytes" "$parallel" "$reg_many") MiB/s) |"
echo "| dotnet oci serve | ${oci_one} s ($(rate "$bytes" 1 "$oci_one") MiB/s) | ${oci_many} s ($(rate "$bytes" "$parallel" "$oci_many") MiB/s) |"
echo
echo "Image: $layers layers of $layer_mb MiB random data ($((bytes >> 20)) MiB of blobs); client: skopeo copy to dir:; dotnet oci serve peak RSS: $peak MiB; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
