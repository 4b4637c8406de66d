#!/bin/bash
# phoneboot logon's time and device-update steps against the real lab
# servers (chrony and nginx; needs root: lab/lab up). The founding case,
# ntp-down, ntp-unsynchronized, devupdate-name-missing, devupdate-down: each
# step's cause, its facts, and that the boot goes on (both steps are
# best-effort). Ends with "time: N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
# PB_BIN: the binary under test (make lab-test passes the ASan+UBSan build;
# a sanitizer report exits 86, which no expectation accepts)
PB=${PB_BIN:-./phoneboot}
echo "time tests with $PB"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
OUT=$(mktemp); ERR=$(mktemp); TXT=$(mktemp)
# run WANT_RC DESCRIPTION ARGS... ; the JSON report lands in $OUT
run() {
	local want=$1 what=$2; shift 2
	timeout 60 "$PB" logon "$@" --json >"$OUT" 2>"$ERR"; local rc=$?
	[ "$rc" = "$want" ] && ok "$what: exit $rc" || { ko "$what: exit $rc, want $want"; head -c 600 "$ERR"; }
}
# jq-free checks on the JSON report; S(name) is the first cycle's step
PYH='
import json, sys
d = json.load(open(sys.argv[1]))
steps = d["steps"]
def S(name):
    for s in steps:
        if s["step"] == name:
            return s
    return None
def first(name):
    return [s["step"] for s in steps].index(name)
'
q() { python3 -c "$PYH
sys.exit(0 if ($1) else 1)" "$OUT" 2>/dev/null; }
expect() { q "$1" && ok "  $2" || { ko "  $2"; python3 -c "$PYH
print('    got:', d['outcome'], json.dumps(d['diagnosis'])[:200])
for n in ('time', 'device-update'):
    s = S(n)
    print('    %s:' % n, s and (s['result'], s['cause'], json.dumps(s['facts'])[:400]))" "$OUT"; }; }
diag() { # STEP CAUSE -> python condition
	echo "d['diagnosis'] and d['diagnosis']['step']=='$1' and d['diagnosis']['cause']=='$2'"
}
step() { # STEP RESULT [CAUSE] -> python condition
	if [ -n "${3:-}" ]; then echo "S('$1') and S('$1')['result']=='$2' and S('$1')['cause']=='$3'"
	else echo "S('$1') and S('$1')['result']=='$2' and S('$1')['cause'] is None"; fi
}
CX="--profile polycom-cx700-ocpe --auth digest"
MOD="--profile generic-modern"
# a Lync Phone Edition profile (flow lpe: the update check over HTTPS) whose
# limits take the internal chain (SHA-256, RSA-4096)
LPE="--profile yealink-t4x-sfb --auth digest"
UPD=ucupdates-r2.corp.example
up() { lab/lab up --slapd --scenario "$1" >/dev/null || { ko "lab up --scenario $1"; return 1; }; }

up founding || { echo "time: $pass passed, $fail failed"; exit 1; }
eval "$(lab/lab env)"
I=$PHONEBOOT_DNS_INTERNAL; E=$PHONEBOOT_DNS_EXTERNAL
ID=$PHONEBOOT_USER@$PHONEBOOT_DOMAIN
ROOT=$PHONEBOOT_LAB_INTERNAL_ROOT
NTP="dc01.corp.example:123 ($PHONEBOOT_LAB_NTP)"

echo "== founding case"
run 1 "CX700, internal DNS" $ID $CX --dns $I --timeout 500
expect "first('time') < first('device-update') < first('locate-dc')" "time, then device-update, before locate-dc"
expect "[s['step'] for s in steps][:3]==['time', 'device-update', 'locate-dc']" "  the cycle starts with time, device-update, locate-dc"
expect "$(step time ok)" "time ok"
expect "S('time')['facts']['server']=='$NTP' and S('time')['facts']['via']=='SRV _ntp._udp.corp.example'" "  the server: dc01 from SRV _ntp._udp"
expect "S('time')['facts']['stratum']==3 and S('time')['facts']['leap_indicator']==0 and S('time')['facts']['version']==4" "  stratum 3, leap indicator 0, version 4"
expect "abs(float(S('time')['facts']['offset_ms'])) < 1000 and float(S('time')['facts']['round_trip_ms']) >= 0" "  offset (under 1 s: chrony serves this host's clock) and round trip"
expect "S('time')['facts']['clock_source'].startswith('ntp ') and abs(S('time')['facts']['clock_error_s']) <= 1" "  the device's clock is NTP's"
expect "$(step device-update ok)" "device-update ok"
expect "S('device-update')['facts']['url']=='http://$UPD:80/RequestHandler/ucdevice.upx' and S('device-update')['facts']['status']==200" "  HTTP POST to ucupdates-r2/RequestHandler/ucdevice.upx, 200"
expect "S('device-update')['facts']['update']=={'offered': True, 'base_url': 'http://$UPD/DeviceUpdateFiles_Int/UCPhone/', 'version': '4.0.7577.4463', 'files': ['CPE/CPE.nbt', 'CPE/CPE.cat']}" "  the update offered: 4.0.7577.4463, its base URL and files"
expect "all(isinstance(S(n)['ms'], (int, float)) and S(n)['ms'] >= 0 for n in ('time', 'device-update'))" "  both steps timed, like the others"
expect "$(diag install-root cert-sig-hash-unsupported) and d['outcome']=='loop'" "the founding diagnosis is unchanged (install-root / cert-sig-hash-unsupported, loop)"
# the screen trace (text): time and device-update before Locating Domain Controller
timeout 60 "$PB" logon $ID $CX --dns $I --timeout 500 >"$TXT" 2>&1
awk '/^ +[0-9.]+ ms +time /{if(!t)t=NR} /^ +[0-9.]+ ms +device-update /{if(!u)u=NR} /^ +[0-9.]+ ms +locate-dc +Locating Domain Controller/{if(!l)l=NR} END{exit !(t && u && l && t<u && u<l)}' "$TXT" &&
	ok "the CX700's screen trace shows time, device-update, then Locating Domain Controller" ||
	{ ko "the CX700's screen trace shows time, device-update, then Locating Domain Controller"; head -8 "$TXT"; }
grep -q '^  time → device-update → Locating Domain Controller → .*(from the top)' "$TXT" &&
	ok "  the loop, as the screen shows it again and again, starts with time and device-update" ||
	{ ko "  the loop, as the screen shows it again and again, starts with time and device-update"; grep -A1 '^outcome' "$TXT"; }
run 1 "CX700, --time 2030-01-01" $ID $CX --dns $I --timeout 500 --time 2030-01-01
expect "S('time')['facts']['clock_source']=='--time' and S('time')['facts']['device_clock'].startswith('2030-01-01')" "--time sets the clock, and the report says so"
run 0 "modern, internal DNS" $ID $MOD --dns $I --timeout 500
expect "$(step time ok) and S('time')['facts']['server']=='$NTP'" "time ok, dc01"
expect "S('device-update') is None" "  no device-update step (flow sip)"
run 0 "LPE, internal root among the device's roots" $ID $LPE --dns $I --timeout 500 --device-roots "$ROOT"
expect "$(step device-update ok) and S('device-update')['facts']['url']=='https://$UPD:443/RequestHandler/ucdevice.upx'" "device-update ok over HTTPS, internal handler"
expect "S('device-update')['facts']['update']['version']=='4.0.7577.4463'" "  the update offered"

echo "== ntp-down"
up ntp-down
run 1 "CX700" $ID $CX --dns $I --timeout 500
expect "$(step time fail ntp-unreachable)" "time failed: ntp-unreachable"
expect "any(t['server']=='$NTP' and t['result']=='ntp-unreachable' for t in S('time')['facts']['servers_tried'])" "  dc01 tried, unreachable"
expect "S('time')['facts']['clock_source'].startswith('firmware boot clock')" "  the device keeps its own clock"
expect "first('time') < first('locate-dc') and $(step device-update ok)" "  the boot goes on: device-update ok, locate-dc"
expect "$(diag install-root cert-sig-hash-unsupported)" "  the diagnosis stays install-root / cert-sig-hash-unsupported"
run 0 "modern" $ID $MOD --dns $I --timeout 500
expect "$(step time fail ntp-unreachable) and d['outcome']=='signed-in'" "time failed: ntp-unreachable; signed in all the same"

echo "== ntp-unsynchronized"
up ntp-unsynchronized
run 1 "CX700" $ID $CX --dns $I --timeout 500
expect "$(step time fail ntp-unsynchronized)" "time failed: ntp-unsynchronized"
expect "any(t['server']=='$NTP' and t.get('leap_indicator')==3 for t in S('time')['facts']['servers_tried'])" "  dc01 answered with leap indicator 3"
expect "first('time') < first('locate-dc') and $(step device-update ok) and $(diag install-root cert-sig-hash-unsupported)" "  the boot goes on; the diagnosis stays install-root"
run 0 "modern" $ID $MOD --dns $I --timeout 500
expect "$(step time fail ntp-unsynchronized) and d['outcome']=='signed-in'" "time failed: ntp-unsynchronized; signed in all the same"

echo "== devupdate-name-missing"
up devupdate-name-missing
run 0 "LPE, internal root among the device's roots" $ID $LPE --dns $I --timeout 500 --device-roots "$ROOT"
expect "$(step device-update fail cert-name-mismatch)" "device-update failed: cert-name-mismatch"
expect "S('device-update')['facts']['chain'][0]['subject']=='CN=webint.corp.example'" "  the chain's leaf is webint's"
expect "first('device-update') < first('locate-dc') and d['outcome']=='signed-in'" "  the boot goes on and signs in"
run 0 "LPE, the firmware's roots only" $ID $LPE --dns $I --timeout 500
expect "$(step device-update fail cert-untrusted-root)" "device-update failed: cert-untrusted-root (trust first)"
run 1 "CX700 (HTTP: no certificate)" $ID $CX --dns $I --timeout 500
expect "$(step device-update ok)" "device-update ok"

echo "== devupdate-down"
up devupdate-down
run 1 "CX700" $ID $CX --dns $I --timeout 500
expect "$(step device-update fail devupdate-unreachable)" "device-update failed: devupdate-unreachable"
expect "$(step time ok) and first('device-update') < first('locate-dc') and $(diag install-root cert-sig-hash-unsupported)" "  the boot goes on; the diagnosis stays install-root"
run 0 "LPE, internal root among the device's roots" $ID $LPE --dns $I --timeout 500 --device-roots "$ROOT"
expect "$(step device-update fail devupdate-unreachable)" "device-update failed: devupdate-unreachable"
expect "[t['request'].split('/')[1] for t in S('device-update')['facts']['tried']]==['RequestHandler', 'RequestHandlerExt']" "  internal, then external request handler"
expect "d['outcome']=='signed-in'" "  signed in all the same"

lab/lab down >/dev/null
rm -f "$OUT" "$ERR" "$TXT"
echo "time: $pass passed, $fail failed"
[ "$fail" = 0 ]
