#!/usr/bin/env bash
# eng/fuzz.sh TARGET MINUTES: fuzz one reader of outside input with AFL++ (Debian afl++) and SharpFuzz (not run by CI).
# Targets (tests/Oci.Build.Fuzz/FuzzTargets.cs): reference, documents, archive, ber, registries-conf, hosts-toml, delegation.
# Work goes to .fuzz/TARGET (ignored by git): the instrumented build, the seeds, and AFL's findings. At the end, every
# crash or hang found is replayed and listed; keep a reproducing one as a regression case by copying it to
# tests/Oci.Build.Fuzz/findings/TARGET/ (FuzzTargetTests replays that folder in the suite) and fixing the reader.
set -euo pipefail
target=${1:?usage: eng/fuzz.sh TARGET MINUTES}
minutes=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/.fuzz/$target"
tools="$root/.fuzz/tools"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

if ! command -v afl-fuzz >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
[ -x "$tools/sharpfuzz" ] || dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null

rm -rf "$work/bin"
dotnet publish "$root/tests/Oci.Build.Fuzz" -c Release -o "$work/bin" -v quiet -nologo >/dev/null
rm -rf "$work/replay" && cp -r "$work/bin" "$work/replay"   # an uninstrumented copy, to replay findings outside AFL
rm -rf "$work/seeds" && dotnet "$work/bin/Oci.Build.Fuzz.dll" seeds "$work/seeds"   # before instrumenting: outside AFL it crashes
# Instrument the engine and the TOML parser: coverage of the readers under test is what steers AFL.
"$tools/sharpfuzz" "$work/bin/Oci.Build.dll"
"$tools/sharpfuzz" "$work/bin/Tomlyn.dll"

# The machine's core_pattern and CPU governor are not ours to change; AFL runs anyway and says what it skipped.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
start=$(date +%s)
afl-fuzz -i "$work/seeds/$target" -o "$work/afl" -V $((minutes * 60)) -t 10000 -m none \
  -- dotnet "$work/bin/Oci.Build.Fuzz.dll" "$target" >"$work/afl.log" 2>&1 || { tail -20 "$work/afl.log"; }
elapsed=$(( $(date +%s) - start ))

stats="$work/afl/default/fuzzer_stats"
execs=$(awk -F: '/^execs_done/ {gsub(/ /, "", $2); print $2}' "$stats" 2>/dev/null || echo "?")
paths=$(awk -F: '/^corpus_count/ {gsub(/ /, "", $2); print $2}' "$stats" 2>/dev/null || echo "?")
echo "fuzzed $target for ${elapsed}s: $execs executions, $paths inputs in the corpus"
found=0
for kind in crashes hangs; do
  for file in "$work/afl/default/$kind"/id:*; do
    [ -e "$file" ] || continue
    found=$((found + 1))
    echo "$kind: $file"
    timeout 60 dotnet "$work/replay/Oci.Build.Fuzz.dll" replay "$target" "$file" 2>&1 | head -5 || true
  done
done
echo "$found crash(es)/hang(s) found"
