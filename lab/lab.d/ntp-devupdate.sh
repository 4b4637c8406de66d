# phoneboot lab: NTP (chrony) and the Device Update web service (nginx),
# issue 11. Sourced by lab/lab; uses its variables (LAB RUN LOGS PKI DOMAIN
# DC_IP NETNS NSX IF_SRV) and functions (scenario mk wait_for fail_service
# stop_pidfile). Kept apart from lab/lab so that it merges with the Samba AD
# work; the hook lab/lab needs is at the end of this file.
#
# Scenarios:
#   ntp-down                chrony not started: port unreachable at dc01:123
#                           -> time: ntp-unreachable
#   ntp-unsynchronized      chrony without a reference: leap indicator 3
#                           -> time: ntp-unsynchronized
#   devupdate-name-missing  nginx's certificate (internal PKI) lacks
#                           ucupdates-r2.corp.example -> device-update:
#                           cert-name-mismatch (lpe flow; with the internal
#                           root among the device's roots, else
#                           cert-untrusted-root first)
#   devupdate-down          nginx not started -> device-update:
#                           devupdate-unreachable
NTPDU_SCENARIOS="ntp-down ntp-unsynchronized devupdate-name-missing devupdate-down"

ntpdu_addresses() {
	if [ "${NETNS:-0}" = 1 ]; then UPD_IP=10.99.0.40; else UPD_IP=127.0.1.40; fi
}

# certificates of the internal PKI for the service, made by lab/lab's mk
ntpdu_pki() {
	grep -q '^\[upd\]' "$PKI/ext.cnf" || cat >> "$PKI/ext.cnf" <<EOC
[upd]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:ucupdates-r2.$DOMAIN
[updnoname]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:webint.$DOMAIN
EOC
	mk int-upd "/CN=ucupdates-r2.$DOMAIN" 2048 int-root sha256 upd || return 1
	mk int-updnoname "/CN=webint.$DOMAIN" 2048 int-root sha256 updnoname || return 1
}

# the internal view's A record (append to lab/lab's hosts-internal file)
ntpdu_hosts() {
	ntpdu_addresses
	echo "$UPD_IP ucupdates-r2.$DOMAIN"
}

ntpdu_conf() {
	local s; s=$(scenario)
	local crt=$PKI/int-upd.crt key=$PKI/int-upd.key local_line="local stratum 3"
	ntpdu_addresses
	if [ "$s" = devupdate-name-missing ]; then
		crt=$PKI/int-updnoname.crt; key=$PKI/int-updnoname.key
	fi
	[ "$s" = ntp-unsynchronized ] && local_line="# (no reference: scenario ntp-unsynchronized)"
	cat "$crt" "$PKI/int-root.crt" > "$RUN/nginx-devupdate.chain"
	mkdir -p "$RUN/nginx/body" "$RUN/devupdate/DeviceUpdateFiles_Int/UCPhone/CPE" \
		"$RUN/devupdate/DeviceUpdateFiles_Ext/UCPhone/CPE"
	for d in Int Ext; do
		printf 'phoneboot lab: a stand-in firmware image\n' \
			> "$RUN/devupdate/DeviceUpdateFiles_$d/UCPhone/CPE/CPE.nbt"
		printf 'phoneboot lab: a stand-in catalog\n' \
			> "$RUN/devupdate/DeviceUpdateFiles_$d/UCPhone/CPE/CPE.cat"
	done
	sed -e "s|@DC_IP@|$DC_IP|g" -e "s|@RUN@|$RUN|g" -e "s|@LOGS@|$LOGS|g" \
		-e "s|@LOCAL@|$local_line|" "$LAB/conf/chrony.conf" > "$RUN/chrony.conf"
	sed -e "s|@UPD_IP@|$UPD_IP|g" -e "s|@DOMAIN@|$DOMAIN|g" -e "s|@RUN@|$RUN|g" \
		-e "s|@LOGS@|$LOGS|g" -e "s|@CRT@|$RUN/nginx-devupdate.chain|g" \
		-e "s|@KEY@|$key|g" "$LAB/conf/nginx-devupdate.conf" > "$RUN/nginx-devupdate.conf"
}

# One SNTP request (RFC 4330), for the check: prints "LI STRATUM" or fails.
ntpdu_sntp() { # addr
	$NSX python3 - "$1" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.connect((sys.argv[1], 123))
s.send(b'\x23' + 47 * b'\0')
r = s.recv(512)
print(r[0] >> 6, r[1])
EOP
}
ntpdu_ntp_ok() { ntpdu_sntp "$DC_IP" >/dev/null; }
ntpdu_http_ok() { $NSX curl -s -o /dev/null --max-time 2 "http://$UPD_IP/RequestHandler/ucdevice.upx" -d x; }

ntpdu_up() {
	local s; s=$(scenario)
	for b in chronyd nginx python3 curl; do
		command -v $b >/dev/null || die "$b is missing: run scripts/install-deps.sh lab"
	done
	ntpdu_pki || die "PKI for the Device Update service failed"
	ntpdu_conf
	[ "${NETNS:-0}" = 1 ] && $NSX ip addr add "$UPD_IP/24" dev "$IF_SRV" 2>/dev/null
	if [ "$s" != ntp-down ]; then
		# -x: never the host's clock; -d: foreground, so $! is chronyd
		$NSX setsid chronyd -x -d -u root -f "$RUN/chrony.conf" </dev/null \
			>"$LOGS/chrony.log" 2>&1 &
		echo $! > "$RUN/chrony.pid.lab"
		wait_for chrony ntpdu_ntp_ok || fail_service chrony "$LOGS/chrony.log"
	fi
	if [ "$s" != devupdate-down ]; then
		$NSX setsid nginx -c "$RUN/nginx-devupdate.conf" -p "$RUN" </dev/null \
			>"$LOGS/nginx-devupdate.out" 2>&1 &
		echo $! > "$RUN/nginx-devupdate.pid.lab"
		wait_for nginx ntpdu_http_ok || fail_service nginx "$LOGS/nginx-devupdate.err"
	fi
}

ntpdu_down() {
	stop_pidfile "$RUN/chrony.pid.lab"
	stop_pidfile "$RUN/nginx-devupdate.pid.lab"
	rm -f "$RUN/chrony.pid" "$RUN/nginx-devupdate.pid"
}

ntpdu_status() {
	local s rc=0 p; s=$(scenario)
	for p in chrony nginx-devupdate; do
		case "$s:$p" in ntp-down:chrony|devupdate-down:nginx-devupdate)
			echo "  $p: off (scenario)"; continue ;; esac
		if alive "$RUN/$p.pid.lab"; then echo "  $p: running, pid $(cat "$RUN/$p.pid.lab")"
		else echo "  $p: NOT running"; rc=1; fi
	done
	return $rc
}

# ---- the hook, as applied in lab/lab (and in lab/check, lab/check-ad:
#      lab.d/check-ntp-devupdate.sh) ----
#   after the functions:      . "$LAB/lab.d/ntp-devupdate.sh"
#   SCENARIOS:                SCENARIOS="$SCENARIOS $NTPDU_SCENARIOS"
#   end of pki():             ntpdu_pki || return 1
#   dns_conf, internal view,
#     after the hosts file:   ntpdu_hosts >> "$h"
#   cmd_up, after the last
#     wait_for:               ntpdu_up
#   cmd_down, first line:     ntpdu_down
#   cmd_status, before
#     return:                 ntpdu_status || rc=1
#   cmd_env:                  echo "export PHONEBOOT_LAB_DEVUPDATE=$UPD_IP"
