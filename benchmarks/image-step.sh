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
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'kill $registry_pid 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/registry } }
http: { addr: 127.0.0.1:$port }
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
sleep 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
dotnet publish samples/HelloOci -c Release -nodeReuse:false >/dev/null          # builds the offline base in obj/oci-base
skopeo copy -q --dest-tls-verify=false oci:samples/HelloOci/obj/oci-base:runtime-deps "docker://127.0.0.1:$port/base:1"

task_ms() { # task name, log file -> milliseconds
  grep -E "^ +[0-9]+ ms +$1 " "$2" | awk '{s+=$1} END {print s+0}'
}

ours() { # cache dir -> ms of BuildOciImage
  dotnet publish samples/HelloOci -c Release -nodeReuse:false -clp:PerformanceSummary \
    -p:OciBuildCacheDirectory="$1" >"$work/ours.log" 2>&1
  task_ms BuildOciImage "$work/ours.log"
}
sdk() { # -> ms of CreateNewImage (the SDK's whole image step: pull base, tar+gzip the layer, write the archive)
  DOTNET_CONTAINER_INSECURE_REGISTRIES="127.0.0.1:$port" dotnet publish samples/HelloOci -c Release -nodeReuse:false \
    -clp:PerformanceSummary -t:PublishContainer -p:EnableOciBuild=false \
    -p:ContainerBaseImage="127.0.0.1:$port/base:1" -p:ContainerArchiveOutputPath="$work/sdk.tar.gz" >"$work/sdk.log" 2>&1
  task_ms CreateNewImage "$work/sdk.log"
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
