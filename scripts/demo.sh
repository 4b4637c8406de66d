#!/bin/sh
# The main job: the founding case against the bundled lab. Installs what is
# missing, builds, brings the lab up in its Active Directory mode (Samba AD
# DC, and the MS-SIPAE registrar on pool and edge: scenario founding) and
# boots an emulated Polycom CX700 twice, speaking NTLM as the real one does:
# with the internal DNS server (the loop and its diagnosis, the public DNS
# remedy verified), then with the external DNS server (signed in through
# the edge).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh lab
make -s phoneboot >/dev/null
lab/lab up --ad --scenario founding
eval "$(lab/lab env)"
ID=$PHONEBOOT_USER@$PHONEBOOT_DOMAIN
echo
echo "== 1. The CX700 with its DHCP reservation's internal DNS server ($PHONEBOOT_DNS_INTERNAL)"
echo "   (NTLM to the lab's MS-SIPAE registrar; the directory read with SASL GSS-SPNEGO, NTLM, sealed)"
echo
./phoneboot logon "$ID" --profile polycom-cx700-ocpe \
	--dns "$PHONEBOOT_DNS_INTERNAL" --alt-dns "$PHONEBOOT_DNS_EXTERNAL" || true
echo
echo "== 2. The fix: the same phone given public DNS ($PHONEBOOT_DNS_EXTERNAL) in its reservation"
echo
./phoneboot logon "$ID" --profile polycom-cx700-ocpe \
	--dns "$PHONEBOOT_DNS_EXTERNAL"
echo
echo "The lab stays up ('lab/lab down' stops it). More: phoneboot logon --help,"
echo "lab/README.md (scenarios), phoneboot cert $PHONEBOOT_LAB_POOL:5061."
