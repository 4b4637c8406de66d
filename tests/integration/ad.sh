#!/bin/bash
# phoneboot logon against the lab's AD mode (needs root: lab/lab up --ad):
# Samba AD DC (389 with StartTLS, 636; a simple bind in clear refused) and
# the MS-SIPAE registrar (NTLM). The founding case both ways, with NTLM and
# the directory read inside StartTLS; credentials refused; the registrar's
# scenarios; the old directory of ldap-weak; and that the password never
# crosses the loopback in clear (a packet capture of the boot).
# Run it under the lab lock: flock /tmp/pb-lab.lock bash tests/integration/ad.sh
# Ends with "ad: N passed, N failed"; the lab is down afterwards, always.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
# PB_BIN: the binary under test (make lab-test passes the ASan+UBSan build;
# a sanitizer report exits 86, which no expectation accepts)
PB=${PB_BIN:-./phoneboot}
echo "ad tests with $PB"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
OUT=$(mktemp); ERR=$(mktemp); CAP=$(mktemp)
trap 'lab/lab down >/dev/null 2>&1; rm -f "$OUT" "$ERR" "$CAP"' EXIT
# run WANT_RC DESCRIPTION ARGS... ; the JSON report lands in $OUT
run() {
	local want=$1 what=$2; shift 2
	timeout 90 "$PB" logon "$@" --json >"$OUT" 2>"$ERR"; local rc=$?
	[ "$rc" = "$want" ] && ok "$what: exit $rc" || { ko "$what: exit $rc, want $want"; head -c 600 "$ERR"; }
}
q() { python3 -c "import json,sys; d=json.load(open('$OUT')); st={s['step']:s for s in d['steps']}; sys.exit(0 if ($1) else 1)" 2>/dev/null; }
expect() { q "$1" && ok "  $2" || { ko "  $2"; python3 -c "
import json; d=json.load(open('$OUT'))
print('    got:', d['outcome'], json.dumps(d['diagnosis'])[:400])
for s in d['steps']:
    if s['step'] in ('download-root','authenticate'): print('   ', s['step'], s['result'], s.get('cause'), json.dumps(s['facts'])[:400])"; }; }
diag() { echo "d['diagnosis'] and d['diagnosis']['step']=='$1' and d['diagnosis']['cause']=='$2'"; }
# the directory step went through StartTLS as the user, no warning
STARTTLS_OK="st['download-root']['result']=='ok' and st['download-root']['facts']['bind'].startswith('StartTLS, simple bind as alice@corp.example') and st['download-root']['facts']['tls'].startswith('StartTLS, TLS') and 'dc01' in st['download-root']['facts']['dc-certificate']['subject'] and 'warning' not in st['download-root']['facts']"
# a phone that speaks NTLM binds as a domain member does: SASL GSS-SPNEGO
# with NTLM on 389, signed and sealed (no TLS, no password on the wire)
SASL_OK="st['download-root']['result']=='ok' and st['download-root']['facts']['bind']=='GSS-SPNEGO (NTLM) bind as alice@corp.example, signed and sealed' and 'tls' not in st['download-root']['facts'] and 'warning' not in st['download-root']['facts'] and len(st['download-root']['facts']['certificates'])==1"
CX="--profile polycom-cx700-ocpe"
up() { lab/lab up --ad --scenario "$1" >/dev/null 2>&1 || { ko "lab up --ad --scenario $1"; return 1; }; }

up founding || { echo "ad: $pass passed, $fail failed"; exit 1; }
eval "$(lab/lab env)"
I=$PHONEBOOT_DNS_INTERNAL; E=$PHONEBOOT_DNS_EXTERNAL
ID=$PHONEBOOT_USER@$PHONEBOOT_DOMAIN
PW=$PHONEBOOT_PASSWORD

echo "== founding case, NTLM, the directory inside StartTLS"
# a capture of every TCP payload on the loopback while the phone boots
python3 - "$CAP" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))
s.bind(("lo", 0)); s.settimeout(0.2)
end = time.time() + 40
with open(sys.argv[1], "wb") as f:
    while time.time() < end:
        try:
            p = s.recv(65535)
        except socket.timeout:
            continue
        if len(p) > 34 and p[12:14] == b"\x08\x00" and p[23] == 6:
            ihl = (p[14] & 15) * 4
            tcp = 14 + ihl
            off = (p[tcp + 12] >> 4) * 4
            f.write(p[tcp + off:]); f.flush()
PY
CAPPID=$!
sleep 0.5
run 1 "CX700, internal DNS, --alt-dns external" $ID $CX --dns $I --alt-dns $E
kill $CAPPID 2>/dev/null; wait $CAPPID 2>/dev/null
expect "d['outcome']=='loop'" "outcome loop"
expect "$(diag install-root cert-sig-hash-unsupported)" "diagnosis install-root / cert-sig-hash-unsupported"
expect "$SASL_OK" "download-root ok: GSS-SPNEGO (NTLM) bind as alice@corp.example, signed and sealed; the root read through the SASL layer"
expect "d['auth_overridden'] is False" "no --auth: the profile's schemes"
expect "any(r['remedy']=='use-dns' and r['verified'] for r in d['remedies']) and d['alternative']['outcome']=='signed-in'" "use-dns verified: the external boot signs in"
if [ -s "$CAP" ]; then
	grep -qaF -- "$PW" "$CAP" && ko "  the password crossed the loopback in clear" ||
		ok "  a capture of the boot never shows the password ($(stat -c %s "$CAP") bytes of TCP payload)"
else
	ko "  the capture saw nothing"
fi
grep -qF -- "$PW" "$OUT" "$ERR" && ko "  the password in the report" || ok "  the password is not in the report"
run 1 "CX700 with --auth digest (no NTLM): the directory inside StartTLS" $ID $CX --dns $I --auth digest
expect "$STARTTLS_OK" "download-root ok: StartTLS, simple bind as alice@corp.example; the DC's certificate recorded"
run 0 "CX700, external DNS" $ID $CX --dns $E
expect "d['outcome']=='signed-in' and st['authenticate']['facts'].get('scheme','').upper().startswith('NTLM')" "signed in through the edge with NTLM"
run 0 "CX700, external DNS, --sign-out" $ID $CX --dns $E --sign-out
expect "st['register']['facts']['sign_out'].startswith('200 OK, signed in the security association;') and st['register']['facts']['sign_out'].endswith('proof verified')" "signed out in the NTLM security association (no new handshake), the registrar's proof verified"
expect "[e['label'][:32] for e in d['exchanges'] if e['direction']=='out' and e['step']=='register'] == ['REGISTER (CSeq 4, Expires: 0), A']" "one REGISTER to sign out (CSeq 4, Expires: 0) after the three of the sign-in"

echo "== credentials"
PHONEBOOT_PASSWORD=not-the-password run 1 "wrong password, external DNS" $ID $CX --dns $E
expect "$(diag authenticate sip-auth-failed)" "sip-auth-failed"
PHONEBOOT_PASSWORD=not-the-password run 1 "wrong password, internal DNS" $ID $CX --dns $I
expect "st['download-root']['facts']['bind'].startswith('StartTLS, anonymous (the bind as alice@corp.example was refused: Invalid credentials') and 'first GSS-SPNEGO (NTLM) as alice@corp.example refused by ldap://127.0.1.10:389: Invalid credentials' in st['download-root']['facts']['bind']" "GSS-SPNEGO refused, then the bind inside StartTLS, each with AD's reason"
PHONEBOOT_PASSWORD=$PHONEBOOT_LAB_DISABLED_PASSWORD run 1 "carol (disabled), external DNS" \
	$PHONEBOOT_LAB_DISABLED_USER@$PHONEBOOT_DOMAIN $CX --dns $E
expect "$(diag authenticate sip-auth-failed) and 'NT_STATUS_ACCOUNT_DISABLED' in json.dumps(d['diagnosis'])" "sip-auth-failed, the registrar's reason (NT_STATUS_ACCOUNT_DISABLED) in the detail"

echo "== the pool's scenarios (a phone that reaches the pool, speaking NTLM only)"
# the CX700 never reaches the pool (it cannot use the internal chain); a
# Yealink T4x (SHA-256 capable, the lpe flow: _sipinternaltls) made to speak
# only NTLM meets the pool
NT="--profile yealink-t4x-sfb --auth ntlm"
if up founding; then
	run 1 "a Digest-only phone at the MS-SIPAE pool" $ID --profile yealink-t4x-sfb --auth digest --dns $I
	expect "$(diag authenticate sip-auth-scheme-unsupported) and 'offers NTLM' in st['authenticate']['detail'] and 'the device speaks digest' in st['authenticate']['detail']" "sip-auth-scheme-unsupported, naming both lists (as a Lync pool answers a Digest phone)"
	run 0 "the sip flow finds Kamailio (_sips._tcp) and signs in with Digest" $ID --profile generic-modern --dns $I
	expect "d['outcome']=='signed-in' and st['authenticate']['facts']['scheme']=='Digest' and d['target'].startswith('proxy.corp.example')" "signed in with Digest at Kamailio (proxy.corp.example)"
fi
if up tls-dsk-only; then
	run 1 "tls-dsk-only, internal DNS" $ID $NT --dns $I
	expect "$(diag authenticate sip-auth-scheme-unsupported) and 'TLS-DSK' in json.dumps(d['diagnosis'])" "sip-auth-scheme-unsupported (the pool offers TLS-DSK only)"
	expect "$SASL_OK" "download-root ok: GSS-SPNEGO (NTLM), signed and sealed"
fi
if up bad-rspauth; then
	run 1 "bad-rspauth, internal DNS" $ID $NT --dns $I
	expect "$(diag authenticate sip-signature-invalid)" "sip-signature-invalid"
fi

echo "== ldap-weak: an old directory that takes a clear bind; TLS is still first"
if up ldap-weak; then
	run 1 "ldap-weak, CX700, internal DNS" $ID $CX --dns $I
	expect "$SASL_OK and $(diag install-root cert-sig-hash-unsupported)" "download-root ok (GSS-SPNEGO first); install-root / cert-sig-hash-unsupported"
	run 1 "ldap-weak, --ldap-plain-bind" $ID $CX --dns $I --ldap-plain-bind
	expect "$SASL_OK" "--ldap-plain-bind is only a fallback: GSS-SPNEGO still, no warning"
fi
lab/lab down >/dev/null 2>&1
echo "ad: $pass passed, $fail failed"
[ "$fail" = 0 ]
