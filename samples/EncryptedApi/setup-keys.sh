#!/usr/bin/env bash
# Makes the sample's encryption keys in keys/ (ignored by git; never commit private keys):
#   keys/prod.pem, keys/prod.pub.pem     RSA 3072 key pair: the JWE recipient (what containerd/CRI-O nodes hold)
#   keys/ops.asc, keys/ops.secret.asc    OpenPGP key pair of the operations team (keyring in keys/gnupg, not yours)
# Run again with --force to replace them.
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" != "--force" ] && [ -f keys/prod.pub.pem ] && [ -f keys/ops.asc ]; then
  echo "keys/ exists; use --force to make new keys"; exit 0
fi
rm -rf keys && mkdir -p keys/gnupg && chmod 700 keys/gnupg
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out keys/prod.pem 2>/dev/null
openssl pkey -in keys/prod.pem -pubout -out keys/prod.pub.pem
export GNUPGHOME="$PWD/keys/gnupg"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-generate-key "EncryptedApi ops <ops@encrypted-api.example>" default default never
gpg --batch --armor --export ops@encrypted-api.example > keys/ops.asc
gpg --batch --pinentry-mode loopback --passphrase '' --armor --export-secret-keys ops@encrypted-api.example > keys/ops.secret.asc
gpgconf --kill all
chmod 600 keys/prod.pem keys/ops.secret.asc
echo "keys made in $PWD/keys"
