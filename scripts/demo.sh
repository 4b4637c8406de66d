#!/bin/sh
# The main job: the founding case against the bundled lab. Installs what is
# missing, builds, brings the lab up (scenario founding) and shows what a
# Polycom CX700 and a modern phone make of the chains the real pool and the
# real edge present. (phoneboot logon, which walks the whole boot, is issue 4.)
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh lab
make -s phoneboot >/dev/null
lab/lab up --scenario founding
eval "$(lab/lab env)"
echo
echo "== The internal SIP pool (what internal DNS leads to): its chain, as each phone judges it"
./phoneboot cert --profile polycom-cx700-ocpe --profile generic-modern \
	--name pool.$PHONEBOOT_DOMAIN "$PHONEBOOT_LAB_POOL:5061" || true
echo
echo "== The Edge (what public DNS leads to): its public SHA-1/2048 chain"
./phoneboot cert --profile polycom-cx700-ocpe --profile generic-modern \
	--name edge.$PHONEBOOT_DOMAIN --trust "$PHONEBOOT_DEVICE_ROOTS" "$PHONEBOOT_LAB_EDGE:443" || true
echo
echo "The CX700 cannot use the company root (SHA-256, RSA-4096), so it cannot trust the pool;"
echo "the Edge's chain is usable by it and anchored in its built-in (public) roots."
echo "The lab stays up: 'lab/lab down' stops it."
