#!/usr/bin/env bash
# The air-gap benchmark (docs/air-gap.md, docs/benchmarks.md): export and import of the release bundle
# (samples/AirGapRelease: HelloOci, InventoryWorker, the invocation image) with `dotnet oci export|import`, against
# `skopeo copy --all` doing the same transfer through an OCI layout (registry -> dir -> registry, the same images by
# digest), on the same machine, in one run. Prints the times, the ratio, and the sizes of the archive and the layout.
#
#   bash benchmarks/air-gap.sh            # one run (RUNS=n for more)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
source benchmarks/lib.sh
runs=${RUNS:-1}
work=$(mktemp -d /tmp/oci-airgap.XXXXXX)
bench_own_tmp "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

# registry NAME: a fresh docker-registry in $work/NAME, host:port in $REGISTRY (not in a subshell: its pid must reach
# the cleanup).
registry() {
  mkdir -p "$work/$1"
  bench_start_registry "$work/$1" >&2
  pids+=("$BENCH_REGISTRY_PID")
  REGISTRY=$BENCH_REGISTRY
}

registry source
source_registry=$REGISTRY
log "publishing samples/AirGapRelease to $source_registry (the bundle as cnab-to-oci stores it)"
export OCI_BUILD_CACHE=$work/cache
dotnet publish samples/AirGapRelease -c Release -nodeReuse:false -p:ContainerRegistry="$source_registry" >"$work/publish.log" 2>&1 ||
  { tail -30 "$work/publish.log" >&2; exit 1; }
# dotnet-oci: OCI_BENCH_CLI when run.sh gives the installed tool package, otherwise the CLI built from src/.
if [ -z "${OCI_BENCH_CLI:-}" ]; then
  dotnet build src/Oci.Build.Cli -c Release -nodeReuse:false -v:q -nologo >"$work/cli.log" 2>&1 || { tail -30 "$work/cli.log" >&2; exit 1; }
fi
oci() { bench_oci "$@"; }
bundle_ref=$source_registry/samples/air-gap-release-bundle:1.0.0
bundle=samples/AirGapRelease/bin/Release/net10.0/bundle.json
mapfile -t digests < <(python3 -c "
import json,sys
b=json.load(open('$bundle'))
seen=[]
for i in b['invocationImages']+list(b.get('images',{}).values()):
    if i['contentDigest'] not in seen: seen.append(i['contentDigest'])
print('\n'.join(seen))")

for run in $(seq "$runs"); do
  log "run $run: dotnet oci export / import"
  bench_settle; t0=$(now); oci export "$bundle_ref" -o "$work/release-$run.cnab.tar" >"$work/export-$run.log" 2>&1; t1=$(now)
  registry "ours-$run"; target=$REGISTRY
  bench_settle; t2=$(now); oci import "$work/release-$run.cnab.tar" --registry "$target/site" --relocation-mapping "$work/map-$run.json" >"$work/import-$run.log" 2>&1; t3=$(now)
  ours_export=$(elapsed "$t0" "$t1"); ours_import=$(elapsed "$t2" "$t3")
  grep -hE "Thick archive|Verified|Relocation of" "$work/export-$run.log" "$work/import-$run.log" | sed 's/^/  /' >&2

  log "run $run: skopeo copy --all through an OCI layout"
  registry "skopeo-$run"; target=$REGISTRY
  bench_settle; t0=$(now)
  n=0
  for digest in "${digests[@]}"; do
    n=$((n + 1))
    skopeo copy -q --all --src-tls-verify=false "docker://$source_registry/samples/air-gap-release-bundle@$digest" "oci:$work/layout-$run:image$n"
  done
  t1=$(now)
  bench_settle; t3=$(now)
  n=0
  for digest in "${digests[@]}"; do
    n=$((n + 1))
    skopeo copy -q --all --dest-tls-verify=false "oci:$work/layout-$run:image$n" "docker://$target/site/image$n:1.0.0"
  done
  t2=$(now)
  skopeo_export=$(elapsed "$t0" "$t1"); skopeo_import=$(elapsed "$t3" "$t2")
  archive_size=$(stat -c %s "$work/release-$run.cnab.tar")
  layout_size=$(du -sb "$work/layout-$run" | cut -f1)
  printf 'run %s: export ours %ss, skopeo %ss (%sx); import ours %ss, skopeo %ss (%sx); archive %s bytes, skopeo layout %s bytes; images %s\n' \
    "$run" "$ours_export" "$skopeo_export" "$(python3 -c "print(f'{$skopeo_export/$ours_export:.2f}')")" \
    "$ours_import" "$skopeo_import" "$(python3 -c "print(f'{$skopeo_import/$ours_import:.2f}')")" \
    "$archive_size" "$layout_size" "${#digests[@]}"
done
