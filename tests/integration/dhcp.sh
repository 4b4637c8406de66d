#!/bin/bash
# The dhcp step in the lab's network namespaces (needs root): the whole
# founding story from DHCP to 200 OK, an unknown MAC, DHCPINFORM, and no
# DHCP server. Ends with "dhcp: N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
PB=${PB_BIN:-./phoneboot}
echo "dhcp tests with $PB"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
OUT=$(mktemp); ERR=$(mktemp)
run() { # WANT_RC DESCRIPTION ARGS...  (in the phone's namespace)
	local want=$1 what=$2; shift 2
	ip netns exec "$PHONEBOOT_LAB_NETNS_PHONE" timeout 60 "$PB" logon "$@" --json >"$OUT" 2>"$ERR"; local rc=$?
	[ "$rc" = "$want" ] && ok "$what: exit $rc" || { ko "$what: exit $rc, want $want"; head -c 600 "$ERR"; }
}
q() { python3 -c "import json,sys; d=json.load(open('$OUT')); sys.exit(0 if ($1) else 1)" 2>/dev/null; }
expect() { q "$1" && ok "  $2" || { ko "  $2"; head -c 1500 "$OUT"; echo; }; }
DH="d['steps'][0]"

lab/lab up --slapd --netns --scenario founding >/dev/null || { echo "dhcp: 0 passed, 1 failed"; exit 1; }
eval "$(lab/lab env)"
ID=$PHONEBOOT_USER@$PHONEBOOT_DOMAIN
IF=$PHONEBOOT_DHCP_IFACE
CX="--profile polycom-cx700-ocpe --auth digest"

run 1 "phone01 (internal DNS), CX700" $ID $CX --dhcp $IF --dhcp-configure --mac $PHONEBOOT_PHONE01_MAC
expect "$DH['step']=='dhcp' and $DH['result']=='ok'" "the cycle starts with the dhcp step"
expect "$DH['facts']['lease']['address']=='10.99.0.100' and $DH['facts']['lease']['dns_servers']==['10.99.0.53']" "reservation phone01: 10.99.0.100, DNS 10.99.0.53"
expect "$DH['facts']['vendor_class']=='CPE-OCPhone' and 43 in $DH['facts']['parameter_request_list'] and 120 not in $DH['facts']['parameter_request_list']" "the profile's vendor class (OCPE's CPE-OCPhone) and request list were sent"
expect "'vendor_specific_43' not in $DH['facts']['lease'] and any('no option 43' in n for n in $DH['facts']['notes']) and not any('option 120' in n for n in $DH['facts']['notes'])" "no MS-UC-Client option 43 for an OCPE phone, and the report says so (not of option 120, which it never asks for)"
expect "$DH['facts']['lease']['domain_search']==['corp.example','phones.corp.example']" "option 119 decoded"
expect "$DH['facts']['lease']['ntp_servers']==['10.99.0.10']" "option 42 decoded"
expect "d['outcome']=='loop' and d['diagnosis']['step']=='install-root' and d['diagnosis']['cause']=='cert-sig-hash-unsupported'" "the founding loop and diagnosis"
ip -n $PHONEBOOT_LAB_NETNS_PHONE -4 addr show dev $IF | grep -q inet && ko "the leased address stayed on $IF" || ok "  the leased address was removed at the end"

run 1 "phone01 with --alt-dns (the remedy)" $ID $CX --dhcp $IF --dhcp-configure --mac $PHONEBOOT_PHONE01_MAC --alt-dns 10.99.0.54
expect "any(r['remedy']=='use-dns' and r['verified'] for r in d['remedies'])" "use-dns verified"

run 0 "phone02 (external DNS), CX700: the fix" $ID $CX --dhcp $IF --dhcp-configure --mac $PHONEBOOT_PHONE02_MAC
expect "$DH['facts']['lease']['address']=='10.99.0.101' and $DH['facts']['lease']['dns_servers']==['10.99.0.54']" "reservation phone02: DNS 10.99.0.54"
expect "d['outcome']=='signed-in' and d['target'].startswith('edge.corp.example')" "signed in through the edge, from DHCP to 200 OK"

run 1 "unknown MAC, Lync Phone Edition" $ID --profile lpe-aries-sha2 --auth digest --dhcp $IF --dhcp-configure --mac 02:00:00:00:42:42
expect "$DH['facts']['lease']['address'].startswith('10.99.0.') and $DH['facts']['lease']['address'] not in ('10.99.0.100','10.99.0.101')" "a pool address"
expect "$DH['facts']['lease']['sip_servers'] is None and any('no option 120' in n for n in $DH['facts']['notes'])" "no option 120 for it, and the report says so"

# DHCPINFORM: the address is already set
ip -n $PHONEBOOT_LAB_NETNS_PHONE addr add 10.99.0.77/24 dev $IF
run 0 "DHCPINFORM from 10.99.0.77, generic modern phone" $ID --profile generic-modern --dhcp $IF --dhcp-inform
expect "$DH['facts']['exchange']=='INFORM/ACK' and $DH['facts']['lease']['dns_servers']==['10.99.0.53']" "INFORM answered with the options"
ip -n $PHONEBOOT_LAB_NETNS_PHONE addr del 10.99.0.77/24 dev $IF

run 2 "no such interface" $ID $CX --dhcp nosuch0
grep -q 'no such interface' "$ERR" && ok "  said so" || ko "  no message"

# a voice VLAN in option 43 (sub-option 10): the CX700 would move to it
lab/lab up --slapd --netns --scenario voice-vlan >/dev/null || ko "lab up voice-vlan"
run 1 "CX700, option 43 names voice VLAN 100" $ID $CX --dhcp $IF --dhcp-configure --mac $PHONEBOOT_PHONE01_MAC
expect "$DH['facts']['lease']['vendor_specific_43']['voice_vlan']==100 and $DH['facts']['voice_vlan']==100" "sub-option 10 decoded: VLAN 100"
expect "any('voice VLAN 100' in n and 'stays on' in n for n in $DH['facts']['notes'])" "the report says the phone would move and phoneboot did not"
expect "d['diagnosis']['cause']=='cert-sig-hash-unsupported'" "the boot goes on as before (founding)"
ip netns exec "$PHONEBOOT_LAB_NETNS_PHONE" timeout 60 "$PB" logon $ID $CX --dhcp $IF --dhcp-configure --mac $PHONEBOOT_PHONE01_MAC >"$OUT" 2>"$ERR"
grep -q 'voice VLAN 100 (not followed)' "$OUT" && ok "  the text report shows it" || { ko "  the text report shows it"; head -c 800 "$OUT"; }
grep -q 'SIP server (120)' "$OUT" && { ko "  the text report names option 120, which the CX700 never asks for"; head -c 800 "$OUT"; } || ok "  and no option 120 line for a phone that never asks for it"

# Lync Phone Edition: no SIP SRV in DNS, so the option 120 server is next
lab/lab up --slapd --netns --scenario no-pool-srv >/dev/null || ko "lab up no-pool-srv"
run 1 "LPE, no SIP SRV: option 120 leads to the pool" $ID --profile lpe-aries-sha2 --auth digest --dhcp $IF --dhcp-configure --mac $PHONEBOOT_PHONE01_MAC
expect "d['target']=='pool.corp.example:5061' and any(s['step']=='locate-pool' and s['result']=='ok' and s['facts']['lookups'][-1]['name']=='pool.corp.example' for s in d['steps'])" "locate-pool took the DHCP option 120 server"
expect "$DH['facts']['vendor_class']=='MS-UC-Client' and 120 in $DH['facts']['parameter_request_list']" "Lync Phone Edition's vendor class and option 120 were asked for"
expect "$DH['facts']['lease']['sip_servers']['servers']==['pool.corp.example']" "option 120 decoded"
expect "$DH['facts']['lease']['vendor_specific_43']['ms_uc_client']['cert_prov_path']=='/CertProv/CertProvisioningService.svc'" "option 43 decoded (MS-UC-Client sub-options)"
lab/lab up --slapd --netns --scenario dhcp-down >/dev/null || ko "lab up dhcp-down"
t0=$(date +%s%N)
run 1 "no DHCP server" $ID $CX --dhcp $IF --timeout 300
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect "$DH['cause']=='dhcp-no-offer' and d['diagnosis']['cause']=='dhcp-no-offer' and $DH['facts']['discovers']>=2" "dhcp-no-offer after retransmissions"
# 2 cycles x 3 x 300 ms, plus slack
[ $ms -lt 4000 ] && ok "  within the bound (${ms} ms)" || ko "  took ${ms} ms"
# a server that NAKs, and one that leaves out option 6 (no dnsmasq on 67 here)
for m in nak nodns; do
	ip netns exec "$PHONEBOOT_LAB_NETNS_SERVER" python3 tests/integration/dhcp_fake_server.py $m &
	srv=$!
	sleep 0.3
	run 1 "a server that answers $m" $ID $CX --dhcp $IF --timeout 500 --attempts 1
	if [ $m = nak ]; then
		expect "$DH['cause']=='dhcp-nak' and 'address not yours' in $DH['detail']" "dhcp-nak, with the server's message"
	else
		expect "$DH['cause']=='dhcp-no-dns' and $DH['facts']['lease']['dns_servers']==[]" "dhcp-no-dns, and the lease shown"
	fi
	kill $srv 2>/dev/null; wait $srv 2>/dev/null
done
lab/lab down >/dev/null
rm -f "$OUT" "$ERR"
echo "dhcp: $pass passed, $fail failed"
[ "$fail" = 0 ]
