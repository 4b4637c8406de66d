#!/bin/bash
# phoneboot fleet and phoneboot matrix against the real lab (needs root).
# 1000 phones whose counts add up, a CSV fleet with mixed outcomes, shards
# merged equal to the unsharded run, Ctrl-C, descriptors bounded, the
# password never shown, and the founding case as a matrix.
# The lab is shared with other engineers' tests: every use of it is under
# `flock /tmp/pb-lab.lock` (this script takes it itself, waiting at most
# 20 minutes, unless PB_LAB_LOCKED=1 says the caller holds it already), and
# the lab goes down before the lock is let go.
# Ends with "fleet: N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
if [ -z "${PB_LAB_LOCKED:-}" ]; then
	exec env PB_LAB_LOCKED=1 flock -w 1200 /tmp/pb-lab.lock bash "$0" "$@"
fi
PB=${PB_BIN:-./phoneboot}
echo "fleet tests with $PB"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
T=$(mktemp -d)
trap 'lab/lab down >/dev/null 2>&1; rm -rf "$T"' EXIT
# check DESCRIPTION PYTHON-ASSERTIONS (sum: the summary JSON, lines: the reports)
check() {
	local what=$1; shift
	if python3 - "$T" "$@" <<'PY' 2>"$T/py.err"
import json, sys, os
t = sys.argv[1]
def load(n):
    p = os.path.join(t, n)
    return json.load(open(p)) if os.path.exists(p) else None
def lines(n):
    p = os.path.join(t, n)
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []
exec(sys.argv[2])
PY
	then ok "$what"; else ko "$what"; sed 's/^/    /' "$T/py.err" | tail -3; fi
}

lab/lab up --slapd --scenario founding --users 1000 >/dev/null || { echo "fleet: 0 passed, 1 failed"; exit 1; }
eval "$(lab/lab env)"
I=$PHONEBOOT_DNS_INTERNAL; E=$PHONEBOOT_DNS_EXTERNAL; D=$PHONEBOOT_DOMAIN
[ "$PHONEBOOT_LAB_USERS" = 1000 ] && ok "lab: 1000 users" || ko "lab: users $PHONEBOOT_LAB_USERS"

echo "== 1000 phones"
"$PB" fleet --count 1000 --identity "$PHONEBOOT_LAB_USER_FORMAT" --profile generic-modern \
	--dns "$I" --concurrency 20 --jsonl "$T/all.jsonl" --json="$T/all.json" --html "$T/all.html" \
	--progress lines --interval 2 >"$T/out" 2>"$T/err" &
pid=$!
# descriptors while it runs (the command itself, no timeout(1) between):
# never more than the limit the command checked; bounded to 600 s
maxfd=0; i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 6000 ]; do
	n=$(ls /proc/$pid/fd 2>/dev/null | wc -l)
	[ "$n" -gt "$maxfd" ] && maxfd=$n
	sleep 0.1; i=$((i + 1))
done
kill -0 $pid 2>/dev/null && kill -KILL $pid
wait $pid; rc=$?
[ $rc = 0 ] && ok "fleet --count 1000: exit 0" || { ko "fleet --count 1000: exit $rc"; tail -5 "$T/err"; }
check "1000 reports, one per phone, counts add up" '
s = load("all.json"); L = lines("all.jsonl")
assert len(L) == 1000, len(L)
assert sorted(l["index"] for l in L) == list(range(1000))
assert len({l["identity"] for l in L}) == 1000
assert s["phones"] == 1000 and sum(s["outcomes"].values()) == 1000
assert s["outcomes"]["signed-in"] == 1000 and s["causes"] == []
assert sum(x["count"] for x in s["targets"]) == 1000
steps = {x["step"]: x for x in s["steps"]}
assert steps["connect"]["n"] == 1000 and steps["register"]["n"] == 1000
assert all(x["p50"] <= x["p95"] <= x["p99"] <= x["max"] for x in s["steps"])
assert s["boot_ms"]["n"] == 1000'
[ "$maxfd" -gt 20 ] && [ "$maxfd" -le $((2 * 20 + 64)) ] && ok "descriptors stayed within 2 per phone in flight + 64 (max $maxfd)" || ko "descriptors: max $maxfd"
grep -q 'fleet: .*started .*boots/s' "$T/err" && ok "statistics lines on a non-terminal" || ko "statistics lines"
grep -q '^outcomes: signed-in 1000 ' "$T/out" && ok "text summary" || ko "text summary: $(head -3 "$T/out")"
grep -q 'Latency per step' "$T/all.html" && ok "--html summary page" || ko "--html"
grep -qF "$PHONEBOOT_PASSWORD" "$T/out" "$T/err" "$T/all.jsonl" "$T/all.json" "$T/all.html" \
	&& ko "the password appears in the fleet's output" || ok "the password never appears"

echo "== a CSV fleet with mixed outcomes, and its shards"
{
	echo "identity,profile,mac,network,password"
	for i in $(seq 1 10); do printf 'user%04d@%s,generic-modern,,,\n' $i "$D"; done
	for i in $(seq 11 16); do printf 'user%04d@%s,polycom-cx700-ocpe,,,\n' $i "$D"; done
	for i in $(seq 17 20); do printf 'user%04d@%s,polycom-cx700-ocpe,,dns:%s,\n' $i "$D" "$E"; done
	for i in 1 2 3; do printf 'nobody%d@%s,generic-modern,,,\n' $i "$D"; done
} > "$T/phones.csv"
csvfleet() { timeout 120 "$PB" fleet --csv "$T/phones.csv" --dns "$I" --auth digest --concurrency 8 --progress none "$@"; }
csvfleet --jsonl "$T/csv.jsonl" --json="$T/csv.json" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 1 ] && ok "CSV fleet: exit 1 (not every phone signs in)" || ko "CSV fleet: exit $rc"
check "CSV fleet: outcomes and causes ranked with example phones" '
s = load("csv.json")
assert s["phones"] == 23 and sum(s["outcomes"].values()) == 23
# the unknown users are refused the same way twice: a loop too
assert s["outcomes"]["signed-in"] == 14 and s["outcomes"]["loop"] == 9, s["outcomes"]
c = s["causes"]
assert (c[0]["step"], c[0]["cause"], c[0]["count"]) == ("install-root", "cert-sig-hash-unsupported", 6), c
assert c[0]["examples"] == ["user0011@corp.example", "user0012@corp.example", "user0013@corp.example"]
assert (c[1]["cause"], c[1]["count"]) == ("sip-not-found", 3), c
t = {x["target"].split(":")[0]: x["count"] for x in s["targets"]}
assert t.get("edge.corp.example") == 4, t'
for k in 0 1 2; do csvfleet --shard $k/3 --jsonl "$T/shard$k.jsonl" >/dev/null 2>&1; done
"$PB" fleet --merge "$T/shard0.jsonl" "$T/shard1.jsonl" "$T/shard2.jsonl" --json="$T/merged.json" >/dev/null 2>&1
check "three shards run apart, merged: the unsharded summary (latencies aside)" '
a = load("merged.json"); b = load("csv.json")
assert [len(lines("shard%d.jsonl" % k)) for k in range(3)] == [8, 8, 7]
for k in ("phones", "outcomes", "causes", "targets"):
    assert a[k] == b[k], k
assert [(x["step"], x["n"], x["failed"]) for x in a["steps"]] == [(x["step"], x["n"], x["failed"]) for x in b["steps"]]'

echo "== Ctrl-C"
# one SIGINT, as a terminal's Ctrl-C sends it (timeout(1) would pass on
# a second one, to the process group: that one cancels)
"$PB" fleet --count 1000 --identity "$PHONEBOOT_LAB_USER_FORMAT" --profile generic-modern \
	--dns "$I" --rate 40 --concurrency 10 --jsonl "$T/int.jsonl" --json="$T/int.json" \
	--progress lines >"$T/out" 2>"$T/err" &
pid=$!
sleep 1.5; kill -INT $pid
i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $pid 2>/dev/null && kill -KILL $pid
wait $pid; rc=$?
[ $rc = 1 ] && ok "interrupted fleet: exit 1" || ko "interrupted fleet: exit $rc"
check "interrupted: the summary still printed, counts add up, fewer phones" '
s = load("int.json"); L = lines("int.jsonl")
assert s["run"]["interrupted"] is True
assert 10 <= s["phones"] < 200 and len(L) == s["phones"]
assert s["outcomes"]["signed-in"] == s["phones"], s["outcomes"]'
grep -q 'interrupted: no new phones' "$T/err" && ok "the interruption is said" || ko "interruption message"

echo "== matrix: the founding case"
timeout 120 "$PB" matrix "$PHONEBOOT_USER@$D" --profile polycom-cx700-ocpe --profile generic-modern \
	--path internal=dns:$I --path external=dns:$E --auth digest --json="$T/m.json" --html "$T/m.html" \
	>"$T/out" 2>"$T/err"; rc=$?
cat "$T/out"
[ $rc = 1 ] && ok "matrix: exit 1 (a cell fails)" || ko "matrix: exit $rc"
grep -q '^polycom-cx700-ocpe  *install-root/cert-sig-hash-unsupported  *signed in (edge.corp.example:443)' "$T/out" \
	&& ok "CX700: fails on internal, signs in on external" || ko "CX700 row"
grep -q '^generic-modern  *signed in ([a-z]*.corp.example:5061)  *connect/cert-sig-hash-unsupported' "$T/out" \
	&& ok "generic-modern: the opposite" || ko "generic-modern row"
check "matrix JSON: 4 cells" '
m = load("m.json"); c = {(x["profile"], x["path"]): x for x in m["cells"]}
assert len(c) == 4 and m["all_signed_in"] is False and m["auth_overridden"] is True
assert c[("polycom-cx700-ocpe", "internal")]["outcome"] == "loop"
assert c[("polycom-cx700-ocpe", "external")]["target"].startswith("edge.corp.example")
assert c[("generic-modern", "internal")]["outcome"] == "signed-in"
assert c[("generic-modern", "external")]["cause"] == "cert-sig-hash-unsupported"'
grep -q 'class="ok"' "$T/m.html" && grep -q 'class="ko"' "$T/m.html" && ok "matrix --html" || ko "matrix --html"
timeout 60 "$PB" matrix "$PHONEBOOT_USER@$D" --profile generic-modern --path internal=dns:$I >"$T/out" 2>&1; rc=$?
[ $rc = 0 ] && ok "matrix: exit 0 when every cell signs in" || ko "matrix all signed in: exit $rc"

echo "== DHCP phones, one reservation per user (lab/lab up --slapd --netns --users 20)"
if lab/lab up --slapd --netns --scenario founding --users 20 >/dev/null; then
	eval "$(lab/lab env)"
	NS=$PHONEBOOT_LAB_NETNS_PHONE; IF=$PHONEBOOT_DHCP_IFACE
	[ "$PHONEBOOT_LAB_USER_MAC_BASE" = 02:00:01:00:00:00 ] && ok "lab env: the users' MAC base" ||
		ko "lab env: PHONEBOOT_LAB_USER_MAC_BASE=$PHONEBOOT_LAB_USER_MAC_BASE"
	# the fleet configures nothing: its phones' traffic leaves from one
	# address of the phone namespace, their leases are what is checked
	ip -n "$NS" addr add 10.99.0.77/24 dev "$IF"
	# phones 15..24 of 20 users: 15..20 have a reservation, 21..24 none
	ip netns exec "$NS" timeout 120 "$PB" fleet --count 10 --first 15 \
		--identity "$PHONEBOOT_LAB_USER_FORMAT" --profile generic-modern --dhcp "$IF" \
		--mac "$PHONEBOOT_LAB_USER_MAC_BASE" --concurrency 5 --attempts 1 --progress none \
		--jsonl "$T/dhcp.jsonl" --json="$T/dhcp.json" >"$T/out" 2>"$T/err"; rc=$?
	ip -n "$NS" addr del 10.99.0.77/24 dev "$IF"
	[ $rc = 1 ] && ok "DHCP fleet: exit 1 (users 21..24 do not exist)" || { ko "DHCP fleet: exit $rc"; head -5 "$T/err"; }
	check "DHCP fleet: user k leased 10.100.0.k (its reservation), others a pool address" '
L = lines("dhcp.jsonl"); assert len(L) == 10, len(L)
for l in L:
    k = int(l["identity"].split("@")[0][4:])
    d = [s for s in l["steps"] if s["step"] == "dhcp"][0]
    a = d["facts"]["lease"]["address"]
    if k <= 20:
        assert a == "10.100.0.%d" % k, (k, a)
        assert l["outcome"] == "signed-in", (k, l["outcome"])
    else:
        assert a.startswith("10.99.0.") and 150 <= int(a.split(".")[3]) <= 250, (k, a)
        assert l["outcome"] != "signed-in", k
assert len({l["steps"][0]["facts"]["lease"]["address"] for l in L}) == 10'
	grep -c '^02:00:01:00:00:[0-9a-f][0-9a-f],10\.100\.0\.[0-9]*,user00[0-9][0-9],' lab/run/dhcp-hosts |
		grep -qx 20 && ok "lab: 20 reservations in one dhcp-hostsfile" || ko "lab: dhcp-hosts"
else
	ko "lab up --netns --users 20"
fi

lab/lab down >/dev/null
echo "fleet: $pass passed, $fail failed"
[ "$fail" = 0 ]
