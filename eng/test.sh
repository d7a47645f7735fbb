#!/usr/bin/env bash
# Runs every test of the repository. Installs the real tools the tests drive (from Debian packages) when missing.
# Ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

# clang links the natively compiled dotnet-oci (Native AOT) the SDK package carries.
packages=(docker-registry skopeo umoci gnupg busybox-static openssl jq podman python3 containerd runc time curl clang)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "Installing test tools: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    echo "Could not install ${missing[*]}"; echo "0 passed, 1 failed"; exit 1; }
fi

log=$(mktemp)
# Everything the run puts in the temp folder (the tests' folders, and what the SDK, MSBuild and the tools leave there: a
# `dotnet publish` alone leaves two empty folders in /tmp) goes into one folder of its own, removed when the run ends.
# Its name is short: containerd's sockets live below it, and a Unix socket path has at most 107 characters.
run_tmp=$(mktemp -d /tmp/oci-test.XXXXXX)
trap 'rm -rf "$run_tmp"' EXIT
export TMPDIR=$run_tmp
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
# The tests compile samples and the tools about a hundred times. Through the compiler server (the SDK's default, which
# some machines turn off with UseSharedCompilation=false in the environment) each compile skips starting and JIT-ing
# the compiler: about 7 s of CPU each without it, which on 2 cores is minutes of the suite. Stopped when the tests end.
export UseSharedCompilation=true
dotnet test Oci.Build.sln --blame-hang-timeout 10m "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
dotnet build-server shutdown --vbcscompiler >/dev/null 2>&1 || true

# dotnet test prints one "Passed!/Failed!  - Failed: F, Passed: P, ..." line per test assembly.
read -r passed failed < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+).*/\2 \1/' |
  awk '{p+=$1; f+=$2} END {print p+0, f+0}')
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi   # the build or the runner itself failed
echo "$passed passed, $failed failed"
exit "$status"
