# Shared by the benchmark scripts (sourced, not run): a local CNCF registry, MSBuild task timings, and the two ways of
# publishing an image that are compared: Oci.Build (`dotnet publish`) and the .NET SDK's PublishContainer.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench_start_registry DIR: serves a registry stored in DIR/registry; sets BENCH_REGISTRY (host:port) and BENCH_REGISTRY_PID.
bench_start_registry() {
  local dir=$1 port
  port=$(bench_free_port)
  cat > "$dir/registry.yml" <<YML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $dir/registry }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$port }
YML
  docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  BENCH_REGISTRY_PID=$!
  BENCH_REGISTRY="127.0.0.1:$port"
  BENCH_REGISTRY_ROOT="$dir/registry"
  for _ in $(seq 50); do curl -sf "http://$BENCH_REGISTRY/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "docker-registry did not start: $(cat "$dir/registry.log")" >&2
  return 1
}

bench_stop_registry() {
  local pid
  for pid in ${BENCH_PROXY_PID:-} ${BENCH_REGISTRY_PID:-}; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}

# bench_start_count_proxy DIR: a counting proxy in front of the registry (benchmarks/count-proxy.py); pushes go to
# BENCH_PUSH_REGISTRY so that bench_uploaded_bytes tells how many request body bytes reached the registry.
bench_start_count_proxy() {
  local port
  port=$(bench_free_port)
  BENCH_COUNT_FILE="$1/uploaded-bytes"
  python3 "$(dirname "${BASH_SOURCE[0]}")/count-proxy.py" "$port" "$BENCH_REGISTRY" "$BENCH_COUNT_FILE" 2>"$1/proxy.log" &
  BENCH_PROXY_PID=$!
  BENCH_PUSH_REGISTRY="127.0.0.1:$port"
  for _ in $(seq 50); do curl -sf "http://$BENCH_PUSH_REGISTRY/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "the counting proxy did not start: $(cat "$1/proxy.log")" >&2
  return 1
}

bench_uploaded_bytes() { cat "$BENCH_COUNT_FILE"; }

# bench_task_ms TASK LOG: milliseconds MSBuild spent in TASK (from -clp:PerformanceSummary), summed over its calls.
bench_task_ms() {
  grep -E "^ +[0-9]+ ms +$1 " "$2" | awk '{s+=$1} END {print s+0}'
}

# bench_settle: the files earlier steps wrote go to disk first (never timed). On this 2-core VM their writeback (100 to
# 180 MB/s of kernel time) otherwise lands in whatever step runs next, one tool's output slowing the other tool.
bench_settle() { sync; }

# bench_ours PROJECT LOG [ARGS...]: `dotnet publish` with Oci.Build (however PROJECT is wired to it).
bench_ours() {
  local project=$1 log=$2; shift 2
  bench_settle
  dotnet publish "$project" -c Release -nodeReuse:false -clp:PerformanceSummary "$@" >"$log" 2>&1
}

# bench_sdk PROJECT LOG [ARGS...]: the .NET SDK's own container step, Oci.Build switched off, base and registry local.
bench_sdk() {
  local project=$1 log=$2; shift 2
  bench_settle
  DOTNET_CONTAINER_INSECURE_REGISTRIES="$BENCH_REGISTRY${BENCH_PUSH_REGISTRY:+;$BENCH_PUSH_REGISTRY}" XDG_CACHE_HOME="${BENCH_SDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}" \
    dotnet publish "$project" -c Release -nodeReuse:false \
    -clp:PerformanceSummary -t:PublishContainer -p:EnableOciBuild=false -p:EnableSdkContainerSupport=true "$@" >"$log" 2>&1
}

# bench_ms COMMAND...: runs COMMAND, prints its wall time in milliseconds; fails when it fails.
bench_ms() {
  local start end
  bench_settle
  start=$(date +%s%N)
  "$@" || return $?
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

# bench_oci ARGS...: dotnet-oci as a user runs it. OCI_BENCH_CLI names the installed tool (run.sh installs the tool
# package the SDK package carries); otherwise the CLI built from src/ in Release (`dotnet build src/Oci.Build.Cli -c Release`).
bench_oci() {
  if [ -n "${OCI_BENCH_CLI:-}" ]; then "$OCI_BENCH_CLI" "$@"
  else dotnet "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src/Oci.Build.Cli/bin/Release/net10.0/Oci.Build.Cli.dll" "$@"; fi
}

# bench_quiet COMMAND...: runs COMMAND with its output dropped (bench_ms prints the time on stdout).
bench_quiet() { "$@" >/dev/null; }

# bench_scratch_registry DIR: one more, empty registry (for transfers to an empty registry); sets BENCH_SCRATCH
# (host:port) and appends its pid to BENCH_SCRATCH_PIDS (bench_stop_scratch_registries stops them all).
BENCH_SCRATCH_PIDS=()
bench_scratch_registry() {
  local dir=$1 port
  mkdir -p "$dir"
  port=$(bench_free_port)
  printf 'version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: %s/registry } }\nhttp: { addr: 127.0.0.1:%s }\n' "$dir" "$port" >"$dir/registry.yml"
  docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  BENCH_SCRATCH_PIDS+=($!)
  BENCH_SCRATCH="127.0.0.1:$port"
  for _ in $(seq 50); do curl -sf "http://$BENCH_SCRATCH/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "docker-registry did not start: $(cat "$dir/registry.log")" >&2
  return 1
}

bench_stop_scratch_registries() {
  local pid
  for pid in "${BENCH_SCRATCH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  BENCH_SCRATCH_PIDS=()
}

# bench_cpu_ms PID: the CPU time (user and system) process PID has used so far, in milliseconds.
bench_cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }

# bench_own_tmp DIR: what the SDK, MSBuild and the tools put in the temp folder goes under DIR/tmp, removed with DIR
# (`dotnet publish` alone leaves two empty folders in /tmp on every run: hundreds per benchmark run otherwise); the SDK's
# container content store (XDG_CACHE_HOME/dotnet/Containers, every layer it ever pulled or compressed, never pruned: it
# had grown to 53 GB over the benchmark runs and filled the disk) goes under DIR/sdk-cache.
bench_own_tmp() { mkdir -p "$1/tmp" "$1/sdk-cache" && export TMPDIR="$1/tmp" BENCH_SDK_CACHE="$1/sdk-cache"; }
