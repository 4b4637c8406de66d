#!/bin/bash
# phoneboot logon against the lab's AD mode (needs root: lab/lab up --ad):
# Samba AD DC (389 with StartTLS, 636; a simple bind in clear refused) and
# the MS-SIPAE registrar (NTLM, Kerberos). The founding case both ways, with NTLM and
# the directory read inside StartTLS; credentials refused; the registrar's
# scenarios; the old directory of ldap-weak; Kerberos at the pool (signed
# in, clock skew, the KDC's refusals, no-spn, kdc-down, the fallback to
# NTLM); and that the password never crosses the loopback in clear (packet
# captures of boots, NTLM and Kerberos).
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

# a capture of every TCP and UDP payload on the loopback while the phone
# boots (cap_start ... cap_stop), then cap_check: the password is in none
# of it, nor in the report
cap_start() {
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
        if len(p) > 34 and p[12:14] == b"\x08\x00" and p[23] in (6, 17):
            ihl = (p[14] & 15) * 4
            l4 = 14 + ihl
            off = (p[l4 + 12] >> 4) * 4 if p[23] == 6 else 8
            f.write(p[l4 + off:]); f.flush()
PY
	CAPPID=$!
	sleep 0.5
}
cap_stop() { kill $CAPPID 2>/dev/null; wait $CAPPID 2>/dev/null; }
cap_check() {
	if [ -s "$CAP" ]; then
		grep -qaF -- "$PW" "$CAP" && ko "  the password crossed the loopback in clear" ||
			ok "  a capture of the boot never shows the password ($(stat -c %s "$CAP") bytes of TCP and UDP payload)"
	else
		ko "  the capture saw nothing"
	fi
	grep -qF -- "$PW" "$OUT" "$ERR" && ko "  the password in the report" || ok "  the password is not in the report"
	: > "$CAP"
}

up founding || { echo "ad: $pass passed, $fail failed"; exit 1; }
eval "$(lab/lab env)"
I=$PHONEBOOT_DNS_INTERNAL; E=$PHONEBOOT_DNS_EXTERNAL
ID=$PHONEBOOT_USER@$PHONEBOOT_DOMAIN
PW=$PHONEBOOT_PASSWORD

echo "== founding case, NTLM, the directory inside StartTLS"
cap_start
run 1 "CX700, internal DNS, --alt-dns external" $ID $CX --dns $I --alt-dns $E
cap_stop
expect "d['outcome']=='loop'" "outcome loop"
expect "$(diag install-root cert-sig-hash-unsupported)" "diagnosis install-root / cert-sig-hash-unsupported"
expect "$SASL_OK" "download-root ok: GSS-SPNEGO (NTLM) bind as alice@corp.example, signed and sealed; the root read through the SASL layer"
expect "d['auth_overridden'] is False" "no --auth: the profile's schemes"
WEB_SAME="st['download-root']['facts']['enterprise_cas']==[{'ca':'corp-ROOT-CA','host':'ca.corp.example'}] and st['download-root']['facts']['service_ticket']=='HTTP/ca.corp.example@CORP.EXAMPLE' and st['download-root']['facts']['web_enrollment']['form']=='base64 (PEM armor)' and any(e['step']=='download-root' and e['direction']=='out' and e['label'].startswith('GET /certsrv/certnew.p7b?ReqID=CACert') for e in d['exchanges'])"
expect "$WEB_SAME and st['download-root']['facts']['web_enrollment']['added']==0" "the CA chain from the enterprise CA's web enrollment too (Kerberos in SPNEGO, a ticket for HTTP/ca.corp.example): the same root as the directory's"
expect "any(r['remedy']=='use-dns' and r['verified'] for r in d['remedies']) and d['alternative']['outcome']=='signed-in'" "use-dns verified: the external boot signs in"
cap_check
run 1 "CX700 with --auth digest (no NTLM): the directory inside StartTLS" $ID $CX --dns $I --auth digest
expect "$STARTTLS_OK" "download-root ok: StartTLS, simple bind as alice@corp.example; the DC's certificate recorded"
run 0 "CX700, external DNS" $ID $CX --dns $E
expect "d['outcome']=='signed-in' and st['authenticate']['facts'].get('scheme','').upper().startswith('NTLM')" "signed in through the edge with NTLM"
run 0 "CX700, external DNS, --sign-out" $ID $CX --dns $E --sign-out
expect "st['register']['facts']['sign_out'].startswith('200 OK, signed in the security association;') and st['register']['facts']['sign_out'].endswith('proof verified')" "signed out in the NTLM security association (no new handshake), the registrar's proof verified"
expect "[e['label'][:32] for e in d['exchanges'] if e['direction']=='out' and e['step']=='register'] == ['REGISTER (CSeq 4, Expires: 0), A']" "one REGISTER to sign out (CSeq 4, Expires: 0) after the three of the sign-in"

echo "== Kerberos at the pool (internal view): the KDC found by SRV, the AP-REQ in one round trip"
# a Yealink T4x (reaches the pool) made to speak Kerberos only (--auth), and
# a test profile that speaks Kerberos, then NTLM (falls back)
KR="--profile yealink-t4x-sfb --auth kerberos"
KN="--profile tests/integration/profiles/test-yealink-kerberos-ntlm.ini"
KRB_OK="st['authenticate']['facts']['scheme']=='Kerberos' and st['authenticate']['facts']['registrar_proof']=='verified' and st['authenticate']['facts']['service_principal']=='sip/pool.corp.example@CORP.EXAMPLE' and st['authenticate']['facts']['kdc'].startswith('127.0.1.10:88/')"
cap_start
run 0 "--auth kerberos, internal DNS" $ID $KR --dns $I
cap_stop
expect "d['outcome']=='signed-in' and $KRB_OK" "signed in with Kerberos: the KDC dc01:88 by SRV, a ticket for sip/pool.corp.example, the registrar's proof verified"
expect "[e['label'][:20] for e in d['exchanges'] if e['direction']=='out' and e['step']=='authenticate' and e['peer'].startswith('sip ')] == ['REGISTER (CSeq 1)', 'REGISTER (CSeq 2), A']" "one round trip: the AP-REQ and the signature in the second REGISTER"
expect "[e['label'].split(' ')[0] for e in d['exchanges'] if e['peer'].startswith('kdc ') and e['direction']=='out' and e['step']=='download-root'] == ['AS-REQ', 'AS-REQ', 'TGS-REQ'] and [e['label'].split(' ')[0] for e in d['exchanges'] if e['peer'].startswith('kdc ') and e['direction']=='out' and e['step']=='authenticate'] == ['TGS-REQ'] and 'kept' in st['authenticate']['facts']['tgt']" "the KDC exchange in the report: AS-REQ (pre-authentication asked), AS-REQ, TGS-REQ for ldap/dc01; the sign-in keeps that TGT: one TGS-REQ for sip/pool"
expect "st['download-root']['result']=='ok' and st['download-root']['facts']['bind']=='SASL GSSAPI (Kerberos) bind as alice@CORP.EXAMPLE, signed (SASL integrity layer); no password sent' and st['download-root']['facts']['service_ticket']=='ldap/dc01.corp.example@CORP.EXAMPLE' and 'tls' not in st['download-root']['facts'] and len(st['download-root']['facts']['certificates'])==1" "the directory read as a domain member: SASL GSSAPI with a ticket for ldap/dc01, every message signed, the root read"
cap_check
run 0 "Kerberos then NTLM (test profile), internal DNS, --sign-out" $ID $KN --dns $I --sign-out
expect "$KRB_OK and 'fallback' not in st['authenticate']['facts']" "the profile's first scheme, Kerberos, signs in; no fallback"
expect "st['register']['facts']['sign_out'].startswith('200 OK, signed in the security association;') and st['register']['facts']['sign_out'].endswith('proof verified')" "signed out in the Kerberos security association, the registrar's proof verified"
run 1 "--auth kerberos, the device's clock 10 minutes ahead" $ID $KR --dns $I --time "$(date -u -d '+10 min' +%Y-%m-%dT%H:%M:%SZ)"
expect "$(diag authenticate krb-clock-skew) and st['authenticate']['facts']['device_clock'] in st['authenticate']['detail'] and st['authenticate']['facts']['kdc_clock'] in st['authenticate']['detail'] and st['authenticate']['facts']['clock_skew_s'] >= 590" "krb-clock-skew naming both clocks, about 600 s apart"
expect "any(r['remedy']=='fix-clock' for r in d['remedies'])" "remedy fix-clock"
# refused credentials: the directory refuses them too, so the phone holds
# the company root already (--device-roots) to reach the pool
KRT="--device-roots $PHONEBOOT_LAB_INTERNAL_ROOT"
PHONEBOOT_PASSWORD=not-the-password run 1 "--auth kerberos, wrong password" $ID $KR --dns $I $KRT
expect "$(diag authenticate krb-preauth-failed)" "krb-preauth-failed"
PHONEBOOT_PASSWORD=$PHONEBOOT_LAB_DISABLED_PASSWORD run 1 "--auth kerberos, carol (disabled)" \
	$PHONEBOOT_LAB_DISABLED_USER@$PHONEBOOT_DOMAIN $KR --dns $I $KRT
expect "$(diag authenticate krb-account-disabled)" "krb-account-disabled"
run 1 "--auth kerberos, a user the KDC does not know" dave@$PHONEBOOT_DOMAIN $KR --dns $I $KRT
expect "$(diag authenticate krb-principal-unknown)" "krb-principal-unknown"
if up no-spn; then
	run 1 "no-spn, --auth kerberos" $ID $KR --dns $I
	expect "$(diag authenticate krb-spn-missing) and 'sip/pool.corp.example' in st['authenticate']['detail'] and any(r['remedy']=='register-spn' and 'setspn -S sip/pool.corp.example' in r['summary'] for r in d['remedies'])" "krb-spn-missing naming sip/pool.corp.example; remedy setspn -S"
	run 0 "no-spn, Kerberos then NTLM" $ID $KN --dns $I
	expect "st['authenticate']['facts']['fallback']=='Kerberos: krb-spn-missing -> NTLM' and st['authenticate']['facts']['scheme']=='NTLM'" "falls back to NTLM and signs in; the report says Kerberos failed first"
fi
if up kdc-down; then
	run 1 "kdc-down, --auth kerberos" $ID $KR --dns $I
	expect "$(diag authenticate krb-kdc-unreachable) and '127.0.1.10:88' in st['authenticate']['detail']" "krb-kdc-unreachable naming dc01:88"
	cap_start
	run 0 "kdc-down, Kerberos then NTLM" $ID $KN --dns $I
	cap_stop
	expect "st['authenticate']['facts']['fallback']=='Kerberos: krb-kdc-unreachable -> NTLM' and st['authenticate']['facts']['scheme']=='NTLM'" "falls back to NTLM and signs in; the report says so"
	expect "st['download-root']['facts']['kerberos'].startswith('krb-kdc-unreachable') and $SASL_OK" "no ticket for the directory either: GSS-SPNEGO (NTLM), signed and sealed; the reason recorded"
	cap_check
	run 1 "kdc-down, CX700, internal DNS" $ID $CX --dns $I
	expect "st['download-root']['result']=='ok' and 'krb-kdc-unreachable' in st['download-root']['facts']['web_enrollment_failed'] and $(diag install-root cert-sig-hash-unsupported)" "no ticket for HTTP/ca.corp.example: the web enrollment failed (krb-kdc-unreachable), the directory's root is enough; the founding diagnosis"
fi
echo "== web-enroll-only: the root not dspublished, only the enterprise CA's web enrollment serves it"
if up web-enroll-only; then
	cap_start
	run 1 "web-enroll-only, CX700, internal DNS" $ID $CX --dns $I
	cap_stop
	expect "$WEB_SAME and st['download-root']['result']=='ok' and st['download-root']['facts']['certificates']==[] and st['download-root']['facts']['web_enrollment']['added']==1" "download-root ok: nothing in the directory, the root from the web enrollment"
	expect "$(diag install-root cert-sig-hash-unsupported)" "the founding diagnosis all the same: install-root / cert-sig-hash-unsupported"
	cap_check
	run 1 "web-enroll-only, Lync Phone Edition (no web enrollment route)" $ID --profile lpe-aries-sha2 --dns $I
	expect "$(diag download-root ldap-no-ca-certificates) and 'web_enrollment' not in st['download-root']['facts']" "download-root / ldap-no-ca-certificates: the directory has none, and LPE does not ask the CA's pages"
fi
up founding >/dev/null 2>&1

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
	# with the client certificate a first sign-in provisioned: TLS-DSK,
	# the handshake in gssapi-data, the association signed (docs/tls-dsk.md)
	run 0 "tls-dsk-only, with the client certificate, --sign-out" $ID --profile yealink-t4x-sfb --dns $I --client-cert "$PHONEBOOT_CLIENT_CERT" --sign-out
	expect "d['outcome']=='signed-in' and st['authenticate']['facts']['scheme']=='TLS-DSK' and st['authenticate']['facts']['registrar_proof']=='verified' and st['register']['facts']['sign_out'].startswith('200 OK, signed in the security association;') and st['register']['facts']['sign_out'].endswith('proof verified')" "signed in and out with TLS-DSK, the registrar's rspauth verified both times"
	grep -q "TLS-DSK handshake done (alice@corp.example" lab/logs/registrar.log && ok "  the registrar took alice's certificate" || ko "  the registrar's log names no TLS-DSK handshake for alice"
	# a certificate the CertProv CA did not issue: the registrar refuses it
	cat lab/run/pki/pub-edge.crt lab/run/pki/pub-edge.key > "$CAP"
	run 1 "tls-dsk-only, a certificate of another CA" $ID --profile yealink-t4x-sfb --dns $I --client-cert "$CAP"
	expect "$(diag authenticate sip-auth-failed) and 'TLS-DSK handshake failed' in st['authenticate']['detail'] and any(r['remedy']=='fix-credentials' and 'client certificate' in r['summary'] for r in d['remedies'])" "sip-auth-failed: the TLS-DSK handshake failed (the registrar's alert); the remedy names the certificate"
	# alice's certificate does not sign bob in (the lab's bob, lab/lab: his password through the environment, as every run here)
	PHONEBOOT_PASSWORD=BobPass456 run 1 "tls-dsk-only, bob with alice's certificate" bob@$PHONEBOOT_DOMAIN --profile yealink-t4x-sfb --dns $I --client-cert "$PHONEBOOT_CLIENT_CERT"
	expect "d['diagnosis']['step']=='authenticate' and d['diagnosis']['cause'] in ('sip-forbidden','sip-auth-failed') and 'not as the From user' in json.dumps(d['diagnosis'])" "refused: the certificate names alice, not the From user bob (the registrar's words)"
	run 2 "--client-cert that is no certificate" $ID --profile yealink-t4x-sfb --dns $I --client-cert /etc/hostname
	grep -q "not a PEM certificate with its private key" "$ERR" && ok "  said so" || ko "  no message: $(head -c 300 "$ERR")"
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
