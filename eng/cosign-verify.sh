#!/usr/bin/env bash
# Offline cosign key verification of an image in a registry, with skopeo, jq and openssl only: what
# `cosign verify --key PUB.pem --insecure-ignore-tlog` and containers/image's `sigstoreSigned` policy check.
# (Debian's skopeo and podman are built with sigstore disabled, and cosign is not packaged; this is the same check
# from the signature spec, done with tools every machine here has.)
#
#   eng/cosign-verify.sh --key PUB.pem [--tls-verify=false] [--remap PREFIX=SIGNEDPREFIX] docker://HOST/REPO:TAG|@DIGEST
#
# Accepts when some signature under the tag sha256-HEX.sig of the image's manifest digest verifies with the key, is a
# "cosign container image signature" of exactly that digest, and names the image as containers/image's
# matchRepoDigestOrExact does (by tag: the same name and tag; by digest: the same repository). With --remap, a name
# under PREFIX is checked as the same name under SIGNEDPREFIX (containers/image's remapIdentity, after relocation).
# Prints the signed names on success; exit 1 with the reason otherwise.
set -euo pipefail
key="" tls=() remap="" ref=""
while [ $# -gt 0 ]; do
  case "$1" in
    --key) key="$2"; shift 2 ;;
    --tls-verify=*) tls=("$1"); shift ;;
    --remap) remap="$2"; shift 2 ;;
    docker://*) ref="${1#docker://}"; shift ;;
    *) echo "usage: $0 --key PUB.pem [--tls-verify=false] [--remap PREFIX=SIGNEDPREFIX] docker://HOST/REPO:TAG" >&2; exit 2 ;;
  esac
done
[ -n "$key" ] && [ -n "$ref" ] || { echo "usage: $0 --key PUB.pem docker://HOST/REPO:TAG" >&2; exit 2; }
fail() { echo "REFUSED $ref: $*" >&2; exit 1; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# skopeo only transports here; no policy of this machine applies to fetching the signature itself.
printf '{"default":[{"type":"insecureAcceptAnything"}]}' > "$work/policy.json"

if [[ "$ref" == *@* ]]; then repo="${ref%@*}"; wanted="$repo"; else
  last="${ref##*/}"; if [[ "$last" == *:* ]]; then repo="${ref%:*}"; else repo="$ref"; ref="$ref:latest"; fi; wanted="$ref"; fi
if [ -n "$remap" ]; then
  prefix="${remap%%=*}" signed="${remap#*=}"
  # As containers/image: the prefix is a host, a namespace or a whole repository (then followed by :TAG or nothing).
  rest="${wanted#"$prefix"}"
  [[ "$wanted" == "$prefix"* && ( -z "$rest" || "$rest" == /* || ( "$rest" == :* && "$rest" != */* ) ) ]] \
    || fail "$wanted is not under the remapped prefix $prefix"
  wanted="$signed${wanted#"$prefix"}"
fi

skopeo inspect "${tls[@]}" --raw "docker://$ref" > "$work/manifest" || fail "cannot read the image"
digest="sha256:$(sha256sum "$work/manifest" | cut -d' ' -f1)"
sigtag="sha256-${digest#sha256:}.sig"
skopeo --policy "$work/policy.json" copy -q "${tls[@]/--tls-verify/--src-tls-verify}" "docker://$repo:$sigtag" "dir:$work/sig" >/dev/null 2>&1 \
  || fail "no signature ($repo:$sigtag does not exist)"

ok=0 reasons=()
while IFS=$'\t' read -r layer_digest media signature; do
  [ "$media" = "application/vnd.dev.cosign.simplesigning.v1+json" ] || { reasons+=("$layer_digest: not a simple-signing layer"); continue; }
  [ -n "$signature" ] && [ "$signature" != null ] || { reasons+=("$layer_digest: no signature annotation"); continue; }
  payload="$work/sig/${layer_digest#sha256:}"
  printf '%s' "$signature" | base64 -d > "$work/signature.der" 2>/dev/null || { reasons+=("$layer_digest: signature is not base64"); continue; }
  openssl dgst -sha256 -verify "$key" -signature "$work/signature.der" "$payload" >/dev/null 2>&1 \
    || { reasons+=("$layer_digest: the signature does not verify with $key"); continue; }
  type=$(jq -r '.critical.type' "$payload"); signed_digest=$(jq -r '.critical.image["docker-manifest-digest"]' "$payload")
  identity=$(jq -r '.critical.identity["docker-reference"]' "$payload")
  [ "$type" = "cosign container image signature" ] || { reasons+=("$layer_digest: type '$type'"); continue; }
  [ "$signed_digest" = "$digest" ] || { reasons+=("$layer_digest: signs $signed_digest, not $digest"); continue; }
  if [[ "$wanted" == "$repo" || "$wanted" != *:* || "${wanted##*/}" != *:* ]]; then
    [ "${identity%:*}" = "$wanted" ] || [ "$identity" = "$wanted" ] || { reasons+=("$layer_digest: signed for $identity, not $wanted"); continue; }
  else
    [ "$identity" = "$wanted" ] || { reasons+=("$layer_digest: signed for $identity, not $wanted"); continue; }
  fi
  echo "verified $digest signed as $identity"; ok=1
done < <(jq -r '.layers[] | [.digest, .mediaType, (.annotations["dev.cosignproject.cosign/signature"] // "null")] | @tsv' "$work/sig/manifest.json")
[ "$ok" = 1 ] || fail "no signature verifies: ${reasons[*]:-none}"
