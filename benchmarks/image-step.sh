#!/usr/bin/env bash
# Benchmark: the image step of `dotnet publish samples/HelloOci` with Oci.Build against the .NET SDK's own
# PublishContainer, on the same publish folder and the same base image, in one run. Not part of the test suite.
#
# Both start from the same base: the sample's offline base, served by a local CNCF registry for the SDK (which can only
# pull bases from a registry) and read from its OCI layout by Oci.Build. Times are MSBuild's per-task times
# (BuildOciImage vs CreateNewImage) from -clp:PerformanceSummary; "full" runs with an empty layer cache, "no-change"
# republishes the same sources.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh
runs=${RUNS:-3}
work=$(mktemp -d)
bench_own_tmp "$work"
trap 'bench_stop_registry; rm -rf "$work"' EXIT
bench_start_registry "$work"

dotnet publish samples/HelloOci -c Release -nodeReuse:false >/dev/null          # builds the offline base in obj/oci-base
skopeo copy -q --dest-tls-verify=false oci:samples/HelloOci/obj/oci-base:runtime-deps "docker://$BENCH_REGISTRY/base:1"

ours() { # cache dir -> ms of BuildOciImage (OciIncrementalImage=false: measure the task even when MSBuild would skip it)
  bench_ours samples/HelloOci "$work/ours.log" -p:OciBuildCacheDirectory="$1" -p:OciIncrementalImage=false
  bench_task_ms BuildOciImage "$work/ours.log"
}
sdk() { # -> ms of CreateNewImage (the SDK's whole image step: pull base, tar+gzip the layer, write the archive)
  bench_sdk samples/HelloOci "$work/sdk.log" -p:ContainerBaseImage="$BENCH_REGISTRY/base:1" -p:ContainerArchiveOutputPath="$work/sdk.tar.gz"
  bench_task_ms CreateNewImage "$work/sdk.log"
}

printf '%-28s %10s %10s %10s\n' "run" "Oci.Build" "SDK" "ratio"
for i in $(seq "$runs"); do
  rm -rf "$work/cache"
  full=$(ours "$work/cache"); sdk_full=$(sdk)
  again=$(ours "$work/cache"); sdk_again=$(sdk)
  printf '%-28s %8s ms %8s ms %10s\n' "full #$i" "$full" "$sdk_full" "$(awk "BEGIN {printf \"%.2f\", $full/$sdk_full}")"
  printf '%-28s %8s ms %8s ms %10s\n' "no-change republish #$i" "$again" "$sdk_again" "$(awk "BEGIN {printf \"%.2f\", $again/$sdk_again}")"
done
echo "SDK image: $(du -h "$work/sdk.tar.gz" | cut -f1) archive; Oci.Build layers:"
grep -E "^ +layer " "$work/ours.log" || true
