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

# bench_ours PROJECT LOG [ARGS...]: `dotnet publish` with Oci.Build (however PROJECT is wired to it).
bench_ours() {
  local project=$1 log=$2; shift 2
  dotnet publish "$project" -c Release -nodeReuse:false -clp:PerformanceSummary "$@" >"$log" 2>&1
}

# bench_sdk PROJECT LOG [ARGS...]: the .NET SDK's own container step, Oci.Build switched off, base and registry local.
bench_sdk() {
  local project=$1 log=$2; shift 2
  DOTNET_CONTAINER_INSECURE_REGISTRIES="$BENCH_REGISTRY${BENCH_PUSH_REGISTRY:+;$BENCH_PUSH_REGISTRY}" dotnet publish "$project" -c Release -nodeReuse:false \
    -clp:PerformanceSummary -t:PublishContainer -p:EnableOciBuild=false -p:EnableSdkContainerSupport=true "$@" >"$log" 2>&1
}

# bench_ms COMMAND...: runs COMMAND, prints its wall time in milliseconds; fails when it fails.
bench_ms() {
  local start end
  start=$(date +%s%N)
  "$@" || return $?
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
