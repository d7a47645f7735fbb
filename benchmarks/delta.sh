#!/usr/bin/env bash
# The delta benchmark (docs/air-gap.md, "Deltas"): the size of a delta archive for a one-line code change of the
# release (samples/AirGapRelease), against the full archive. In a scratch copy of the repository: publish the release
# with ContainerThickArchive=true (1.0.0), change one line of HelloOci's Program.cs, publish 1.0.1 with
# ContainerArchiveBaseline=<the 1.0.0 archive>, and print both sizes, what the delta carries and what it expects.
#
#   bash benchmarks/delta.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh
work=$(mktemp -d /tmp/oci-delta.XXXXXX)
bench_own_tmp "$work"
trap 'rm -rf "$work"' EXIT
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$work" --one-top-level=repo
cd "$work/repo"
export OCI_BUILD_CACHE=$work/cache
out=samples/AirGapRelease/bin/Release/net10.0
publish() { # VERSION OUTPUT-LOG [MSBUILD-ARGS...]
  local version=$1 logfile=$2; shift 2
  dotnet publish samples/AirGapRelease -c Release -nodeReuse:false -p:ContainerThickArchive=true -p:Version="$version" "$@" >"$logfile" 2>&1 ||
    { tail -30 "$logfile" >&2; exit 1; }
}
log "publishing the release 1.0.0 (full archive)"
publish 1.0.0 "$work/v1.log"
full=$work/contoso.air-gap-release-1.0.0.cnab.tar
mv "$out/contoso.air-gap-release-1.0.0.cnab.tar" "$full"
mv "$out/contoso.air-gap-release-1.0.0.cnab.tar.index.json" "$full.index.json"

log "one line changed in samples/HelloOci/Program.cs; publishing 1.0.1 with ContainerArchiveBaseline"
sed -i 's/Hello from HelloOci, an OCI image built by Oci.Build./Hello from HelloOci 1.0.1, an OCI image built by Oci.Build./' samples/HelloOci/Program.cs
publish 1.0.1 "$work/v2.log" -p:ContainerArchiveBaseline="$full.index.json"
delta=$out/contoso.air-gap-release-1.0.1.cnab.tar
python3 - "$full" "$delta" <<'PY'
import json, os, sys, tarfile
full, delta = sys.argv[1], sys.argv[2]
with tarfile.open(delta) as t:
    record = json.load(t.extractfile("./delta.json"))
    layers = [m for m in t.getmembers() if m.name.startswith("./artifacts/layout/blobs/")]
index = json.load(open(delta + ".index.json"))
carried = [b for b in index["blobs"] if b["carried"]]
fs, ds = os.path.getsize(full), os.path.getsize(delta)
print(f"full archive 1.0.0: {fs:,} bytes ({fs/2**20:.1f} MiB), {len(json.load(open(full + '.index.json'))['blobs'])} blobs")
print(f"delta 1.0.1:        {ds:,} bytes ({ds/2**10:.0f} KiB), {ds/fs:.2%} of the full archive; carries {len(layers)} blobs "
      f"({sum(1 for b in carried if b['role'] == 'layer')} layers, {sum(1 for b in carried if b['role'] == 'config')} configs, "
      f"{sum(1 for b in carried if b['role'] in ('manifest', 'index'))} manifests/indexes)")
print(f"expects at the site: {len(record['expected'])} blobs, {sum(e['size'] for e in record['expected']):,} bytes")
PY
