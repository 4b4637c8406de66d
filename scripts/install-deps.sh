#!/bin/sh
# Install the Debian 12 packages phoneboot needs, only those that are missing.
#   scripts/install-deps.sh build   - to build phoneboot and run its unit tests
#   scripts/install-deps.sh lab     - build + the lab's servers and probe tools
# Needs root (or sudo) only when something is missing.
set -eu
BUILD="build-essential pkg-config libssl-dev openssl libuv1-dev libc-ares-dev \
libldap-dev libjansson-dev libinih-dev libcmocka-dev clang python3 cppcheck"
LAB="dnsmasq slapd ldap-utils kamailio kamailio-tls-modules bind9-dnsutils \
iproute2 busybox udhcpc procps"
# bench/bench_fleet.py: SIPp (sip-tester) and sipsak beside phoneboot fleet
LAB="$LAB sip-tester sipsak"
want=$BUILD
[ "${1:-build}" = lab ] && want="$BUILD $LAB"
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "phoneboot: installing:$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
# policy-rc.d: the packaged dnsmasq/slapd must not start and grab ports 53/389;
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
