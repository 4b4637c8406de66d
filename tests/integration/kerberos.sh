#!/bin/bash
# The Kerberos sign-in against a real MIT KDC: krb5kdc on 127.0.0.1 (free
# ports), a realm of its own (TEST.EXAMPLE) made here in a temporary
# directory, never the host's krb5.conf or KDC database. Principals: alice
# (pre-authentication required), carol (disabled: -allow_tix), the
# registrar's sip/pool.test.example (its keytab for the mock registrar); no
# principal for sip/pool2.test.example. Then build/integration/test_kerberos
# (cmocka) boots against it. Needs krb5-kdc and krb5-admin-server
# (scripts/install-deps.sh lab); no root, no lab.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
for t in krb5kdc kdb5_util kadmin.local; do
	command -v "$t" >/dev/null || PATH=$PATH:/usr/sbin
	command -v "$t" >/dev/null || { echo "kerberos: $t not installed, skipped (scripts/install-deps.sh lab)"; exit 0; }
done
BIN=${PB_KRB_TEST:-build/integration/test_kerberos}
[ -x "$BIN" ] || { echo "kerberos: $BIN not built (make $BIN)"; exit 2; }
D=$(mktemp -d /tmp/pb-krb.XXXXXX)
KDC_PID=
cleanup() {
	[ -n "$KDC_PID" ] && kill "$KDC_PID" 2>/dev/null && wait "$KDC_PID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
# a free port for both TCP and UDP (bounded tries)
PORT=
for _ in $(seq 1 20); do
	p=$((20000 + RANDOM % 20000))
	if ! ss -Htuln "sport = :$p" 2>/dev/null | grep -q .; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "kerberos: no free port"; exit 2; }
cat > "$D/kdc.conf" <<CONF
[kdcdefaults]
 kdc_listen = 127.0.0.1:$PORT
 kdc_tcp_listen = 127.0.0.1:$PORT
 # an AS-REP is larger: KRB_ERR_RESPONSE_TOO_BIG over UDP, then TCP
 kdc_max_dgram_reply_size = 600
[realms]
 TEST.EXAMPLE = {
  database_name = $D/principal
  key_stash_file = $D/stash
  acl_file = $D/kadm5.acl
  max_life = 1h
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
 }
[logging]
 kdc = FILE:$D/kdc.log
CONF
cat > "$D/krb5.conf" <<CONF
[libdefaults]
 default_realm = TEST.EXAMPLE
 dns_lookup_kdc = false
 # the KDC allows 15 minutes: a device 10 minutes off passes the KDC and
 # refuses its reply itself (KRB5_KDCREP_SKEW); 20 minutes off, the KDC
 # refuses (KRB_AP_ERR_SKEW)
 clockskew = 900
[realms]
 TEST.EXAMPLE = {
  kdc = 127.0.0.1:$PORT
 }
CONF
: > "$D/kadm5.acl"
# the KDC's tools read only these files (never /etc/krb5.conf, /etc/krb5kdc)
export KRB5_CONFIG=$D/krb5.conf KRB5_KDC_PROFILE=$D/kdc.conf
PW=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')x1A
printf '%s\n' "$PW" > "$D/password"
chmod 600 "$D/password"
MK=$(head -c 12 /dev/urandom | base64)
kdb5_util create -s -r TEST.EXAMPLE -P "$MK" >"$D/create.log" 2>&1 || { cat "$D/create.log"; exit 2; }
# passwords through kadmin.local's stdin (its -pw would show on a command line)
ka() { kadmin.local -r TEST.EXAMPLE -q "$1" >>"$D/kadmin.log" 2>&1; }
printf '%s\n%s\n' "$PW" "$PW" | kadmin.local -r TEST.EXAMPLE -q "addprinc +requires_preauth alice" >>"$D/kadmin.log" 2>&1
printf '%s\n%s\n' "$PW" "$PW" | kadmin.local -r TEST.EXAMPLE -q "addprinc +requires_preauth -allow_tix carol" >>"$D/kadmin.log" 2>&1
ka "addprinc -randkey sip/pool.test.example"
ka "ktadd -k $D/sip.keytab sip/pool.test.example"
# the enterprise CA's web enrollment pages (test_kerberos: web_enrollment_routes)
ka "addprinc -randkey HTTP/ca.test.example"
[ -s "$D/sip.keytab" ] || { cat "$D/kadmin.log"; exit 2; }
krb5kdc -n -r TEST.EXAMPLE >"$D/kdc.out" 2>&1 &
KDC_PID=$!
for _ in $(seq 1 50); do
	ss -Htln "sport = :$PORT" 2>/dev/null | grep -q . && break
	sleep 0.1
done
ss -Htln "sport = :$PORT" | grep -q . || { echo "kerberos: krb5kdc did not start"; cat "$D/kdc.out" "$D/kdc.log"; exit 2; }
# the test program must not read the KDC's files either: phoneboot's
# contexts have their own (in-memory) profile. The mock registrar's acceptor
# (MIT's default context) reads this one: 60 s of skew, so that an AP-REQ
# made at a device clock 250 s off is refused (the device's clock reaches
# the authenticator)
unset KRB5_KDC_PROFILE
printf '[libdefaults]\n clockskew = 60\n' > "$D/acceptor.conf"
export KRB5_CONFIG=$D/acceptor.conf
PB_KRB_PORT=$PORT PB_KRB_KEYTAB=$D/sip.keytab PB_KRB_PASSWORD_FILE=$D/password \
	PB_FIXTURES=$TOP/build/fixtures PB_PROFILES=$TOP/profiles timeout 300 "$BIN" \
	>"$D/test.out" 2>&1
rc=$?
cat "$D/test.out"
if [ $rc != 0 ]; then echo "--- kdc.log"; tail -30 "$D/kdc.log"; fi
# the password never in what the test printed (reports, details)
if grep -qF "$PW" "$D/test.out"; then echo "FAIL the password is in the output"; rc=1; fi
p=$(grep -c '^\[       OK \]' "$D/test.out"); f=$(grep -c '^\[  FAILED  \] [a-z]' "$D/test.out")
[ $rc != 0 ] && [ "$f" = 0 ] && f=1
echo "kerberos: $p passed, $f failed"
[ $rc = 0 ]
