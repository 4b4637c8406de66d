# phoneboot lab: the checks of NTP (chrony) and the Device Update web
# service (nginx), issue 11. Sourced by lab/check and lab/check-ad, after
# their t/tn functions and `eval "$(lab/lab env)"`; runs where the lab's
# addresses are (inside labsrv with --netns). Standard tools only: a
# stdlib-only SNTP client (RFC 4330) in python3, curl and openssl s_client.
NTP=$PHONEBOOT_LAB_NTP; UPD=$PHONEBOOT_LAB_DEVUPDATE
UPD_NAME=ucupdates-r2.$PHONEBOOT_DOMAIN
NTPDU_RUN=$(dirname "$PHONEBOOT_LAB_INTERNAL_ROOT")/..

# one SNTP request; prints "li=N vn=N mode=N stratum=N offset=SECONDS"
ntpdu_sntp() { # addr
	python3 - "$1" <<'EOP'
import socket, struct, sys, time
NTP_EPOCH = 2208988800
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.connect((sys.argv[1], 123))
t0 = time.time()
sec = int(t0) + NTP_EPOCH
req = bytes([0 << 6 | 4 << 3 | 3]) + 39 * b'\0' + struct.pack('!II', sec, int((t0 % 1) * 2**32))
s.send(req)
r = s.recv(512)
t3 = time.time()
if len(r) < 48 or r[24:32] != req[40:48]:
    sys.exit("not a reply to our request")
ts = struct.unpack('!I', r[40:44])[0] - NTP_EPOCH + struct.unpack('!I', r[44:48])[0] / 2**32
print("li=%d vn=%d mode=%d stratum=%d offset=%.3f" % (r[0] >> 6, (r[0] >> 3) & 7, r[0] & 7, r[1], ts - (t0 + t3) / 2))
EOP
}
ntp_synced() { # usable time within a second of the host's (chrony serves the host's clock)
	local o; o=$(ntpdu_sntp "$NTP") || return 1; echo "$o"
	echo "$o" | grep -q '^li=[012] vn=4 mode=4 stratum=3 ' &&
	awk -v o="${o##*offset=}" 'BEGIN { exit !(o < 1 && o > -1) }'
}
ntp_unsynced() { ntpdu_sntp "$NTP" | tee /dev/stderr | grep -q '^li=3 vn=4 mode=4 '; }
# -x on chronyd's command line: it never sets the host's clock
chrony_x() { tr '\0' '\n' < "/proc/$(cat "$NTPDU_RUN/chrony.pid.lab")/cmdline" | grep -qx -- -x; }
# the update check: POST as the device does (the body: docs/device-update.md)
upd_post() { # http|https path [curl args]
	local scheme=$1 path=$2; shift 2
	curl -sS --fail --max-time 3 --noproxy '*' --resolve "$UPD_NAME:80:$UPD" --resolve "$UPD_NAME:443:$UPD" \
		-H 'Content-Type: text/xml' --data-binary '<?xml version="1.0" encoding="utf-8"?><Request><DeviceType>UCPhone</DeviceType></Request>' \
		"$@" "$scheme://$UPD_NAME$path" | grep -q '<Version>4.0.7577.4463</Version>'
}
upd_file() { curl -sS --fail --max-time 3 --noproxy '*' --resolve "$UPD_NAME:80:$UPD" -o /dev/null \
	"http://$UPD_NAME/DeviceUpdateFiles_Int/UCPhone/CPE/CPE.nbt"; }
upd_tls() { # extra s_client args
	local out; out=$(echo | timeout 5 openssl s_client -connect "$UPD:443" -CAfile "$PHONEBOOT_LAB_INTERNAL_ROOT" \
		-verify_return_error "$@" 2>&1) && ! echo "$out" | grep -q "verify error"
}

echo "== NTP and Device Update ($S)"
if [ "$S" != dns-down ]; then
	t "dns internal: $UPD_NAME A -> $UPD" sh -c "dig @$I +time=1 +tries=1 +short $UPD_NAME A | grep -qx $UPD"
fi
t "dns external: no $UPD_NAME" sh -c "dig @$E +time=1 +tries=1 $UPD_NAME A | grep -q 'status: NXDOMAIN'"
case $S in
ntp-down)
	tn "ntp: nothing answers on dc01:123" ntpdu_sntp "$NTP" ;;
ntp-unsynchronized)
	t "ntp: dc01:123 answers with leap indicator 3 (no reference)" ntp_unsynced
	t "ntp: chronyd runs with -x (never the host's clock)" chrony_x ;;
*)
	t "ntp: dc01:123 answers, stratum 3, within 1 s of the host's clock" ntp_synced
	t "ntp: chronyd runs with -x (never the host's clock)" chrony_x ;;
esac
case $S in
devupdate-down)
	tn "devupdate: nothing on :80" upd_post http /RequestHandler/ucdevice.upx
	tn "devupdate: nothing on :443" upd_post https /RequestHandler/ucdevice.upx -k ;;
devupdate-name-missing)
	t "devupdate: HTTP POST /RequestHandler/ucdevice.upx -> an update" upd_post http /RequestHandler/ucdevice.upx
	t "devupdate: HTTPS chain verifies with the internal root" upd_tls
	tn "devupdate: HTTPS certificate lacks $UPD_NAME" upd_post https /RequestHandler/ucdevice.upx --cacert "$PHONEBOOT_LAB_INTERNAL_ROOT"
	t "devupdate: HTTPS POST answers when the name is not checked" upd_post https /RequestHandler/ucdevice.upx -k ;;
*)
	t "devupdate: HTTP POST /RequestHandler/ucdevice.upx -> an update" upd_post http /RequestHandler/ucdevice.upx
	t "devupdate: HTTPS POST /RequestHandler/ucdevice.upx, internal root, name $UPD_NAME" \
		upd_post https /RequestHandler/ucdevice.upx --cacert "$PHONEBOOT_LAB_INTERNAL_ROOT"
	t "devupdate: HTTPS POST /RequestHandlerExt/ucdevice.upx" \
		upd_post https /RequestHandlerExt/ucdevice.upx --cacert "$PHONEBOOT_LAB_INTERNAL_ROOT"
	t "devupdate: the offered file is served" upd_file
	t "devupdate: HTTPS accepts TLS 1.0 (the LPE phones)" upd_tls -tls1 -cipher 'AES128-SHA:@SECLEVEL=0' -verify_hostname "$UPD_NAME" ;;
esac
