#!/usr/bin/env python3
"""Turns the raw samples of benchmarks/run.sh (CSV: app,wiring,case,metric,value) into docs/benchmarks.md and the
README's performance table (the region between the benchmarks markers, rewritten, never typed by hand)."""
import argparse, csv, os, platform, statistics, subprocess
from collections import defaultdict
from datetime import datetime, timezone

parser = argparse.ArgumentParser()
parser.add_argument("results")
parser.add_argument("--runs", required=True)
parser.add_argument("--load-start", default="?")
parser.add_argument("--load-end", default="?")
parser.add_argument("--output", required=True)
parser.add_argument("--readme")
args = parser.parse_args()

samples = defaultdict(list)
with open(args.results) as f:
    for row in csv.DictReader(f):
        samples[(row["app"], row["wiring"], row["case"], row["metric"])].append(float(row["value"]))


def values(app, wiring, case, metric):
    return samples.get((app, wiring, case, metric), [])


def med(app, wiring, case, metric):
    v = values(app, wiring, case, metric)
    return statistics.median(v) if v else None


def ms(app, wiring, case, metric):
    v = values(app, wiring, case, metric)
    if not v:
        return "–"
    m, lo, hi = statistics.median(v), min(v), max(v)
    return f"{m / 1000:.2f} s ({lo / 1000:.2f}–{hi / 1000:.2f})" if m >= 1000 else f"{m:.0f} ms ({lo:.0f}–{hi:.0f})"


def size(app, wiring, case, metric):
    v = values(app, wiring, case, metric)
    if not v:
        return "–"
    m = statistics.median(v)
    return f"{m / (1 << 20):.1f} MiB" if m >= 1 << 20 else f"{m / 1024:.1f} KiB"


def ratio(a, b, percent=False):
    if a is None or b is None or b == 0:
        return "–"
    return f"{100 * a / b:.2f}%" if percent else f"{a / b:.2f}x"


apps = sorted({k[0] for k in samples if k[0] not in ("huge", "release")}, key=lambda a: ["hello", "large"].index(a) if a in ["hello", "large"] else 9)
names = {"hello": "HelloOci", "large": "generated app"}
rows = []
for app in apps:
    n = names.get(app, app)
    rows.append((f"{n}: cold image step (empty cache; task time)", ms(app, "pkg", "cold", "image_ms"), ms(app, "src", "cold", "image_ms"),
                 f"SDK {ms(app, 'sdk', 'cold', 'image_ms')}", ratio(med(app, "pkg", "cold", "image_ms"), med(app, "sdk", "cold", "image_ms")), "≤ 0.6x"))
    rows.append((f"{n}: no-change republish, whole `dotnet publish`", ms(app, "pkg", "nochange", "publish_ms"), ms(app, "src", "nochange", "publish_ms"),
                 f"same publish without the image {ms(app, 'pkg', 'nochange', 'publish_without_image_ms')}",
                 ratio(med(app, "pkg", "nochange", "publish_ms"), med(app, "pkg", "nochange", "publish_without_image_ms")), "≤ 1.05x"))
    rows.append((f"{n}: no-change republish vs the SDK", ms(app, "pkg", "nochange", "publish_ms"), ms(app, "src", "nochange", "publish_ms"),
                 f"SDK `PublishContainer` {ms(app, 'sdk', 'nochange', 'publish_ms')}",
                 ratio(med(app, "pkg", "nochange", "publish_ms"), med(app, "sdk", "nochange", "publish_ms")), ""))
    rows.append((f"{n}: one-line change + push, image step (build + push)", ms(app, "pkg", "push", "image_ms"), ms(app, "src", "push", "image_ms"),
                 f"SDK {ms(app, 'sdk', 'push', 'image_ms')}", ratio(med(app, "pkg", "push", "image_ms"), med(app, "sdk", "push", "image_ms")), "≤ 0.1x"))
    rows.append((f"{n}: one-line change + push, bytes the registry received", size(app, "pkg", "push", "uploaded_bytes"), size(app, "src", "push", "uploaded_bytes"),
                 f"SDK {size(app, 'sdk', 'push', 'uploaded_bytes')}",
                 ratio(med(app, "pkg", "push", "uploaded_bytes"), med(app, "sdk", "push", "uploaded_bytes"), percent=True), "≤ 1%"))
    if values(app, "pkg", "fresh", "image_ms"):
        rows.append((f"{n}: fresh runner (empty cache), one-line change + push, image step", ms(app, "pkg", "fresh", "image_ms"), ms(app, "src", "fresh", "image_ms"),
                     f"SDK {ms(app, 'sdk', 'push', 'image_ms')}", ratio(med(app, "pkg", "fresh", "image_ms"), med(app, "sdk", "push", "image_ms")), "≤ 0.15x"))
        rows.append((f"{n}: fresh runner, bytes the registry received", size(app, "pkg", "fresh", "uploaded_bytes"), size(app, "src", "fresh", "uploaded_bytes"),
                     f"SDK {size(app, 'sdk', 'push', 'uploaded_bytes')}",
                     ratio(med(app, "pkg", "fresh", "uploaded_bytes"), med(app, "sdk", "push", "uploaded_bytes"), percent=True), "app layer, config, manifest"))
    for metric, what in (("cold_ms", "cold image step"), ("warm_ms", "one-line change, warm cache")):
        if values(app, "encrypted", "encrypt", metric):
            rows.append((f"{n}: encrypted (one RSA recipient), {what}", ms(app, "encrypted", "encrypt", metric), "",
                         f"unencrypted {ms(app, 'plain', 'encrypt', metric)}", ratio(med(app, "encrypted", "encrypt", metric), med(app, "plain", "encrypt", metric)), "≤ 1.1x"))
    for metric, what, tool in (("push_layout_ms", "its layout to an empty registry", "copy --skip-attached oci: docker://"),
                               ("pull_layout_ms", "registry -> layout, digests kept", "copy --skip-attached docker:// oci:")):
        cpu = metric.removesuffix("_ms") + "_registry_cpu_ms"
        if values(app, "ours", "transfer", metric):
            rows.append((f"{n}: {what}, the image alone as skopeo copies it (`dotnet oci {tool}`)", ms(app, "ours", "transfer", metric), "",
                         f"`skopeo copy` {ms(app, 'skopeo', 'transfer', metric)}; the registry's own CPU time during it: "
                         f"{ms(app, 'ours', 'transfer', cpu)} ours, {ms(app, 'skopeo', 'transfer', cpu)} skopeo's; "
                         f"the default copy, with the image's SBOM: {ms(app, 'attached', 'transfer', metric)} "
                         f"(registry CPU {ms(app, 'attached', 'transfer', cpu)})",
                         ratio(med(app, "ours", "transfer", metric), med(app, "skopeo", "transfer", metric)), "≤ 0.5x"))
    src, pkg = med(app, "src", "nochange", "publish_ms"), med(app, "pkg", "nochange", "publish_ms")
    if src is not None and pkg is not None:
        rows.append((f"{n}: from-source wiring over the package, no-change publish", "", f"{src - pkg:+.0f} ms", "", "", "≤ ~100 ms"))
for metric, what in (("export_ms", "release archive export (registry -> file)"), ("import_ms", "release archive import (file -> registry)")):
    if values("release", "ours", "airgap", metric):
        rows.append((f"samples/AirGapRelease: {what}", ms("release", "ours", "airgap", metric), "",
                     f"`skopeo copy --all` through a layout {ms('release', 'skopeo', 'airgap', metric)}",
                     ratio(med("release", "ours", "airgap", metric), med("release", "skopeo", "airgap", metric)), "≤ 0.67x (1.5x faster)"))
if values("release", "ours", "airgap", "size_bytes"):
    rows.append(("samples/AirGapRelease: archive size", size("release", "ours", "airgap", "size_bytes"), "",
                 f"skopeo's layout {size('release', 'skopeo', 'airgap', 'size_bytes')}",
                 ratio(med("release", "ours", "airgap", "size_bytes"), med("release", "skopeo", "airgap", "size_bytes")), ""))
if values("huge", "pkg", "memory", "publish_kb"):
    folder = med("huge", "pkg", "memory", "publish_folder_bytes") or 0
    kb = lambda w, m: f"{med('huge', w, 'memory', m) / 1024:.0f} MB" if med("huge", w, "memory", m) else "–"
    rows.append((f"peak RSS of `dotnet publish`, {folder / 1e9:.2f} GB publish folder, empty cache", kb("pkg", "publish_kb"), "",
                 f"without the image {kb('pkg', 'publish_without_image_kb')}; SDK {kb('sdk', 'publish_kb')}", "", "< 400 MB"))
if values("huge", "ours", "memory", "import_kb"):
    archive = med("huge", "ours", "memory", "archive_bytes") or 0
    rows.append((f"peak RSS of `dotnet oci import`, {archive / 1e9:.2f} GB thick archive", f"{med('huge', 'ours', 'memory', 'import_kb') / 1024:.0f} MB", "", "", "", "< 250 MB"))

table = ["| what | Oci.Build (package) | Oci.Build (from source) | reference | ratio | goal |", "|---|---|---|---|---|---|"]
table += [f"| {' | '.join(r)} |" for r in rows]


def sh(command):
    try:
        return subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return "?"


cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
memory = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
machine = (f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {platform.system()} {platform.release()}, .NET SDK {sh('dotnet --version')}; "
           f"load average (1/5/15 min) {args.load_start} at the start, {args.load_end} at the end")
doc = f"""# Benchmarks

Generated by `benchmarks/run.sh` on {now}; do not edit by hand (rerun the script).

Machine: {machine}.
Each value is the median of {args.runs} repetitions, with the minimum and maximum in brackets; ratios are of medians.
Tools alternate within each repetition (package, from source, SDK; then reversed). Before each measured step the
files earlier steps wrote are synced to disk (not timed), so that their writeback does not land in the next tool's time.

{chr(10).join(table)}

What is measured:
- **Oci.Build (package)**: the packed `Oci.Build.Sdk` from a local feed, as users consume it (tasks in the build process).
- **Oci.Build (from source)**: the samples' wiring (`eng/OciBuildFromSource.*`, tasks in an out-of-process task host).
- **reference**: `dotnet publish -t:PublishContainer -p:EnableOciBuild=false` on a copy of the app without Oci.Build,
  pulling the same base image from the same local `docker-registry` (Oci.Build reads that base from its OCI layout).
- cold image step: MSBuild's task time (`BuildOciImage` vs `CreateNewImage`, from `-clp:PerformanceSummary`), empty
  layer cache; Oci.Build writes its layout, the SDK its archive.
- no-change republish: wall time of the whole `dotnet publish` run again with nothing changed.
- one-line change + push: a string literal of Program.cs changes, then publish and push to a repository that holds the
  previous image; bytes received are the request body bytes that reached the registry (`benchmarks/count-proxy.py`).
- fresh runner: the one-line change published and pushed with an empty cache and no earlier output (the layout goes to
  a new folder, as in a new checkout) to the repository holding the previous image (`ContainerPreviousImage`'s default):
  layers that image holds are fetched, not compressed. The reference is the SDK's push case (the SDK compresses every
  layer on every run).
- encrypted: the package wiring with `ContainerEncrypt` for one RSA (`jwe:`) recipient against the same build without;
  image step = `BuildOciImage`, which encrypts the layers it built before it writes the layout; cold (empty cache) and
  a one-line change with a warm cache (three changes a repetition, so the warm rows are medians of three times as many
  runs, the two builds taking turns); which of the two goes first alternates with the repetition.
- transfers: the HelloOci layout pushed with `dotnet oci copy` (the tool packages the SDK package carries, installed
  with `dotnet tool install`, which picks the linux-x64 one, a native program (Native AOT)) and with `skopeo copy`, each to an empty `docker-registry`, then copied back into an
  empty layout (all keep the manifest digest; the script checks). Like with like: skopeo copies the image alone, and so
  does `dotnet oci copy --skip-attached`, the compared time; the default `dotnet oci copy`, which also carries the
  image's SBOM referrer and looks for signatures (the referrers API or its fallback tag, cosign's tags), is measured
  beside them with a registry of its own. "The registry's own CPU time": user and system time of that `docker-registry` process during the copy
  (`/proc/PID/stat`), its work of receiving or sending the same bytes, which no client can take off a push: the
  registry hashes each blob it receives. The registries
  listen on 127.0.0.1 over plain HTTP: Oci.Build asks a loopback address over plain HTTP first, skopeo
  (`--tls-verify=false`) tries TLS first and then plain HTTP; for a registry elsewhere both use TLS at once.
- release archive: `benchmarks/air-gap.sh`: `dotnet oci export` of the samples/AirGapRelease bundle and `import` into
  an empty registry, against `skopeo copy --all` of the same images into a layout and from it.
- peak RSS: `/usr/bin/time -v` (maximum resident set size) of `dotnet publish`, generated app with a 1 GB publish
  folder, and of `dotnet oci import` of that image's thick archive.

Apps: `samples/HelloOci` (self-contained, about 105 MB published) and an app generated offline by
`benchmarks/generate-app.py` (self-contained, 40 generated NuGet packages with native assets, 600 asset files).

## Rerun

<!-- not run: takes about twenty minutes of a quiet machine; its output is this page -->
```bash
bash benchmarks/run.sh                               # RUNS=5, both apps, memory case
RUNS=3 APPS=hello MEMORY=0 bash benchmarks/run.sh    # quicker
bash benchmarks/image-step.sh                        # only the HelloOci image step, from source
CASES="fresh transfer" APPS=hello MEMORY=0 bash benchmarks/run.sh   # some cases only (build fresh encrypt transfer airgap)
bash benchmarks/air-gap.sh                           # only the release archive's export and import
bash benchmarks/warm-republish.sh                    # image step of a one-line change, and the layout bytes it wrote (not linked)
```
Needs `docker-registry`, `skopeo`, `python3` and GNU `time` (eng/test.sh installs them). The machine should be idle:
the ratios compare tools that compete for the same cores.
"""
with open(args.output, "w") as f:
    f.write(doc)

if args.readme:
    begin, end = "<!-- benchmarks:begin (generated by benchmarks/run.sh) -->", "<!-- benchmarks:end -->"
    with open(args.readme) as f:
        readme = f.read()
    if begin not in readme or end not in readme:
        raise SystemExit(f"{args.readme} has no {begin} ... {end} region")
    region = f"{begin}\nMeasured {now} on {os.cpu_count()} cores (load {args.load_start} → {args.load_end}); medians of {args.runs} runs, details in [docs/benchmarks.md](docs/benchmarks.md).\n\n" + "\n".join(table) + f"\n{end}"
    head, rest = readme.split(begin, 1)
    readme = head + region + rest.split(end, 1)[1]
    with open(args.readme, "w") as f:
        f.write(readme)
