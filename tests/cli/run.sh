#!/bin/bash
# The phoneboot command against the fixtures: exit codes, one-line errors,
# JSON that parses. Prints "N passed, N failed".
cd "$(dirname "$0")/../.." || exit 2
F=build/fixtures; P=./phoneboot
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect_rc RC DESCRIPTION CMD...
expect_rc() {
	want=$1; what=$2; shift 2
	"$@" >/tmp/pb-cli.out 2>/tmp/pb-cli.err; got=$?
	if [ "$got" = "$want" ]; then ok; else ko "$what: exit $got, want $want"; sed 's/^/    /' /tmp/pb-cli.err | head -3; fi
}
expect_rc 0 "help" $P --help
expect_rc 2 "no command" $P
expect_rc 2 "unknown command" $P frobnicate
expect_rc 0 "profiles" $P profiles
grep -q polycom-cx700-ocpe /tmp/pb-cli.out && ok || ko "profiles lists the CX700"
expect_rc 0 "profiles ID" $P profiles polycom-cx700-ocpe
grep -q 'theucguy' /tmp/pb-cli.out && ok || ko "profile shows its sources"
expect_rc 2 "unknown profile" $P profiles nope
expect_rc 1 "founding chain, CX700" $P cert --profile polycom-cx700-ocpe $F/chain-founding-internal.pem
grep -q "root 'corp-ROOT-CA' is signed with SHA-256; \|root 'corp-ROOT-CA' is signed with SHA-256 " /tmp/pb-cli.out && ok || ko "founding text"
expect_rc 0 "legacy chain, CX700" $P cert --profile polycom-cx700-ocpe $F/chain-legacy.pem
expect_rc 0 "founding chain, modern" $P cert --profile generic-modern --name pool.test.example $F/chain-founding-internal.pem
expect_rc 1 "every profile" $P cert $F/chain-founding-internal.pem
expect_rc 1 "json" $P cert --json --profile polycom-cx700-ocpe $F/chain-founding-internal.pem
if python3 -c 'import json,sys; d=json.load(open("/tmp/pb-cli.out")); v=d["inputs"][0]["verdicts"][0]; c={f["cause"] for f in v["findings"]}; sys.exit(0 if {"cert-sig-hash-unsupported","cert-key-too-large"} <= c and not v["usable"] else 1)'; then ok; else ko "json content"; fi
# issue 14: every reason says how sure it is
if python3 -c 'import json,sys; d=json.load(open("/tmp/pb-cli.out")); v=d["inputs"][0]["verdicts"][0]; fs=v["findings"]; ok=all(f["confidence"] in ("documented","reported","measured","assumed","disputed","defined") and f["text"].endswith("["+f["confidence"]+"]") for f in fs); root=[f for f in fs if f["cert"]==1]; ok=ok and all(f["confidence"]=="disputed" and f["other_reading_passes"] and f["other_reading"]["confidence"]=="documented" for f in root) and v["usable_other_reading"]; sys.exit(0 if ok else 1)'; then ok; else ko "json: confidence per finding, the other reading of disputed facts"; fi
expect_rc 1 "founding chain, CX700, text confidence" $P cert --profile polycom-cx700-ocpe $F/chain-founding-internal.pem
grep -q "accepts MD5, SHA-1 \[disputed\] \[cert-sig-hash-unsupported\]" /tmp/pb-cli.out && grep -q "at most 2048 \[disputed\] \[cert-key-too-large\]" /tmp/pb-cli.out && grep -q "under the other reading of its disputed facts: usable" /tmp/pb-cli.out && ok || ko "text: confidence per reason"
expect_rc 1 "XP SP2, documented" $P cert --profile windows-xp-sp2-cryptoapi $F/chain-founding-internal.pem
grep -q "accepts MD5, SHA-1 \[documented\]" /tmp/pb-cli.out && ! grep -q "other reading" /tmp/pb-cli.out && ok || ko "documented reason, no other reading"
expect_rc 0 "profiles: confidence counts" $P profiles
grep -q "polycom-cx700-ocpe .* 18: [0-9]*/[0-9]*/[0-9]*/[0-9]*/2" /tmp/pb-cli.out && grep -q "generic-modern .*defined (a definition)" /tmp/pb-cli.out && grep -q "^grounded (documented, reported or measured): [0-9]* of [0-9]*" /tmp/pb-cli.out && ok || ko "profiles: counts per confidence and the grounded share"
expect_rc 0 "profiles ID: disputed fact" $P profiles polycom-cx700-ocpe
grep -q "DISPUTED, other reading: md5, sha1, sha256" /tmp/pb-cli.out && grep -q "Gg425950" /tmp/pb-cli.out && ok || ko "profile shows both readings"
expect_rc 0 "PKCS#7 DER" $P cert --profile generic-modern $F/chain-inter.p7b
base64 $F/chain-inter.p7b > /tmp/pb-cli.b64
expect_rc 0 "PKCS#7 in base64 without armor (as web pages send it)" $P cert --profile generic-modern /tmp/pb-cli.b64
grep -q "pool.test.example" /tmp/pb-cli.out && ok || ko "base64: the chain read"
expect_rc 1 "time travel" $P cert --profile generic-modern --time 2099-06-01 $F/chain-inter.pem
expect_rc 1 "untrusted" $P cert --profile generic-modern --trust $F/root-sha1-rsa2048.pem $F/chain-founding-internal.pem
grep -q cert-untrusted-root /tmp/pb-cli.out && ok || ko "untrusted root named"
expect_rc 1 "malformed PEM is a verdict" $P cert --profile generic-modern $F/bad-malformed.pem
grep -q cert-malformed /tmp/pb-cli.out && ok || ko "malformed named"
for bad in bad-truncated.pem bad-truncated.der bad-garbage.bin bad-garbage.der bad-empty.pem bad-directory no-such-file; do
	expect_rc 2 "bad input $bad" $P cert $F/$bad
	[ "$(wc -l < /tmp/pb-cli.err)" = 1 ] && ok || ko "$bad: one-line error"
done
expect_rc 2 "bad --time" $P cert --time yesterday $F/chain-legacy.pem
expect_rc 2 "bad profile file" $P cert --profile /etc/hostname $F/chain-legacy.pem
expect_rc 2 "no input" $P cert
# logon: usage errors, before any network traffic
expect_rc 0 "logon --help" $P logon --help
expect_rc 2 "logon without identity" $P logon --profile generic-modern --dns 127.0.0.1
expect_rc 2 "logon bad identity" $P logon alice --profile generic-modern --dns 127.0.0.1
expect_rc 2 "logon without --profile" $P logon alice@corp.example --dns 127.0.0.1
expect_rc 2 "logon without network" $P logon alice@corp.example --profile generic-modern
expect_rc 2 "logon --dns and --dhcp" $P logon alice@corp.example --profile generic-modern --dns 127.0.0.1 --dhcp lo
expect_rc 2 "logon bad --mac" $P logon alice@corp.example --profile generic-modern --dhcp lo --mac 02:00:zz:00:00:01
expect_rc 2 "logon --mac without --dhcp" $P logon alice@corp.example --profile generic-modern --dns 127.0.0.1 --mac 02:00:00:00:00:01
expect_rc 2 "logon bad --auth" $P logon alice@corp.example --profile generic-modern --dns 127.0.0.1 --auth basic
expect_rc 2 "logon bad --attempts" $P logon alice@corp.example --profile generic-modern --dns 127.0.0.1 --attempts 0
expect_rc 2 "logon unknown profile" $P logon alice@corp.example --profile nope --dns 127.0.0.1
expect_rc 2 "logon bad DNS server" env PHONEBOOT_PASSWORD=x $P logon alice@corp.example --profile generic-modern --dns not-an-ip
expect_rc 2 "logon no such --dhcp interface" $P logon alice@corp.example --profile generic-modern --dhcp nosuch0
expect_rc 2 "logon unreadable --password-file" $P logon alice@corp.example --profile generic-modern --dns 127.0.0.1 --password-file /nonexistent
# nothing answers DNS on 127.0.0.1:9 here: a diagnosed failure, bounded, not a hang
expect_rc 1 "logon, DNS port unreachable" env PHONEBOOT_PASSWORD=x timeout 20 $P logon alice@corp.example --profile generic-modern --dns 127.0.0.1:9 --timeout 200
grep -q 'dns-timeout' /tmp/pb-cli.out && ok || ko "dns-timeout named"
# the password prompt on a terminal (script(1) gives one), when neither a
# file nor PHONEBOOT_PASSWORD is there
env -u PHONEBOOT_PASSWORD sh -c "printf 'x\n' | timeout 20 script -qec '$P logon alice@corp.example --profile generic-modern --dns 127.0.0.1:9 --timeout 100' /dev/null" >/tmp/pb-cli.out 2>&1
grep -q '^Password: ' /tmp/pb-cli.out && grep -q 'dns-timeout' /tmp/pb-cli.out && ok || ko "password prompt on a terminal: $(head -3 /tmp/pb-cli.out)"
# HOST:PORT: nothing listens on 127.0.0.1:9 (discard) -> refused, exit 2, fast
expect_rc 2 "refused port" timeout 10 $P cert --timeout 2000 127.0.0.1:9
grep -q tcp-refused /tmp/pb-cli.err && ok || ko "refused named"
port=$((20000 + $$ % 20000))
# a non-TLS port: a plain TCP listener that sends text
rm -f /tmp/pb-cli.listening
python3 -c '
import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); s.settimeout(15)
open(sys.argv[2], "w").close()
try:
    for _ in range(2):
        c,_=s.accept(); c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n" * 50); time.sleep(0.2); c.close()
except Exception: pass
' $port /tmp/pb-cli.listening &
lst=$!
# listening before the first connect, on a loaded machine too (bounded: 10 s)
for _ in $(seq 100); do [ -e /tmp/pb-cli.listening ] && break; sleep 0.1; done
rm -f /tmp/pb-cli.listening
expect_rc 2 "non-TLS port" timeout 20 $P cert --timeout 3000 127.0.0.1:$port
grep -q 'does not speak TLS\|tls-handshake-failed' /tmp/pb-cli.err && ok || ko "non-TLS named: $(cat /tmp/pb-cli.err)"
kill $lst 2>/dev/null; wait $lst 2>/dev/null
# a real TLS server on loopback: openssl s_server with the legacy chain
port2=$((port + 1))
OPENSSL_CONF=tests/cli/openssl-legacy.cnf openssl s_server -quiet -accept 127.0.0.1:$port2 \
	-cert $F/leaf-sha1.pem -key $F/work/leaf-sha1.key -cert_chain $F/root-sha1-rsa2048.pem \
	-naccept 6 </dev/null >/dev/null 2>&1 &
srv=$!
i=0; while [ $i -lt 50 ] && ! (exec 3<>/dev/tcp/127.0.0.1/$port2) 2>/dev/null; do sleep 0.1; i=$((i+1)); done
expect_rc 0 "HOST:PORT legacy chain, CX700" timeout 20 $P cert --profile polycom-cx700-ocpe --name pool.test.example 127.0.0.1:$port2
grep -q 'TLSv1' /tmp/pb-cli.out && grep -q "Legacy Public Root CA" /tmp/pb-cli.out && ok || ko "HOST:PORT shows the chain: $(cat /tmp/pb-cli.out)"
expect_rc 1 "HOST:PORT legacy chain, modern" timeout 20 $P cert --profile generic-modern --name pool.test.example 127.0.0.1:$port2
grep -q cert-sig-hash-unsupported /tmp/pb-cli.out && ok || ko "modern refuses SHA-1 over TLS"
kill $srv 2>/dev/null; wait $srv 2>/dev/null
# issue 13: the option table, help and man page from it, the exit map
expect_rc 0 "docs/phoneboot.1 is what the table makes" sh -c "$P --man | cmp -s - docs/phoneboot.1"
for c in logon cert profiles report fleet matrix; do
	expect_rc 0 "$c --help" $P $c --help
	h=$(sed -n '/^options:/,/^Exit/p' /tmp/pb-cli.out | grep -oE '^  (-h, )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | sort -u)
	m=$($P --man | awk -v c="$c" '/^\.SS /{on=index($0, "\"phoneboot " c " ")>0} /^\.SH /{on=0} on' |
		grep -A1 '^\.TP' | grep '^\\fB' | sed 's/\\f[BRI]//g; s/\\-/-/g' | grep -oE '^(-h, )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | sort -u)
	[ -n "$h" ] && [ "$h" = "$m" ] && ok || ko "$c: --help and the man page list different options: [$h] [$m]"
done
grep -q 'Every network wait' /tmp/pb-cli.out && ok || true
expect_rc 2 "unknown option" $P logon --frobnicate
[ "$(wc -l < /tmp/pb-cli.err)" = 1 ] && grep -q "unknown option '--frobnicate'" /tmp/pb-cli.err && ok || ko "unknown option: one line"
expect_rc 2 "missing argument" $P logon alice@corp.example --dns
grep -q -- "--dns needs an argument" /tmp/pb-cli.err && ok || ko "missing argument named"
# shared options: parsed once, the same bounds for every command
for c in "logon alice@corp.example --profile generic-modern --dns 127.0.0.1" "cert $F/chain-legacy.pem" \
	"fleet --count 3 --identity u%d@corp.example --profile generic-modern --dns 127.0.0.1" \
	"matrix a@corp.example --profile generic-modern --path i=dns:127.0.0.1"; do
	expect_rc 2 "${c%% *} --timeout 5" $P $c --timeout 5
	grep -q "expected MS from 10 to 600000" /tmp/pb-cli.err && ok || ko "${c%% *}: timeout bounds"
	expect_rc 2 "${c%% *} --time bad" $P $c --time 2024-13-45
done
expect_rc 0 "cert --json=FILE" $P cert --profile polycom-cx700-ocpe --json=/tmp/pb-cli.json $F/chain-legacy.pem
python3 -c 'import json; json.load(open("/tmp/pb-cli.json"))' && [ ! -s /tmp/pb-cli.out ] && ok || ko "cert --json=FILE writes the file"
# the password: never empty; with no terminal to ask on, a usage error
expect_rc 2 "empty PHONEBOOT_PASSWORD, no terminal" env PHONEBOOT_PASSWORD= setsid -w $P logon alice@corp.example --profile generic-modern --dns 127.0.0.1:9
grep -q 'no password.*no terminal' /tmp/pb-cli.err && ok || ko "no password: says so"
: > /tmp/pb-cli.pw
expect_rc 2 "empty --password-file" setsid -w $P logon alice@corp.example --profile generic-modern --dns 127.0.0.1:9 --password-file /tmp/pb-cli.pw
grep -q 'is empty' /tmp/pb-cli.err && ok || ko "empty password file: says so"
# report: a saved report rendered again
R=tests/fixtures/reports
expect_rc 1 "report: founding (loop)" $P report $R/founding.json
grep -q '^outcome: LOOP' /tmp/pb-cli.out && grep -q '^diagnosis: install-root / cert-sig-hash-unsupported (also cert-key-too-large)$' /tmp/pb-cli.out &&
	grep -q 'use-dns  *\[verified\]' /tmp/pb-cli.out && grep -q '^the boot with --alt-dns' /tmp/pb-cli.out && ok || ko "report: text"
grep -q "$(printf '\033')" /tmp/pb-cli.out && ko "colour when stdout is no terminal" || ok
expect_rc 0 "report: signed in" $P report $R/signed-in.json
expect_rc 1 "report --quiet" $P report --quiet $R/founding.json
[ "$(head -1 /tmp/pb-cli.out | cut -c1-13)" = "outcome: LOOP" ] && grep -q '^diagnosis:' /tmp/pb-cli.out &&
	! grep -q 'remedies:\|^  *[0-9.]* ms ' /tmp/pb-cli.out && ok || ko "--quiet: the outcome and the diagnosis only"
expect_rc 0 "report --quiet, signed in" $P report --quiet $R/signed-in.json
[ "$(cat /tmp/pb-cli.out)" = "outcome: signed in through sip.corp.example:5061" ] && ok || ko "--quiet signed in: $(cat /tmp/pb-cli.out)"
expect_rc 1 "report --json" $P report --json $R/founding.json
python3 -c 'import json,sys; sys.exit(0 if json.load(open("/tmp/pb-cli.out")) == json.load(open(sys.argv[1])) else 1)' $R/founding.json && ok || ko "report --json: the report as saved"
expect_rc 1 "report from stdin" sh -c "$P report - < $R/founding.json"
expect_rc 2 "report: no such file" $P report /nonexistent.json
expect_rc 2 "report: not JSON" $P report $F/chain-legacy.pem
expect_rc 2 "report: JSON, not a report" $P report /tmp/pb-cli.json
[ "$(wc -l < /tmp/pb-cli.err)" = 1 ] && ok || ko "report: one-line error"
# colour on a terminal (script(1) gives one), none with NO_COLOR
env -u NO_COLOR script -qec "$P report --quiet $R/founding.json" /dev/null > /tmp/pb-cli.tty 2>&1
grep -q "$(printf '\033\\[1;31m')LOOP" /tmp/pb-cli.tty && ok || ko "colour on a terminal"
NO_COLOR=1 script -qec "$P report --quiet $R/founding.json" /dev/null > /tmp/pb-cli.tty 2>&1
grep -q "$(printf '\033')" /tmp/pb-cli.tty && ko "NO_COLOR: still colour" || ok
expect_rc 1 "report --html" $P report --quiet --html /tmp/pb-cli.html $R/founding.json
python3 - $R/founding.json <<'PY' && ok || ko "report --html: one arrow per exchange"
import json, re, sys
d = json.load(open(sys.argv[1])); t = open('/tmp/pb-cli.html').read()
n = len(re.findall(r'<g class="arrow', t))
sys.exit(0 if n == len(d['exchanges']) + len(d['alternative']['exchanges']) and 'Content-Security-Policy' in t else 1)
PY
rm -f /tmp/pb-cli.json /tmp/pb-cli.pw /tmp/pb-cli.tty /tmp/pb-cli.html
# fleet and matrix: usage errors up front, and runs that meet nothing
PF="$P fleet --identity u%04d@corp.example --profile generic-modern --dns 127.0.0.1:9 --timeout 100 --progress none"
expect_rc 0 "fleet --help" $P fleet --help
expect_rc 0 "matrix --help" $P matrix --help
expect_rc 2 "fleet without phones" $P fleet --profile generic-modern --dns 127.0.0.1
expect_rc 2 "fleet --count without --identity" $P fleet --count 3 --profile generic-modern --dns 127.0.0.1
expect_rc 2 "fleet --identity without %d" env PHONEBOOT_PASSWORD=x $P fleet --count 3 --identity u%s@x --profile generic-modern --dns 127.0.0.1
expect_rc 2 "fleet --identity with two %d" env PHONEBOOT_PASSWORD=x $P fleet --count 3 --identity u%d%d@x --profile generic-modern --dns 127.0.0.1
expect_rc 2 "fleet --count without network" $P fleet --count 3 --identity u%d@x --profile generic-modern
expect_rc 2 "fleet --shard 3/3" env PHONEBOOT_PASSWORD=x $PF --count 3 --shard 3/3
expect_rc 2 "fleet --shard garbage" env PHONEBOOT_PASSWORD=x $PF --count 3 --shard a/b
expect_rc 2 "fleet --rate 0" env PHONEBOOT_PASSWORD=x $PF --count 3 --rate 0
expect_rc 2 "fleet --skip register" env PHONEBOOT_PASSWORD=x $PF --count 3 --skip register
expect_rc 2 "fleet --mac without --dhcp" env PHONEBOOT_PASSWORD=x $PF --count 3 --mac 02:00:01:00:00:00
grep -q -- '--mac numbers the MACs of generated phones' /tmp/pb-cli.err && ok || ko "--mac usage message: $(cat /tmp/pb-cli.err)"
expect_rc 2 "fleet --mac garbage" env PHONEBOOT_PASSWORD=x $PF --count 3 --mac 02:00:01
expect_rc 2 "fleet --concurrency over ulimit -n" env PHONEBOOT_PASSWORD=x bash -c "ulimit -n 100; $PF --count 3 --concurrency 500"
grep -q 'needs about 1064 file descriptors' /tmp/pb-cli.err && grep -q 'may open 100' /tmp/pb-cli.err && ok || ko "ulimit message says the numbers: $(cat /tmp/pb-cli.err)"
expect_rc 2 "fleet no password, no terminal" env -u PHONEBOOT_PASSWORD setsid -w $PF --count 3 </dev/null
csv=$(mktemp); secret="S3cr3t-$$-never-shown"
printf 'identity,profile,mac,network,password\nalice@corp.example,generic-modern,,,plain:%s\n' "$secret" > "$csv"; chmod 644 "$csv"
expect_rc 2 "fleet --csv: a password in a file others may read" $P fleet --csv "$csv" --dns 127.0.0.1:9 --progress none
grep -q 'not private' /tmp/pb-cli.err && ! grep -q "$secret" /tmp/pb-cli.err /tmp/pb-cli.out && ok || ko "refused, secret not echoed"
chmod 600 "$csv"
expect_rc 1 "fleet --csv: a password in a private file" timeout 20 $P fleet --csv "$csv" --dns 127.0.0.1:9 --timeout 100 --progress none --jsonl /tmp/pb-cli.jsonl
! grep -q "$secret" /tmp/pb-cli.err /tmp/pb-cli.out /tmp/pb-cli.jsonl && ok || ko "the CSV's secret appears in the output"
printf 'alice@corp.example,generic-modern,,,bogus:%s\n' "$secret" > "$csv"
expect_rc 2 "fleet --csv: unknown password source" $P fleet --csv "$csv" --dns 127.0.0.1:9 --progress none
! grep -q "$secret" /tmp/pb-cli.err && ok || ko "unknown source: secret not echoed"
printf 'alice@corp.example,no-such-profile,,,\n' > "$csv"
expect_rc 2 "fleet --csv: unknown profile" env PHONEBOOT_PASSWORD=x $P fleet --csv "$csv" --dns 127.0.0.1:9
printf 'alice@corp.example,generic-modern,,dns:127.0.0.1:9;127.0.0.2:9,env:PB_ALICE_PW\nbob@corp.example,,,,\n' > "$csv"
expect_rc 1 "fleet --csv: two phones, env: password" env PB_ALICE_PW=y PHONEBOOT_PASSWORD=x timeout 20 $P fleet --csv "$csv" --profile polycom-cx700-ocpe --dns 127.0.0.1:9 --timeout 100 --progress none --json
python3 -c 'import json,sys; d=json.load(open("/tmp/pb-cli.out")); sys.exit(0 if d["phones"]==2 and sum(d["outcomes"].values())==2 else 1)' && ok || ko "csv summary counts"
rm -f "$csv"
# a generated fleet against a port where nothing answers: every phone reported
expect_rc 1 "fleet --count 40" env PHONEBOOT_PASSWORD=x timeout 30 $PF --count 40 --concurrency 8 --jsonl /tmp/pb-cli.jsonl --json=/tmp/pb-cli.sum --html /tmp/pb-cli.html
python3 - <<'PY' && ok || ko "fleet: 40 lines, counts add up, the summary names the cause"
import json
lines = [json.loads(l) for l in open("/tmp/pb-cli.jsonl")]
s = json.load(open("/tmp/pb-cli.sum"))
assert len(lines) == 40 and sorted(l["index"] for l in lines) == list(range(40))
assert {l["identity"] for l in lines} == {"u%04d@corp.example" % i for i in range(1, 41)}
assert s["phones"] == 40 and sum(s["outcomes"].values()) == 40
assert sum(c["count"] for c in s["causes"]) == 40 and s["causes"][0]["examples"][0] == "u0001@corp.example"
assert s["run"]["concurrency"] == 8
PY
grep -q '<h2>Causes</h2>' /tmp/pb-cli.html && ok || ko "fleet --html"
grep -q 'outcomes:' /tmp/pb-cli.out && ok || ko "fleet --json=FILE still prints the text summary"
# shards of that fleet merged: the same summary as the whole run's lines
for k in 0 1 2; do python3 -c "
import json,sys
for l in open('/tmp/pb-cli.jsonl'):
    if json.loads(l)['index'] % 3 == $k: sys.stdout.write(l)" > /tmp/pb-cli.shard$k; done
expect_rc 1 "fleet --merge of 3 shards" $P fleet --merge /tmp/pb-cli.shard2 /tmp/pb-cli.shard0 /tmp/pb-cli.shard1 --json
python3 -c 'import json,sys; a=json.load(open("/tmp/pb-cli.out")); b=json.load(open("/tmp/pb-cli.sum")); del a["run"], b["run"]; sys.exit(0 if a==b else 1)' && ok || ko "merged shards == the whole run's summary"
expect_rc 1 "fleet --shard 1/3 runs its third" env PHONEBOOT_PASSWORD=x timeout 30 $PF --count 40 --shard 1/3 --jsonl /tmp/pb-cli.jsonl
[ "$(wc -l < /tmp/pb-cli.jsonl)" = 13 ] && ok || ko "shard 1/3 of 40 is 13 phones"
echo '{"not":"a report"}' > /tmp/pb-cli.shard0
expect_rc 2 "fleet --merge of something else" $P fleet --merge /tmp/pb-cli.shard0
expect_rc 2 "fleet --merge of no file" $P fleet --merge /nonexistent
rm -f /tmp/pb-cli.shard[012] /tmp/pb-cli.jsonl /tmp/pb-cli.sum /tmp/pb-cli.html
expect_rc 2 "matrix without --path" $P matrix a@corp.example --profile generic-modern
expect_rc 2 "matrix without --profile" $P matrix a@corp.example --path i=dns:127.0.0.1
expect_rc 2 "matrix bad --path" $P matrix a@corp.example --profile generic-modern --path i=udp:1.2.3.4
expect_rc 2 "matrix two paths of one name" $P matrix a@corp.example --profile generic-modern --path i=dns:127.0.0.1 --path i=dns:127.0.0.2
expect_rc 2 "matrix --path dhcp: no interface" $P matrix a@corp.example --profile generic-modern --path i=dhcp:nosuch0
expect_rc 1 "matrix, nothing answers" env PHONEBOOT_PASSWORD=x timeout 20 $P matrix a@corp.example --profile generic-modern --profile polycom-cx700-ocpe --path a=dns:127.0.0.1:9 --path b=dns:127.0.0.2:9 --timeout 100 --json
python3 -c 'import json,sys; d=json.load(open("/tmp/pb-cli.out")); sys.exit(0 if len(d["cells"])==4 and not d["all_signed_in"] and all(c["text"]=="locate-dc/dns-timeout" for c in d["cells"]) else 1)' && ok || ko "matrix: 4 cells, each its cause"
echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
