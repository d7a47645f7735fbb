#!/usr/bin/env bash
# The performance benchmark (README "Performance", docs/benchmarks.md): Oci.Build against the .NET SDK's own
# PublishContainer, same base image, same app, same local registry, in one run, alternating tools, RUNS repetitions.
#
#   bash benchmarks/run.sh                 # RUNS=5, apps "hello large", plus the 1 GB memory case
#   RUNS=3 APPS=hello MEMORY=0 bash benchmarks/run.sh
#
# Apps: samples/HelloOci, and a generated self-contained app of a few hundred MB with many NuGet packages
# (benchmarks/generate-app.py, offline). Oci.Build runs two ways: the packed SDK package as users consume it (tasks in the
# build process) and the samples' from-source wiring (tasks in an out-of-process task host). The reference is
# `dotnet publish -t:PublishContainer -p:EnableOciBuild=false` on a copy of the app that does not use Oci.Build at all.
#
# Cases: cold image step (empty cache: task time), no-change republish (whole `dotnet publish`, also against the same
# publish without the image), one-line change pushed to a repository holding the previous image (bytes counted on the
# registry side), the same from a fresh runner (empty cache), encrypted against unencrypted (cold, one-line change),
# transfers (`dotnet oci copy` against `skopeo copy`, layout -> empty registry and back, with the registry's own CPU time), the
# release archive's export and import (benchmarks/air-gap.sh), and peak RSS (/usr/bin/time -v) of a publish whose
# publish folder is 1 GB and of `dotnet oci import` of its thick archive.
# CASES (default: all) picks some: "build fresh encrypt transfer airgap" (build = cold, no-change, push).
# Bytes uploaded are counted at the registry's door by a small proxy (benchmarks/count-proxy.py): request body bytes. Writes docs/benchmarks.md and the README's table (benchmarks/report.py).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
source benchmarks/lib.sh
runs=${RUNS:-5}
apps=${APPS:-hello large}
memory=${MEMORY:-1}
cases=" ${CASES:-build fresh encrypt transfer airgap} "
has_case() { [[ $cases == *" $1 "* ]]; }
work=$(mktemp -d /tmp/oci-bench.XXXXXX)
bench_own_tmp "$work"
version="0.0.0-bench.$(date +%Y%m%d%H%M%S).$$"
nuget_root=${NUGET_PACKAGES:-$HOME/.nuget/packages}
cleanup() {
  bench_stop_registry
  bench_stop_scratch_registries
  rm -rf "$work" "$nuget_root/oci.build.sdk/$version" "$nuget_root/oci.build.cli/$version"
  find "$nuget_root" -maxdepth 1 -name 'ocibench.*' -exec rm -rf {} + 2>/dev/null || true
}
trap cleanup EXIT
results=$work/results.csv
echo "app,wiring,case,metric,value" >"$results"
warmup=0
record() { [ "$warmup" = 1 ] || echo "$1,$2,$3,$4,$5" >>"$results"; }   # nothing the warm-up does is a sample
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

bench_start_registry "$work"
bench_start_count_proxy "$work"
log "registry on $BENCH_REGISTRY; packing Oci.Build.Sdk $version"
# Packed from a copy of the sources, so this version's build never touches the working tree's bin/ and obj/.
mkdir -p "$work/pack-src"
tar -c --exclude=bin --exclude=obj Directory.Build.props global.json README.md schemas src | tar -x -C "$work/pack-src"
dotnet pack "$work/pack-src/src/Oci.Build.Sdk" -c Release -o "$work/feed" -p:Version="$version" -nodeReuse:false >"$work/pack.log" 2>&1 ||
  { tail -30 "$work/pack.log" >&2; exit 1; }

# dotnet-oci as users get it: the tool package the SDK package carries, installed from a folder.
mkdir -p "$work/tool-feed"
# The tool is packed per platform (pointer, linux-x64 native (Native AOT), any): all of tool/ goes into the feed.
python3 -c "
import os, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for name in z.namelist():
    if name.startswith('tool/') and name.endswith('.nupkg'):
        open(os.path.join(sys.argv[2], os.path.basename(name)), 'wb').write(z.read(name))" "$work/feed/Oci.Build.Sdk.$version.nupkg" "$work/tool-feed"
dotnet tool install Oci.Build.Cli --version "$version" --tool-path "$work/tool" --add-source "$work/tool-feed" >"$work/tool.log" 2>&1 ||
  { tail -30 "$work/tool.log" >&2; exit 1; }
export OCI_BENCH_CLI=$work/tool/dotnet-oci
openssl genrsa -out "$work/recipient.pem" 2048 2>/dev/null && openssl rsa -in "$work/recipient.pem" -pubout -out "$work/recipient.pub.pem" 2>/dev/null

# Three copies of every app, one per wiring, each under a folder whose Directory.Build.* choose the wiring.
mkdir -p "$work/apps/pkg" "$work/apps/src" "$work/apps/sdk"
cat >"$work/apps/pkg/Directory.Build.props" <<XML
<Project><Import Project="Sdk.props" Sdk="Oci.Build.Sdk" Version="$version" /></Project>
XML
cat >"$work/apps/pkg/Directory.Build.targets" <<XML
<Project><Import Project="Sdk.targets" Sdk="Oci.Build.Sdk" Version="$version" /></Project>
XML
cat >"$work/apps/pkg/nuget.config" <<XML
<configuration><packageSources><add key="oci-build-bench" value="$work/feed" /></packageSources></configuration>
XML
echo "<Project><Import Project=\"$repo/eng/OciBuildFromSource.props\" /></Project>" >"$work/apps/src/Directory.Build.props"
echo "<Project><Import Project=\"$repo/eng/OciBuildFromSource.targets\" /></Project>" >"$work/apps/src/Directory.Build.targets"
echo "<Project />" >"$work/apps/sdk/Directory.Build.props"
echo "<Project />" >"$work/apps/sdk/Directory.Build.targets"

add_app() { # NAME SOURCE_DIR
  for wiring in pkg src sdk; do
    cp -r "$2" "$work/apps/$wiring/$1"
    rm -rf "$work/apps/$wiring/$1/bin" "$work/apps/$wiring/$1/obj"
  done
}

# The base: the samples' offline base (built from this machine's libraries), as a layout for Oci.Build and in the
# registry for the SDK, which pulls bases from registries only.
log "building the base image"
base_project=$work/base-src/HelloOci
mkdir -p "$work/base-src" && cp -r samples/HelloOci "$base_project" && rm -rf "$base_project/bin" "$base_project/obj"
echo "<Project><Import Project=\"$repo/eng/OciBuildFromSource.props\" /></Project>" >"$work/base-src/Directory.Build.props"
echo "<Project><Import Project=\"$repo/eng/OciBuildFromSource.targets\" /><Import Project=\"$repo/samples/LocalBaseImage.targets\" /></Project>" >"$work/base-src/Directory.Build.targets"
dotnet publish "$base_project" -c Release -nodeReuse:false -p:OciBuildCacheDirectory="$work/base-cache" >"$work/base.log" 2>&1
cp -r "$base_project/obj/oci-base" "$work/base"
skopeo copy -q --dest-tls-verify=false "oci:$work/base:runtime-deps" "docker://$BENCH_REGISTRY/base:1"
ours_base=(-p:ContainerBaseImage="oci:$work/base:runtime-deps")
sdk_base=(-p:ContainerBaseImage="$BENCH_REGISTRY/base:1")

for app in $apps; do
  case $app in
    hello) add_app hello samples/HelloOci ;;
    large)
      log "generating the large app"
      python3 benchmarks/generate-app.py "$work/gen/large" "$work/gen/feed-large" --name BenchLarge --packages 40 --package-mb 6 --files 600 --file-kb 64
      add_app large "$work/gen/large" ;;
    *) echo "unknown app $app (hello, large)" >&2; exit 2 ;;
  esac
done

project() { echo "$work/apps/$1/$2"; }                       # WIRING APP
program() { echo "$work/apps/$1/$2/Program.cs"; }
edit_line() { # WIRING APP REVISION: a one-line change of a string literal (a comment would leave the assembly unchanged)
  local file; file=$(program "$1" "$2")
  [ -f "$file.orig" ] || cp "$file" "$file.orig"
  sed "s/Hello from/Hello (revision $3, $1) from/" "$file.orig" >"$file"   # each tool its own app layer
}

# The cases run inside `f || fail`, where bash ignores set -e: every step checks its own status.
fail() { tail -40 "$work/last.log" >&2; exit 1; }

cold() { # WIRING APP REP
  local p; p=$(project "$1" "$2")
  if [ "$1" = sdk ]; then
    rm -f "$work/sdk-$2.tar.gz"
    bench_sdk "$p" "$work/last.log" "${sdk_base[@]}" -p:ContainerArchiveOutputPath="$work/sdk-$2.tar.gz" || return 1
    record "$2" sdk cold image_ms "$(bench_task_ms CreateNewImage "$work/last.log")"
  else
    rm -rf "$work/cache-$1-$2"
    bench_ours "$p" "$work/last.log" "${ours_base[@]}" -p:OciBuildCacheDirectory="$work/cache-$1-$2" -p:OciIncrementalImage=false || return 1
    record "$2" "$1" cold image_ms "$(bench_task_ms BuildOciImage "$work/last.log")"
  fi
}

nochange() { # WIRING APP: the whole `dotnet publish` again, nothing changed (a first, unmeasured one makes the state warm)
  local p ms; p=$(project "$1" "$2")
  if [ "$1" = sdk ]; then
    bench_sdk "$p" "$work/last.log" "${sdk_base[@]}" -p:ContainerArchiveOutputPath="$work/sdk-$2.tar.gz" || return 1
    ms=$(bench_ms bench_sdk "$p" "$work/last.log" "${sdk_base[@]}" -p:ContainerArchiveOutputPath="$work/sdk-$2.tar.gz") || return 1
    record "$2" sdk nochange publish_ms "$ms"
    record "$2" sdk nochange image_ms "$(bench_task_ms CreateNewImage "$work/last.log")"
  else
    bench_ours "$p" "$work/last.log" "${ours_base[@]}" -p:OciBuildCacheDirectory="$work/cache-$1-$2" || return 1
    ms=$(bench_ms bench_ours "$p" "$work/last.log" "${ours_base[@]}" -p:OciBuildCacheDirectory="$work/cache-$1-$2") || return 1
    record "$2" "$1" nochange publish_ms "$ms"
    record "$2" "$1" nochange image_ms "$(bench_task_ms BuildOciImage "$work/last.log")"
    ms=$(bench_ms bench_ours "$p" "$work/last.log" -p:EnableOciBuild=false) || return 1
    record "$2" "$1" nochange publish_without_image_ms "$ms"
  fi
}

push() { # WIRING APP REVISION: one-line change, then publish and push to a repository holding the previous image
  local p ms before after; p=$(project "$1" "$2")
  edit_line "$1" "$2" "$3"
  before=$(bench_uploaded_bytes)
  if [ "$1" = sdk ]; then
    ms=$(bench_ms bench_sdk "$p" "$work/last.log" "${sdk_base[@]}" -p:ContainerRegistry="$BENCH_PUSH_REGISTRY" -p:ContainerRepository="bench/$2-sdk") || return 1
    record "$2" sdk push image_ms "$(bench_task_ms CreateNewImage "$work/last.log")"
  else
    ms=$(bench_ms bench_ours "$p" "$work/last.log" "${ours_base[@]}" -p:OciBuildCacheDirectory="$work/cache-$1-$2" \
      -p:ContainerRegistry="$BENCH_PUSH_REGISTRY" -p:ContainerRepository="bench/$2-$1") || return 1
    record "$2" "$1" push image_ms "$(( $(bench_task_ms BuildOciImage "$work/last.log") + $(bench_task_ms PushOciImage "$work/last.log") ))"
  fi
  after=$(bench_uploaded_bytes)
  record "$2" "$1" push publish_ms "$ms"
  record "$2" "$1" push uploaded_bytes "$(( after - before ))"
}

fresh() { # WIRING APP REVISION: a fresh CI runner: empty cache, one-line change, publish and push to the repository
  # holding the previous image (ContainerPreviousImage's default). The SDK has no such case: its push case is the reference.
  local p ms before after; p=$(project "$1" "$2")
  edit_line "$1" "$2" "fresh$3"
  before=$(bench_uploaded_bytes)
  # The previous image is read from the registry itself, not through the counting proxy (a Python relay would be the
  # bottleneck of that download); it is the same repository, the one the push goes to. A fresh runner's checkout has no
  # earlier output either: the layout goes to a new folder, not over the one the other cases left in bin/ (replacing
  # those files would free their blocks, 50-100 ms of this step that no fresh runner pays).
  ms=$(bench_ms bench_ours "$p" "$work/last.log" "${ours_base[@]}" -p:OciBuildCacheDirectory="$work/fresh-$1-$2-$3" \
    -p:ContainerImageLayoutPath="$work/fresh-layout-$1-$2-$3" \
    -p:ContainerRegistry="$BENCH_PUSH_REGISTRY" -p:ContainerRepository="bench/$2-$1" -p:ContainerPreviousImage="$BENCH_REGISTRY/bench/$2-$1:latest") || return 1
  after=$(bench_uploaded_bytes)
  grep -q "reused from" "$work/last.log" || { echo "fresh runner: nothing was reused" >&2; return 1; }
  record "$2" "$1" fresh image_ms "$(( $(bench_task_ms BuildOciImage "$work/last.log") + $(bench_task_ms PushOciImage "$work/last.log") ))"
  record "$2" "$1" fresh publish_ms "$ms"
  record "$2" "$1" fresh uploaded_bytes "$(( after - before ))"
  rm -rf "$work/fresh-$1-$2-$3" "$work/fresh-layout-$1-$2-$3"
}

encrypt() { # APP REVISION: the package wiring, unencrypted and encrypted for one RSA recipient: cold (empty cache) and
  # a one-line change with a warm cache (no push); image step = BuildOciImage (it encrypts as it builds). Which goes
  # first alternates with the repetition, as the tools do in the other cases.
  local p mode k flags modes="plain encrypted"; p=$(project pkg "$1")
  (( $2 % 2 )) || modes="encrypted plain"
  for mode in $modes; do
    encrypt_flags "$1" "$mode"
    rm -rf "$work/cache-$mode-$1"
    bench_ours "$p" "$work/last.log" "${ours_base[@]}" "${flags[@]}" || return 1
    record "$1" "$mode" encrypt cold_ms "$(bench_task_ms BuildOciImage "$work/last.log")"
  done
  # The warm step takes some 70 ms, where a few ms of noise decide a ratio against 1.1x: three one-line changes a
  # repetition, the two modes taking turns.
  for k in 1 2 3; do
    for mode in $modes; do
      encrypt_flags "$1" "$mode"
      edit_line pkg "$1" "enc-$mode-$2-$k"   # a change in each mode (the same text twice would change nothing the second time)
      bench_ours "$p" "$work/last.log" "${ours_base[@]}" "${flags[@]}" || return 1
      record "$1" "$mode" encrypt warm_ms "$(bench_task_ms BuildOciImage "$work/last.log")"
    done
  done
}

encrypt_flags() { # APP MODE: sets flags, the build properties of that mode (each mode its own cache).
  flags=(-p:OciBuildCacheDirectory="$work/cache-$2-$1" -p:OciIncrementalImage=false)
  [ "$2" = encrypted ] && flags+=(-p:ContainerEncrypt=true -p:ContainerEncryptionRecipients="jwe:$work/recipient.pub.pem")
  return 0
}

transfer_step() { # APP TOOL METRIC REGISTRY_PID COMMAND...: the copy's time, and the registry's own CPU time during it
  # (the work of receiving or sending the same bytes, whichever tool moves them: what no client can take off a copy).
  local app=$1 tool=$2 metric=$3 pid=$4 before ms; shift 4
  before=$(bench_cpu_ms "$pid")
  ms=$(bench_ms "$@") || return 1
  record "$app" "$tool" transfer "$metric" "$ms"
  record "$app" "$tool" transfer "${metric%_ms}_registry_cpu_ms" "$(( $(bench_cpu_ms "$pid") - before ))"
}

transfer() { # APP REVISION: the package wiring's layout to an empty registry and back, `dotnet oci copy` against
  # `skopeo copy` (each into its own empty registry, then each out again into an empty folder). Like with like: skopeo
  # copies the image alone, and so does `dotnet oci copy --skip-attached`; the default copy, which also carries the
  # image's SBOM referrer (and looks for signatures), is measured beside them into a registry of its own.
  local layout=$work/transfer-$1 digest
  if [ ! -d "$layout" ]; then cp -r "$(project pkg "$1")/bin/Release/net10.0/linux-x64/oci-layout" "$layout"; fi
  digest=$(python3 -c "import json; print(json.load(open('$layout/index.json'))['manifests'][0]['digest'])")
  bench_scratch_registry "$work/scratch-ours-$2"; local ours=$BENCH_SCRATCH ours_pid=${BENCH_SCRATCH_PIDS[-1]}
  bench_scratch_registry "$work/scratch-skopeo-$2"; local theirs=$BENCH_SCRATCH theirs_pid=${BENCH_SCRATCH_PIDS[-1]}
  bench_scratch_registry "$work/scratch-attached-$2"; local attached=$BENCH_SCRATCH attached_pid=${BENCH_SCRATCH_PIDS[-1]}
  transfer_step "$1" ours push_layout_ms "$ours_pid" bench_quiet bench_oci copy -q --skip-attached "oci:$layout:latest" "docker://$ours/t/app:1" || return 1
  transfer_step "$1" skopeo push_layout_ms "$theirs_pid" skopeo copy -q --dest-tls-verify=false "oci:$layout:latest" "docker://$theirs/t/app:1" || return 1
  transfer_step "$1" attached push_layout_ms "$attached_pid" bench_quiet bench_oci copy -q "oci:$layout:latest" "docker://$attached/t/app:1" || return 1
  transfer_step "$1" ours pull_layout_ms "$ours_pid" bench_quiet bench_oci copy -q --skip-attached "docker://$ours/t/app:1" "oci:$work/pulled-ours-$2:1" || return 1
  transfer_step "$1" skopeo pull_layout_ms "$theirs_pid" skopeo copy -q --src-tls-verify=false "docker://$theirs/t/app:1" "oci:$work/pulled-skopeo-$2:1" || return 1
  transfer_step "$1" attached pull_layout_ms "$attached_pid" bench_quiet bench_oci copy -q "docker://$attached/t/app:1" "oci:$work/pulled-attached-$2:1" || return 1
  # Like with like: all kept the manifest's digest.
  for pulled in "$work/pulled-ours-$2" "$work/pulled-skopeo-$2" "$work/pulled-attached-$2"; do
    [ "$(python3 -c "import json; print(json.load(open('$pulled/index.json'))['manifests'][0]['digest'])")" = "$digest" ] ||
      { echo "$pulled does not hold $digest" >&2; return 1; }
  done
  rm -rf "$work/pulled-ours-$2" "$work/pulled-skopeo-$2" "$work/pulled-attached-$2"
  bench_stop_scratch_registries
}

if has_case airgap; then
  # The release bundle's thick archive: `dotnet oci export` and `import` against `skopeo copy --all` through a layout.
  # First of the cases: after the build cases (GBs written, the VM's kdamond paging out what they left) its later
  # repetitions were slower for both tools, ours more (290, 390, 490 ms) than alone (steady at 260-280 ms).
  log "air gap: export and import of samples/AirGapRelease"
  RUNS=$runs bash benchmarks/air-gap.sh >"$work/air-gap.log" 2>&1 || { tail -30 "$work/air-gap.log" >&2; exit 1; }
  python3 - "$work/air-gap.log" >>"$results" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"run \d+: export ours ([\d.]+)s, skopeo ([\d.]+)s .*; import ours ([\d.]+)s, skopeo ([\d.]+)s .*; archive (\d+) bytes, skopeo layout (\d+) bytes", line)
    if m:
        e1, e2, i1, i2, a, l = m.groups()
        print(f"release,ours,airgap,export_ms,{float(e1) * 1000:.0f}\nrelease,skopeo,airgap,export_ms,{float(e2) * 1000:.0f}")
        print(f"release,ours,airgap,import_ms,{float(i1) * 1000:.0f}\nrelease,skopeo,airgap,import_ms,{float(i2) * 1000:.0f}")
        print(f"release,ours,airgap,size_bytes,{a}\nrelease,skopeo,airgap,size_bytes,{l}")
PY
fi

for app in $apps; do
  # Warm-up, not measured: restores, builds the tasks once, and puts a previous image in each tool's repository.
  log "$app: warm-up"
  warmup=1
  for wiring in pkg src sdk; do push "$wiring" "$app" 0 || fail; done
  warmup=0
  for rep in $(seq "$runs"); do
    # Alternate the order of the tools from one repetition to the next.
    if (( rep % 2 )); then order="pkg src sdk"; else order="sdk src pkg"; fi
    log "$app: repetition $rep/$runs ($order)"
    if has_case build; then
      for wiring in $order; do cold "$wiring" "$app" "$rep" || fail; done
      for wiring in $order; do nochange "$wiring" "$app" || fail; done
      for wiring in $order; do push "$wiring" "$app" "$rep" || fail; done
    fi
    if has_case fresh; then
      has_case build || for wiring in $order; do push "$wiring" "$app" "$rep" || fail; done
      for wiring in ${order/sdk/}; do fresh "$wiring" "$app" "$rep" || fail; done
    fi
    if has_case encrypt; then encrypt "$app" "$rep" || fail; fi
    if has_case transfer && [ "$app" = hello ]; then transfer "$app" "$rep" || fail; fi
  done
done


if [ "$memory" = 1 ]; then
  # Peak RSS with a 1 GB publish folder: many files plus a few large ones (in-process tasks: the package wiring).
  log "memory: generating a 1 GB app"
  python3 benchmarks/generate-app.py "$work/gen/huge" "$work/gen/feed-huge" --name BenchHuge --packages 10 --package-mb 20 --files 3000 --file-kb 100 --large 3 --large-mb 170
  add_app huge "$work/gen/huge"
  rss() { # WIRING LABEL COMMAND...: records the peak RSS (KB) of COMMAND
    local wiring=$1 label=$2; shift 2
    # COMMAND may be one of lib.sh's functions, which /usr/bin/time cannot run: a child bash runs it (exported).
    export -f bench_ours bench_sdk bench_settle
    export BENCH_REGISTRY BENCH_PUSH_REGISTRY
    /usr/bin/time -v -o "$work/time.txt" bash -c '"$@"' rss "$@" || fail
    record huge "$wiring" memory "$label" "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")"
  }
  p=$(project pkg huge)
  bench_ours "$p" "$work/last.log" -p:EnableOciBuild=false || fail   # restore + build first
  rss pkg publish_without_image_kb bench_ours "$p" "$work/last.log" -p:EnableOciBuild=false
  rss pkg publish_kb bench_ours "$p" "$work/last.log" "${ours_base[@]}" -p:OciBuildCacheDirectory="$work/cache-huge" -p:OciIncrementalImage=false
  record huge pkg memory publish_folder_bytes "$(du -sb "$p/bin/Release/net10.0/linux-x64/publish" | cut -f1)"
  p=$(project sdk huge)
  bench_sdk "$p" "$work/last.log" "${sdk_base[@]}" -p:ContainerArchiveOutputPath="$work/sdk-huge.tar.gz" || fail
  rss sdk publish_kb bench_sdk "$p" "$work/last.log" "${sdk_base[@]}" -p:ContainerArchiveOutputPath="$work/sdk-huge.tar.gz"
  # `dotnet oci import` of that image's thick archive (the app as a one-image bundle) into an empty registry. Its layers
  # are left uncompressed so the archive is the 1 GB the goal names (gzip halves this generated app).
  p=$(project pkg huge)
  bench_ours "$p" "$work/last.log" "${ours_base[@]}" -p:OciBuildCacheDirectory="$work/cache-huge" -p:ContainerLayerCompression=none -p:ContainerBundle=true \
    -p:ContainerThickArchive=true -p:ContainerThickArchivePath="$work/huge.cnab.tar" || fail
  record huge ours memory archive_bytes "$(stat -c %s "$work/huge.cnab.tar")"
  bench_scratch_registry "$work/scratch-import"
  rss ours import_kb "$OCI_BENCH_CLI" import -q "$work/huge.cnab.tar" --registry "$BENCH_SCRATCH/site" --relocation-mapping "$work/huge-map.json"
  bench_stop_scratch_registries
fi

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
python3 benchmarks/report.py "$results" --runs "$runs" --load-start "$load_start" --load-end "$load_end" \
  --output docs/benchmarks.md --readme README.md
cp "$results" "${RESULTS_CSV:-/dev/null}" 2>/dev/null || true
log "wrote docs/benchmarks.md and the README's performance table"
