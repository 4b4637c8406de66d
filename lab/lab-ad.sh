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
#    the Digest registrar of the sip flow;
#  - the root is also the domain's enterprise CA (a pKIEnrollmentService
#    object, dNSHostName ca.corp.example, the DC's address) whose web
#    enrollment pages (lighttpd with mod_authn_gssapi: Kerberos in SPNEGO,
#    HTTP/ca.corp.example's keytab) serve its chain as AD CS's
#    /certsrv/certnew.p7b does: what the CX700 downloads.
# Pitfalls met on Debian 12 are in ../shared/reference/samba-ad-lab.md
# ("samba-ad-lab" below).

AD_REALM=CORP.EXAMPLE; AD_NETBIOS=CORP; AD_ADMIN_PASSWORD='AdminLab123!'
CAROL_PASSWORD=CarolPass789
# web-enroll-only: the root is not dspublished; the enterprise CA's web
# enrollment alone serves it
AD_SCENARIOS="kerberos no-spn kdc-down tls-dsk-only bad-rspauth ldap-weak web-enroll-only"
# bump when the template's content changes: a new one is provisioned
AD_STAMP="v3 alice bob carol(disabled) sipsvc sip/pool-keytab casvc HTTP/ca-keytab $(printf '%s' "$LAB_PASSWORD $BOB_PASSWORD $CAROL_PASSWORD" | md5sum | cut -c1-8)"
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
	  samba-tool user add casvc "Svc-$(openssl rand -hex 12)" $C &&
	  samba-tool spn add HTTP/ca.$DOMAIN casvc $C &&
	  for u in alice bob carol sipsvc casvc; do samba-tool user setexpiry --noexpiry $u $C || exit 1; done &&
	  samba-tool domain exportkeytab "$T/sip-pool.keytab" --principal=sip/pool.$DOMAIN \
		--configfile="$T/etc/smb.conf" &&
	  samba-tool domain exportkeytab "$T/ca-http.keytab" --principal=HTTP/ca.$DOMAIN \
		--configfile="$T/etc/smb.conf" &&
	  chmod 600 "$T/sip-pool.keytab" "$T/ca-http.keytab"
	} >>"$LOGS/ad-provision.log" 2>&1 || return 1
	echo "$AD_STAMP" > "$T/.stamp"
}

# the root as certutil -dspublish publishes it (samba-ad-lab: the class
# requires both revocation lists), unless DSPUBLISH is "-"; the enterprise
# CA as AD CS registers it (a pKIEnrollmentService under Enrollment
# Services naming its host, MS-CSRA 3.1.1.4.1) when ENROLL-HOST is not
# "-". SPN, when given: taken off the account that holds it (no-spn:
# `setspn -D`). One python run (each costs about a second).
ad_publish_root() { # sam.ldb smb.conf der-file dspublish|- enroll-host|- [spn-to-remove]
	"$PYTHON" - "$@" <<'EOF'
import sys
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
url, conf, der, dspublish, enroll = sys.argv[1:6]
lp = LoadParm(); lp.load(conf)
db = SamDB(url=url, session_info=system_session(), lp=lp)
pks = "CN=Public Key Services,CN=Services,%s" % db.get_config_basedn()
if dspublish != "-":
    m = ldb.Message(ldb.Dn(db, "CN=corp-ROOT-CA,CN=Certification Authorities," + pks))
    m["objectClass"] = ldb.MessageElement([b"top", b"certificationAuthority"], ldb.FLAG_MOD_ADD, "objectClass")
    m["cACertificate"] = ldb.MessageElement([open(der, "rb").read()], ldb.FLAG_MOD_ADD, "cACertificate")
    for a in ("authorityRevocationList", "certificateRevocationList"):
        m[a] = ldb.MessageElement([b"\0"], ldb.FLAG_MOD_ADD, a)
    db.add(m)
if enroll != "-":
    m = ldb.Message(ldb.Dn(db, "CN=corp-ROOT-CA,CN=Enrollment Services," + pks))
    m["objectClass"] = ldb.MessageElement([b"top", b"pKIEnrollmentService"], ldb.FLAG_MOD_ADD, "objectClass")
    m["dNSHostName"] = ldb.MessageElement([enroll.encode()], ldb.FLAG_MOD_ADD, "dNSHostName")
    m["cACertificate"] = ldb.MessageElement([open(der, "rb").read()], ldb.FLAG_MOD_ADD, "cACertificate")
    db.add(m)
if len(sys.argv) > 6:
    spn = sys.argv[6]
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
	local db="$D/private/sam.ldb" conf="$D/etc/smb.conf" ca=ca.$DOMAIN
	case $s in
	ldap-no-ca) ;;
	legacy-root) ad_publish_root "$db" "$conf" "$PKI/leg-root.der" yes $ca ;;
	no-spn) ad_publish_root "$db" "$conf" "$PKI/int-root.der" yes $ca sip/pool.$DOMAIN ;;
	web-enroll-only) ad_publish_root "$db" "$conf" "$PKI/int-root.der" - $ca ;;
	*) ad_publish_root "$db" "$conf" "$PKI/int-root.der" yes $ca ;;
	esac >"$LOGS/ad-publish.log" 2>&1 || return 1
	ca_web_conf
}

# ------------------------------------- the enterprise CA's web enrollment ----
# lighttpd on the DC's address, port 80: /certsrv/ needs Kerberos in SPNEGO
# (mod_authn_gssapi, the keytab of HTTP/ca.corp.example exported into the
# template); certnew.p7b is the CA's chain, a PKCS#7 certs-only message in
# base64, under the CERTIFICATE armor AD CS was seen to send it in
# (docs/engine.md, "download-root"). The query string is not read.
ca_web_conf() {
	local W=$RUN/ca-web crt=$PKI/int-root.crt s; s=$(scenario)
	[ "$s" = legacy-root ] && crt=$PKI/leg-root.crt
	mkdir -p "$W/certsrv" "$RUN/ad/rcache-web"
	{ echo "-----BEGIN CERTIFICATE-----"
	  openssl crl2pkcs7 -nocrl -certfile "$crt" -outform DER | base64 -w 64
	  echo "-----END CERTIFICATE-----"; } > "$W/certsrv/certnew.p7b" || return 1
	cat > "$RUN/ca-web.conf" <<EOF
# the enterprise CA's web enrollment (lab/lab up --ad; lab-ad.sh ca_web_conf)
server.modules = ( "mod_auth", "mod_authn_gssapi", "mod_accesslog" )
server.document-root = "$W"
server.bind = "$DC_IP"
server.port = 80
server.pid-file = "$RUN/ca-web.pid"
server.errorlog = "$LOGS/ca-web.err"
accesslog.filename = "$LOGS/ca-web.log"
mimetype.assign = ( ".p7b" => "application/x-pkcs7-certificates" )
auth.backend = "gssapi"
auth.backend.gssapi.keytab = "$RUN/ad/ca-http.keytab"
auth.backend.gssapi.principal = "HTTP/ca.$DOMAIN"
auth.backend.gssapi.store-creds = "disable"
auth.require = ( "/certsrv/" => ( "method" => "gssapi", "realm" => "$AD_REALM", "require" => "valid-user" ) )
EOF
}
ca_web_start() {
	[ "$(scenario)" = ldap-no-ca ] && return 0
	$NSX env KRB5_CONFIG="$RUN/ad/krb5.conf" KRB5RCACHEDIR="$RUN/ad/rcache-web" \
		setsid lighttpd -D -f "$RUN/ca-web.conf" </dev/null >"$LOGS/ca-web.out" 2>&1 &
	echo $! > "$RUN/ca-web.pid.lab"
}
# anonymous: 401 asking for Negotiate
ca_web_ok() { $NSX curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$DC_IP/certsrv/certnew.p7b" | grep -qx 401; }

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
	stop_pidfile "$RUN/ca-web.pid.lab"
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
