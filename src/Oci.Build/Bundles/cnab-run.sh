#!/bin/sh
# /cnab/app/run: the default CNAB invocation image entry point written by Oci.Build (docs/bundles.md).
#
# A CNAB runtime (Porter, duffle, cnab-go drivers) starts the invocation image with CNAB_ACTION set to install, upgrade,
# uninstall or a custom action, and may mount the relocation map at /cnab/app/relocation-mapping.json. This script only
# reports: the action, the bundle and installation names, and where every image of the bundle is to be pulled from
# (the relocated reference when the map is there). Replace it with your deploy logic: -p:ContainerBundleRunScript=deploy.sh
#
# It needs a POSIX shell in the base image (/bin/sh, as in mcr.microsoft.com/dotnet/runtime-deps); CNAB_RELOCATION_MAPPING
# overrides the map's path (for running this script outside a container).
set -eu

action="${CNAB_ACTION:-}"
mapping="${CNAB_RELOCATION_MAPPING:-/cnab/app/relocation-mapping.json}"

if [ -z "$action" ]; then
  echo "CNAB_ACTION is not set: this is a CNAB invocation image, run by a CNAB runtime (porter, duffle)." >&2
  exit 2
fi

echo "action: $action"
echo "bundle: ${CNAB_BUNDLE_NAME:-?} ${CNAB_BUNDLE_VERSION:-?}"
echo "installation: ${CNAB_INSTALLATION_NAME:-?}"

if [ -f "$mapping" ]; then
  echo "relocated images ($mapping):"
  # The map is one flat JSON object of strings: {"original":"relocated",...}. Image references hold no ',', '{', '}'.
  tr -d '{}\n' < "$mapping" | tr ',' '\n' | sed -n 's/^[[:space:]]*"\([^"]*\)"[[:space:]]*:[[:space:]]*"\([^"]*\)"[[:space:]]*$/  \1 -> \2/p'
else
  echo "relocated images: none (no $mapping); images are pulled from where bundle.json names them"
fi
