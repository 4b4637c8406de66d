#!/bin/sh
# The main job: the founding case. Installs what is missing, builds, makes
# the two chains of the story with the openssl CLI, and shows what the
# Polycom CX700 and a modern phone make of them.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
make -s phoneboot build/fixtures/.done >/dev/null
F=build/fixtures
echo "== The company's internal chain (root SHA-256, RSA-4096), as the CX700 and a modern phone see it"
./phoneboot cert --profile polycom-cx700-ocpe --profile generic-modern \
	--name pool.test.example $F/chain-founding-internal.pem || true
echo
echo "== The Edge's public chain (SHA-1, RSA-2048)"
./phoneboot cert --profile polycom-cx700-ocpe --profile generic-modern \
	--name pool.test.example $F/chain-legacy.pem || true
