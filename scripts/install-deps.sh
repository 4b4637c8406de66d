#!/bin/sh
# Install the Debian 12 packages phoneboot needs, only those that are missing.
#   scripts/install-deps.sh build   - to build phoneboot and run its unit tests
#   scripts/install-deps.sh lab     - build + the lab's servers and probe tools,
#                                     and the browser for the HTML report test
#   scripts/install-deps.sh test    - build + the browser (no lab)
# Needs root (or sudo) only when something is missing.
set -eu
BUILD="build-essential pkg-config libssl-dev openssl libuv1-dev libc-ares-dev \
libldap-dev libjansson-dev libinih-dev libcmocka-dev libcurl4-openssl-dev clang python3 cppcheck \
libkrb5-dev"
LAB="dnsmasq slapd ldap-utils kamailio kamailio-tls-modules bind9-dnsutils \
iproute2 busybox udhcpc procps chrony nginx-light curl"
# the AD mode (lab/lab up --ad): Samba AD DC (samba-ad-lab.md: samba-ad-provision
# is required), Kerberos and SASL GSSAPI clients for the checks, gss-ntlmssp
# and the headers lab/registrar builds with (make lab-tools)
LAB="$LAB samba samba-ad-dc samba-ad-provision samba-dsdb-modules samba-vfs-modules \
winbind krb5-user libsasl2-modules-gssapi-mit gss-ntlmssp gss-ntlmssp-dev libkrb5-dev \
libwbclient-dev util-linux"
# the enterprise CA's web enrollment pages (Kerberos in SPNEGO): lighttpd and
# its GSS-API module
LAB="$LAB lighttpd lighttpd-mod-authn-gssapi"
# the HTML report's test in a real browser (tests/browser/run.sh); script(1)
# and man for the CLI tests
TEST="chromium bsdutils man-db"
# tests/integration/kerberos.sh: an MIT KDC of its own on 127.0.0.1
# (krb5kdc, kdb5_util; kadmin.local)
LAB="$LAB krb5-kdc krb5-admin-server"
# bench/bench_fleet.py: SIPp (sip-tester, over TLS through stunnel4) and sipsak
# beside phoneboot fleet
LAB="$LAB sip-tester sipsak stunnel4"
want=$BUILD
[ "${1:-build}" = lab ] && want="$BUILD $LAB $TEST"
[ "${1:-build}" = test ] && want="$BUILD $TEST"
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "phoneboot: installing:$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
# policy-rc.d: the packaged dnsmasq/slapd/samba must not start and grab ports 53/389;
# the lab runs its own instances on lab addresses only.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
