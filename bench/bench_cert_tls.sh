#!/bin/bash
# Benchmark: `phoneboot cert HOST:PORT` with every catalog profile against
# the lab's edge and pool, against `testssl -c` (client simulation) on the
# same endpoint, measured in the same run. Aim (issue 2): 50x faster.
# Needs root (the lab); installs testssl.sh if missing. Prints figures only.
set -u
cd "$(dirname "$0")/.."
scripts/install-deps.sh lab >/dev/null || exit 2
command -v testssl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq testssl.sh >/dev/null 2>&1
make -s phoneboot >/dev/null
lab/lab up --slapd --scenario founding >/dev/null || exit 2
eval "$(lab/lab env)"
N=${N:-20}
now() { date +%s.%N; }
for target in "$PHONEBOOT_LAB_EDGE:443" "$PHONEBOOT_LAB_POOL:5061"; do
	t0=$(now)
	for i in $(seq $N); do ./phoneboot cert --name sip.$PHONEBOOT_DOMAIN "$target" >/dev/null; done
	t1=$(now)
	pb=$(awk -v a=$t0 -v b=$t1 -v n=$N 'BEGIN { printf "%.4f", (b - a) / n }')
	echo "bench_cert_tls: phoneboot cert (all profiles, 2 handshakes) $target: ${pb} s per run (mean of $N)"
	if command -v testssl >/dev/null; then
		t0=$(now)
		# --nodns none: testssl resolves nothing (the lab has no names on the
		# system resolver); only the loopback endpoint is contacted
		timeout 300 testssl --nodns none --color 0 --warnings off --connect-timeout 5 \
			--openssl-timeout 5 -c "$target" >/dev/null 2>&1
		t1=$(now)
		ts=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }')
		echo "bench_cert_tls: testssl -c $target: ${ts} s"
		awk -v a=$ts -v b=$pb 'BEGIN { printf "bench_cert_tls: phoneboot is %.0fx faster (aim >= 50x)\n", a / b }'
	else
		echo "bench_cert_tls: testssl not available; no ratio"
	fi
done
