#!/bin/bash
# phoneboot logon against the real lab servers (needs root: lab/lab up).
# Every lab scenario, both profiles, the founding case and its remedy,
# credentials, DNS timeouts, and that the password never shows.
# Ends with "logon: N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
# PB_BIN: the binary under test (make check passes the ASan+UBSan build;
# a sanitizer report exits 86, which no expectation accepts)
PB=${PB_BIN:-./phoneboot}
echo "logon tests with $PB"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
OUT=$(mktemp); ERR=$(mktemp)
# run WANT_RC DESCRIPTION ARGS... ; the JSON report lands in $OUT
run() {
	local want=$1 what=$2; shift 2
	timeout 60 "$PB" logon "$@" --json >"$OUT" 2>"$ERR"; local rc=$?
	[ "$rc" = "$want" ] && ok "$what: exit $rc" || { ko "$what: exit $rc, want $want"; head -c 600 "$ERR"; }
}
# jq-free checks on the JSON report
q() { python3 -c "import json,sys; d=json.load(open('$OUT')); sys.exit(0 if ($1) else 1)" 2>/dev/null; }
expect() { q "$1" && ok "  $2" || { ko "  $2"; python3 -c "import json; d=json.load(open('$OUT')); print('    got:', d['outcome'], json.dumps(d['diagnosis'])[:300])"; }; }

diag() { # STEP CAUSE -> python condition
	echo "d['diagnosis'] and d['diagnosis']['step']=='$1' and d['diagnosis']['cause']=='$2'"
}
CX="--profile polycom-cx700-ocpe --auth digest"
MOD="--profile generic-modern"

lab/lab up --slapd --scenario founding >/dev/null || { echo "logon: 0 passed, 1 failed"; exit 1; }
eval "$(lab/lab env)"
I=$PHONEBOOT_DNS_INTERNAL; E=$PHONEBOOT_DNS_EXTERNAL
ID=$PHONEBOOT_USER@$PHONEBOOT_DOMAIN

echo "== founding case"
run 1 "CX700, internal DNS" $ID $CX --dns $I
expect "d['outcome']=='loop' and d['cycles']==2" "outcome loop after 2 cycles"
expect "$(diag install-root cert-sig-hash-unsupported)" "diagnosis install-root / cert-sig-hash-unsupported"
expect "'cert-key-too-large' in d['diagnosis']['also']" "also cert-key-too-large"
expect "any(s['step']=='connect' and s['cause']=='cert-untrusted-root' for s in d['steps'])" "the cycle ends at connect with cert-untrusted-root"
expect "'cannot install the company root' in d['diagnosis']['summary'] and 'cannot trust the pool' in d['diagnosis']['summary']" "summary in plain words"
expect "d['auth_overridden'] is True" "the report says --auth overrode the profile"
expect "any(r['remedy']=='reissue-chain' for r in d['remedies']) and any(r['remedy']=='upgrade-firmware' and 'yealink-sfb-tls12' in r['summary'] and 'generic-modern' not in r['summary'] for r in d['remedies'])" "reissue-chain and upgrade-firmware suggested"
# the report's shape, DESIGN.md section 4
expect "set(['tool','version','identity','profile','outcome','cycles','steps','diagnosis','remedies']) <= set(d) and d['tool']=='phoneboot' and d['identity']=='$ID' and set(d['profile'])=={'id','name'}" "report keys as DESIGN.md section 4"
expect "all(set(['step','screen','result','ms','facts','cause']) <= set(s) and s['result'] in ('ok','fail','skipped') for s in d['steps'])" "step entries as DESIGN.md section 4"
expect "set(['step','cause','also','summary','evidence']) <= set(d['diagnosis']) and all(set(r)=={'remedy','summary','verified'} for r in d['remedies'])" "diagnosis and remedies as DESIGN.md section 4"
expect "any(s['step']=='connect' and s['facts']['chain'][-1]['sha256'] and s['facts']['tls_version'] for s in d['steps'])" "connect records the chain's fingerprints and the TLS version"
jf=$(mktemp)
timeout 60 "$PB" logon $ID $CX --dns $I --json="$jf" >"$OUT" 2>&1
grep -q 'diagnosis: install-root' "$OUT" && python3 -c "import json; json.load(open('$jf'))" && ok "--json=FILE writes the report and still shows the screen" || ko "--json=FILE"
rm -f "$jf"
hf=$(mktemp --suffix=.html)
timeout 60 "$PB" logon $ID $CX --dns $I --alt-dns $E --html "$hf" >/dev/null 2>&1
python3 - "$hf" <<'PY' && ok "--html writes a page with the diagnosis and the verified remedy" || ko "--html"
import sys, html.parser
t = open(sys.argv[1]).read()
class P(html.parser.HTMLParser):
    pass
P().feed(t)
assert "install-root / cert-sig-hash-unsupported" in t and "verified" in t and "&lt;" not in t.split("<body>")[0]
PY
rm -f "$hf"
run 1 "CX700, internal DNS, --alt-dns external" $ID $CX --dns $I --alt-dns $E
expect "any(r['remedy']=='use-dns' and r['verified'] and 'edge.corp.example' in r['summary'] for r in d['remedies'])" "use-dns verified, through the edge"
expect "d['alternative']['outcome']=='signed-in'" "the alternative boot signed in"
run 0 "CX700, external DNS" $ID $CX --dns $E
expect "d['outcome']=='signed-in' and d['target'].startswith('edge.corp.example')" "signed in through the edge"
expect "any(s['step']=='locate-dc' and s['result']=='fail' for s in d['steps'])" "no DC on public DNS, recorded and passed"
expect "any(s['step']=='connect' and s['facts']['tls_version']=='TLSv1' and s['facts']['cipher'] in ('TLS_RSA_WITH_AES_128_CBC_SHA','TLS_RSA_WITH_AES_256_CBC_SHA') for s in d['steps'])" "the CX700 spoke TLS 1.0 with one of its own suites"
# a device whose suites this OpenSSL lacks is not emulated with others
run 1 "Windows XP SP2 profile (3DES/RC4 only), external DNS" $ID --profile windows-xp-sp2-cryptoapi --auth digest --dns $E
expect "$(diag connect tls-no-shared-cipher) and 'cannot offer' in d['diagnosis']['summary']" "tls-no-shared-cipher, and says the suites are missing here"
run 1 "CX700 without --auth (the lab speaks Digest only)" $ID --profile polycom-cx700-ocpe --dns $E
expect "$(diag authenticate sip-auth-scheme-unsupported)" "sip-auth-scheme-unsupported"
run 0 "modern, internal DNS" $ID $MOD --dns $I
expect "d['outcome']=='signed-in' and d['diagnosis'] is None" "signed in through the pool, no diagnosis"
expect "any(s['step']=='register' and s['facts'].get('expires') for s in d['steps'])" "registration expiry recorded"
run 0 "modern, internal DNS, --sign-out (Digest)" $ID $MOD --dns $I --sign-out
expect "any(s['step']=='register' and s['facts'].get('sign_out')=='200 OK, answering the registrar' + chr(39) + 's fresh challenge' for s in d['steps'])" "signed out: Kamailio challenged the REGISTER Expires: 0, Digest answered afresh"
run 1 "modern, external DNS" $ID $MOD --dns $E
expect "$(diag connect cert-sig-hash-unsupported)" "the modern phone refuses the SHA-1 edge chain at connect"

echo "== credentials and DNS"
pw=$(mktemp); echo "not-the-password" > "$pw"
run 1 "wrong password" $ID $MOD --dns $I --password-file "$pw"
expect "$(diag authenticate sip-auth-failed)" "sip-auth-failed, at authenticate (the refused answer)"
expect "not [s for s in d['steps'] if s['step']=='register']" "  the cycle ends there: no register step"
expect "any(r['remedy']=='fix-credentials' for r in d['remedies'])" "fix-credentials suggested"
rm -f "$pw"
run 1 "unknown user" carol@$PHONEBOOT_DOMAIN $MOD --dns $I
expect "$(diag authenticate sip-not-found)" "sip-not-found, at authenticate"
# a DNS server that never answers: a UDP socket made here, on loopback
python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.98", 53)); s.settimeout(30)
end = time.time() + 30
while time.time() < end:
    try: s.recvfrom(4096)
    except Exception: break
' & hole=$!
sleep 0.3
t0=$(date +%s%N)
run 1 "DNS server not answering" $ID $MOD --dns 127.0.0.98 --timeout 300
t1=$(date +%s%N)
expect "$(diag locate-dc dns-timeout)" "dns-timeout, traced to locate-dc, the first step that met it"
expect "any(e.startswith('locate-pool: dns-timeout') for e in d['diagnosis']['evidence'])" "  the same fault at locate-pool is evidence"
ms=$(( (t1 - t0) / 1000000 ))
# 2 cycles x (locate-dc + first pool lookup) x 300 ms, plus slack
[ $ms -lt 4000 ] && ok "  timed out within the bound (${ms} ms)" || ko "  took ${ms} ms"
kill $hole 2>/dev/null; wait $hole 2>/dev/null

echo "== secrets"
PHONEBOOT_PASSWORD=$PHONEBOOT_PASSWORD timeout 60 "$PB" logon $ID $MOD --dns $I --json > "$OUT" 2>&1
timeout 60 "$PB" logon $ID $CX --dns $I --alt-dns $E >> "$OUT" 2>&1
grep -qF "$PHONEBOOT_PASSWORD" "$OUT" && ko "the password appears in the output" || ok "the password never appears in reports"
# without a terminal (setsid) and without the variable: a usage error, no hang
env -u PHONEBOOT_PASSWORD setsid -w timeout 20 "$PB" logon $ID $MOD --dns $I </dev/null >"$OUT" 2>"$ERR"
rc=$?
[ $rc = 2 ] && grep -q 'no password' "$ERR" && ok "no password and no terminal: exit 2" || ko "no password and no terminal: exit $rc"

echo "== every scenario, both profiles (internal DNS)"
# scenario : CX700 step/cause : modern step/cause  ("-" = signed in)
while read -r sc cx mod; do
	lab/lab up --slapd --scenario "$sc" >/dev/null || { ko "lab up $sc"; continue; }
	for pair in "CX:$cx" "MOD:$mod"; do
		who=${pair%%:*}; want=${pair#*:}
		[ "$who" = CX ] && args=$CX || args=$MOD
		if [ "$want" = - ]; then
			run 0 "$sc, $who" $ID $args --dns $I --timeout 500
		else
			run 1 "$sc, $who" $ID $args --dns $I --timeout 500
			expect "$(diag "${want%/*}" "${want#*/}")" "$sc, $who -> $want"
		fi
	done
done <<'TABLE'
founding install-root/cert-sig-hash-unsupported -
legacy-root - install-root/cert-sig-hash-unsupported
tls12-only connect/tls-protocol-version -
expired-leaf install-root/cert-sig-hash-unsupported connect/cert-expired
name-mismatch install-root/cert-sig-hash-unsupported connect/cert-name-mismatch
missing-intermediate connect/cert-chain-incomplete connect/cert-chain-incomplete
no-dc-srv locate-dc/dns-nxdomain locate-dc/dns-nxdomain
no-pool-srv locate-pool/dns-nxdomain locate-pool/dns-nxdomain
pool-down connect/tcp-refused connect/tcp-refused
ldap-no-ca download-root/ldap-no-ca-certificates download-root/ldap-no-ca-certificates
ldap-down download-root/ldap-unreachable download-root/ldap-unreachable
dns-down locate-dc/dns-timeout locate-dc/dns-timeout
redirect install-root/cert-sig-hash-unsupported connect/cert-sig-hash-unsupported
TABLE
# redirect: a phone that can use both chains follows the 302 and signs in
lab/lab up --slapd --scenario redirect >/dev/null
run 0 "redirect, VVX (SHA-1 and SHA-256)" $ID --profile polycom-vvx-ucs5 --dns $I
expect "d['target']=='edge.corp.example:5061' and any('302' in s['facts'].get('redirect','') for s in d['steps'])" "followed the 302 to the home pool"
lab/lab down >/dev/null
rm -f "$OUT" "$ERR"
echo "logon: $pass passed, $fail failed"
[ "$fail" = 0 ]
