# The AD mode of the lab (lab/lab up --ad), sourced by lab/lab:
#  - dc01 is a real domain controller: Samba AD DC (realm CORP.EXAMPLE,
#    NetBIOS domain CORP), provisioned once into a template under lab/run
#    and copied for each up; the company root published as
#    `certutil -dspublish -f root.crt RootCA` does;
#  - pool and edge are lab/registrar's sipae-registrar (MS-SIPAE, NTLM
#    verified by gss-ntlmssp against Samba's winbind; Kerberos at the pool
#    verified by MIT GSS-API with sip/pool.corp.example's keytab, exported
#    from the domain into the template);
#  - Kamailio moves to an address of its own (proxy, _sips._tcp) and stays
#    the Digest registrar of the sip flow.
# Pitfalls met on Debian 12 are in ../shared/reference/samba-ad-lab.md
# ("samba-ad-lab" below).

AD_REALM=CORP.EXAMPLE; AD_NETBIOS=CORP; AD_ADMIN_PASSWORD='AdminLab123!'
CAROL_PASSWORD=CarolPass789
AD_SCENARIOS="kerberos no-spn kdc-down tls-dsk-only bad-rspauth ldap-weak"
# bump when the template's content changes: a new one is provisioned
AD_STAMP="v2 alice bob carol(disabled) sipsvc sip/pool-keytab $(printf '%s' "$LAB_PASSWORD $BOB_PASSWORD $CAROL_PASSWORD" | md5sum | cut -c1-8)"
# the MS-SIPAE version the registrar offers: 4 (OCS 2007 R2 and later);
# PHONEBOOT_LAB_SIPAE_VERSION=3 (or 2) at up time offers another
SIPAE_VERSION=$(cat "$RUN/sipae-version" 2>/dev/null || echo 4)
PYTHON=/usr/bin/python3     # samba's bindings live in Debian's python only
REGISTRAR=$TOP/build/lab/sipae-registrar

ad_mode() { [ -f "$RUN/ad-mode" ]; }
ad_addresses() {
	if [ "$(cat "$RUN/mode" 2>/dev/null)" = netns ]; then PROXY_IP=10.99.0.41; else PROXY_IP=127.0.1.41; fi
}
ad_addresses

# ------------------------------------------------------------- PKI ----
ad_pki() {
	grep -q '^\[dc01\]' "$PKI/ext.cnf" || cat >> "$PKI/ext.cnf" <<EOF
[dc01]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:dc01.$DOMAIN,DNS:$DOMAIN,IP:127.0.1.10,IP:10.99.0.10
[proxy]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:proxy.$DOMAIN,DNS:$DOMAIN,IP:127.0.1.41,IP:10.99.0.41
EOF
	mk int-dc01 "/CN=dc01.$DOMAIN" 2048 int-root sha256 dc01 || return 1
	mk int-sipproxy "/CN=proxy.$DOMAIN" 2048 int-root sha256 proxy || return 1
	chmod 600 "$PKI"/*.key
}

# -------------------------------------------------- the domain controller ----
# Provisioned once (about 4 s): the template holds the domain, its users,
# the registrar's service account sipsvc (SPN sip/pool.corp.example) and
# its keys as a keytab (sip-pool.keytab: what `ktpass` or
# `samba-tool domain exportkeytab` gives a real pool's service account).
ad_template() {
	local T=$RUN/ad-template C
	[ "$(cat "$T/.stamp" 2>/dev/null)" = "$AD_STAMP" ] && return 0
	rm -rf "$T"
	echo "lab: provisioning the domain controller's template (once)" >&2
	# samba-ad-lab: --dns-backend SAMBA_INTERNAL is the measured path; its DNS
	# server is never started (server services = -dns), dnsmasq is the DNS
	samba-tool domain provision --realm=$AD_REALM --domain=$AD_NETBIOS --server-role=dc \
		--dns-backend=SAMBA_INTERNAL --adminpass="$AD_ADMIN_PASSWORD" --targetdir="$T" \
		--host-name=dc01 --host-ip=127.0.1.10 >"$LOGS/ad-provision.log" 2>&1 || return 1
	C="-H $T/private/sam.ldb --configfile=$T/etc/smb.conf"
	{ samba-tool user add alice "$LAB_PASSWORD" --mail-address=alice@$DOMAIN $C &&
	  samba-tool user add bob "$BOB_PASSWORD" --mail-address=bob@$DOMAIN $C &&
	  samba-tool user add carol "$CAROL_PASSWORD" --mail-address=carol@$DOMAIN $C &&
	  samba-tool user disable carol $C &&
	  samba-tool user add sipsvc "Svc-$(openssl rand -hex 12)" $C &&
	  samba-tool spn add sip/pool.$DOMAIN sipsvc $C &&
	  for u in alice bob carol sipsvc; do samba-tool user setexpiry --noexpiry $u $C || exit 1; done &&
	  samba-tool domain exportkeytab "$T/sip-pool.keytab" --principal=sip/pool.$DOMAIN \
		--configfile="$T/etc/smb.conf" &&
	  chmod 600 "$T/sip-pool.keytab"
	} >>"$LOGS/ad-provision.log" 2>&1 || return 1
	echo "$AD_STAMP" > "$T/.stamp"
}

# the root as certutil -dspublish publishes it (samba-ad-lab: the class
# requires both revocation lists). SPN, when given: taken off the account
# that holds it (no-spn: `setspn -D`), in the same python run (each run
# costs about a second)
ad_publish_root() { # sam.ldb smb.conf der-file [spn-to-remove]
	"$PYTHON" - "$@" <<'EOF'
import sys
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
url, conf, der = sys.argv[1:4]
lp = LoadParm(); lp.load(conf)
db = SamDB(url=url, session_info=system_session(), lp=lp)
dn = "CN=corp-ROOT-CA,CN=Certification Authorities,CN=Public Key Services,CN=Services,%s" % db.get_config_basedn()
m = ldb.Message(ldb.Dn(db, dn))
m["objectClass"] = ldb.MessageElement([b"top", b"certificationAuthority"], ldb.FLAG_MOD_ADD, "objectClass")
m["cACertificate"] = ldb.MessageElement([open(der, "rb").read()], ldb.FLAG_MOD_ADD, "cACertificate")
for a in ("authorityRevocationList", "certificateRevocationList"):
    m[a] = ldb.MessageElement([b"\0"], ldb.FLAG_MOD_ADD, a)
db.add(m)
if len(sys.argv) > 4:
    spn = sys.argv[4]
    res = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                    expression="(servicePrincipalName=%s)" % ldb.binary_encode(spn), attrs=["dn"])
    if len(res) != 1:
        sys.exit("no single account holds %s" % spn)
    m = ldb.Message(res[0].dn)
    m["servicePrincipalName"] = ldb.MessageElement([spn.encode()], ldb.FLAG_MOD_DELETE, "servicePrincipalName")
    db.modify(m)
EOF
}

ad_conf() {
	local D=$RUN/ad s; s=$(scenario)
	rm -rf "$D"
	cp -a "$RUN/ad-template" "$D" || return 1
	mkdir -p "$D/run-samba" "$D/pid" "$D/signd" "$LOGS/samba"
	chmod 750 "$D/signd"            # samba-ad-lab: ntp signd socket dir 0750
	cat "$PKI/int-dc01.crt" "$PKI/int-root.crt" > "$D/dc01-chain.pem"
	local services="-dns" strong=yes
	# ldap-down: the DC runs (winbind still answers NTLM) but serves no LDAP
	[ "$s" = ldap-down ] && services="-dns -ldap -cldap"
	# kdc-down: no KDC (88 and 464 refuse); LDAP, winbind (NTLM) answer
	[ "$s" = kdc-down ] && services="-dns -kdc"
	# ldap-weak: an old directory that takes a simple bind in clear on 389
	[ "$s" = ldap-weak ] && strong=no
	cat > "$D/etc/smb.conf" <<EOF
# Samba AD DC for the lab (written by lab/lab up --ad; the provisioned
# smb.conf is not used: it names the host's resolver as a DNS forwarder)
[global]
	netbios name = DC01
	workgroup = $AD_NETBIOS
	realm = $AD_REALM
	server role = active directory domain controller
	interfaces = $DC_IP
	bind interfaces only = yes
	disable netbios = yes
	# dnsmasq serves the lab's DNS views; Samba's DNS stays off, never forwards
	server services = $services
	dns update command = /bin/true
	# yes: AD's LDAP signing requirement (LDAPServerIntegrity 2): a simple
	# bind only inside TLS, SASL only with signing or sealing; no (ldap-weak)
	ldap server require strong auth = $strong
	tls enabled = yes
	tls keyfile = $PKI/int-dc01.key
	tls certfile = $D/dc01-chain.pem
	tls cafile = $PKI/int-root.crt
	private dir = $D/private
	binddns dir = $D/bind-dns
	lock directory = $D
	state directory = $D/state
	cache directory = $D/cache
	pid directory = $D/pid
	ntp signd socket directory = $D/signd
	# samba-ad-lab: libwbclient ignores the environment; /run/samba is a
	# private bind mount in the DC's own mount namespace
	winbindd socket directory = /run/samba/winbindd
	log file = $LOGS/samba/log.%m
	logging = file
	log level = 1
[sysvol]
	path = $D/state/sysvol
	read only = No
[netlogon]
	path = $D/state/sysvol/$DOMAIN/scripts
	read only = No
EOF
	printf '127.0.0.1 localhost\n%s dc01.%s dc01\n%s pool.%s\n%s edge.%s\n' \
		$DC_IP $DOMAIN $POOL_IP $DOMAIN $EDGE_IP $DOMAIN > "$D/hosts"
	cat > "$D/krb5.conf" <<EOF
# the lab's Kerberos configuration (KRB5_CONFIG); never the host's
[libdefaults]
	default_realm = $AD_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
[realms]
	$AD_REALM = {
		kdc = $DC_IP
		admin_server = $DC_IP
	}
[domain_realm]
	.$DOMAIN = $AD_REALM
	$DOMAIN = $AD_REALM
EOF
	case $s in
	ldap-no-ca) ;;
	legacy-root) ad_publish_root "$D/private/sam.ldb" "$D/etc/smb.conf" "$PKI/leg-root.der" ;;
	no-spn) ad_publish_root "$D/private/sam.ldb" "$D/etc/smb.conf" "$PKI/int-root.der" sip/pool.$DOMAIN ;;
	*) ad_publish_root "$D/private/sam.ldb" "$D/etc/smb.conf" "$PKI/int-root.der" ;;
	esac >"$LOGS/ad-publish.log" 2>&1 || return 1
}

# Samba binds only addresses an interface carries: on loopback the DC's
# address goes on lo for the lab's life (removed by down)
ad_lo_addr() {
	[ $NETNS = 1 ] && return 0
	ip -4 addr show dev lo | grep -q " $DC_IP/" && return 0
	ip addr add $DC_IP/32 dev lo scope host && echo $DC_IP > "$RUN/ad-lo-addr"
}

# the DC in a mount namespace of its own: /run/samba and /etc/hosts are
# private bind mounts there, so nothing of the host's changes; the
# registrar joins that namespace (nsenter) to reach winbind
ad_start() {
	local D=$RUN/ad
	$NSX setsid unshare --mount --propagation private sh -c "
		mount --bind '$D/run-samba' /run/samba 2>/dev/null ||
			{ mkdir -p /run/samba && mount --bind '$D/run-samba' /run/samba; } || exit 1
		mount --bind '$D/hosts' /etc/hosts || exit 1
		export KRB5_CONFIG='$D/krb5.conf'
		exec samba -i -M single --configfile='$D/etc/smb.conf'" \
		</dev/null >"$LOGS/samba.log" 2>&1 &
	echo $! > "$RUN/samba.pid"
}
ad_nsenter() { echo "nsenter -t $(cat "$RUN/samba.pid") -m -n"; }
ad_wbinfo_ok() { $(ad_nsenter) wbinfo -P; }
ad_ldap_ok() { $NSX ldapsearch -x -o nettimeout=1 -H "ldap://$DC_IP:389" -s base -b "" dnsHostName; }
ad_kdc_ok() { $NSX bash -c "exec 3<>/dev/tcp/$DC_IP/88" 2>/dev/null; }

# ------------------------------------------------------ the registrar ----
reg_start() {
	local s pool; s=$(scenario)
	set -- $(pool_cert)
	# the scenario changes the pool only: the edge stays as it is, so that
	# the founding fix (public DNS -> edge) can be tried in every scenario
	pool="$POOL_IP:5061,chain=$RUN/pool-chain.pem,key=$2,target=pool.$DOMAIN"
	case $s in
	tls12-only) pool="$pool,tls12" ;;
	tls-dsk-only) pool="$pool,schemes=TLS-DSK" ;;
	bad-rspauth) pool="$pool,bad-rspauth" ;;
	redirect) pool="$pool,redirect=sip:edge.$DOMAIN:5061;transport=tls" ;;
	esac
	SIPAE_VERSION=${PHONEBOOT_LAB_SIPAE_VERSION:-4}
	case $SIPAE_VERSION in 2|3|4) ;; *) SIPAE_VERSION=4 ;; esac
	echo $SIPAE_VERSION > "$RUN/sipae-version"
	# Kerberos: the keytab exported into the template (never the host's
	# /etc/krb5.keytab), the lab's krb5.conf, a replay cache of its own
	local args="--version $SIPAE_VERSION --domain $DOMAIN --sts-uri https://pool.$DOMAIN/CertProv/CertProvisioningService.svc"
	args="$args --keytab $RUN/ad/sip-pool.keytab --client-ca $PKI/certprov-ca.crt"
	[ "$s" = pool-down ] || args="$args --listen $pool"
	# remote users authenticate through the Edge against the pool (OCS:
	# the Access Edge does not authenticate; the next hop does). NTLM only:
	# a remote client reaches no KDC, and an Edge offers what it can serve
	args="$args --listen $EDGE_IP:443,chain=$RUN/edge-chain.pem,key=$PKI/pub-edge.key,target=pool.$DOMAIN,schemes=NTLM"
	args="$args --listen $EDGE_IP:5061,chain=$RUN/edge-chain.pem,key=$PKI/pub-edge.key,target=pool.$DOMAIN,schemes=NTLM"
	echo "$args" > "$RUN/registrar.args"
	mkdir -p "$RUN/ad/rcache"
	setsid $(ad_nsenter) env KRB5_CONFIG="$RUN/ad/krb5.conf" KRB5RCACHEDIR="$RUN/ad/rcache" \
		KRB5CCNAME=MEMORY:registrar "$REGISTRAR" $args </dev/null >"$LOGS/registrar.log" 2>&1 &
	echo $! > "$RUN/registrar.pid"
}

# Kamailio on the proxy address only, with the internal chain
kam_conf_ad() {
	cat "$PKI/int-sipproxy.crt" "$PKI/int-root.crt" > "$RUN/proxy-chain.pem"
	cat > "$RUN/tls.cfg" <<EOF
[server:default]
method = TLSv1.2+
cipher_list = DEFAULT:@SECLEVEL=2
certificate = $RUN/proxy-chain.pem
private_key = $PKI/int-sipproxy.key
verify_certificate = no
require_certificate = no

[client:default]
verify_certificate = no
require_certificate = no

[server:$PROXY_IP:5061]
method = TLSv1+
cipher_list = DEFAULT:@SECLEVEL=0
certificate = $RUN/proxy-chain.pem
private_key = $PKI/int-sipproxy.key
verify_certificate = no
require_certificate = no
EOF
	sed -i -e '/^listen=/d' -e "s|^enable_tls=yes|enable_tls=yes\nlisten=tls:$PROXY_IP:5061|" \
		-e "/^alias=\"edge/a alias=\"proxy.$DOMAIN\"" "$RUN/kamailio.cfg"
}

ad_build() {
	# the registrar and its test client, from lab/registrar (make lab-tools)
	make -C "$TOP" --no-print-directory -s lab-tools >"$LOGS/lab-tools.log" 2>&1 ||
		{ cat "$LOGS/lab-tools.log" >&2; return 1; }
}

# a process group with a live member (zombies do not count: this sandbox's
# init reaps slowly)
group_alive() {
	local q
	for q in $(pgrep -g "$1"); do running "$q" && return 0; done
	return 1
}

ad_down() {
	stop_pidfile "$RUN/registrar.pid"
	# samba's children (smbd, winbindd, ...) are in its process group
	if [ -s "$RUN/samba.pid" ]; then
		local p i; p=$(cat "$RUN/samba.pid")
		kill -- -"$p" 2>/dev/null
		for i in $(seq 100); do group_alive "$p" || break; sleep 0.05; done
		group_alive "$p" && kill -9 -- -"$p" 2>/dev/null
		rm -f "$RUN/samba.pid"
	fi
	if [ -s "$RUN/ad-lo-addr" ]; then
		ip addr del "$(cat "$RUN/ad-lo-addr")/32" dev lo 2>/dev/null
		rm -f "$RUN/ad-lo-addr"
	fi
	rm -rf "$RUN/ad" "$RUN/sipae-version"
}
