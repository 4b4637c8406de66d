# phoneboot lab: --users N in the AD mode (lab/lab up --ad --users N).
# Sourced by lab/lab after lab/lab-ad.sh; uses its variables (RUN LOGS
# DOMAIN LAB_PASSWORD PYTHON) and lab_users. Kept apart from lab-ad.sh so
# that it merges with the other work there.
#
# user0001..userN go into the domain controller's copy (lab/run/ad) before
# Samba starts, as one LDIF added in one transaction by one python3 run
# with Samba's own bindings (the password_hash module derives each user's
# NT hash and Kerberos keys from unicodePwd), not one samba-tool call per
# user. Each: sAMAccountName userNNNN, userPrincipalName and mail
# userNNNN@corp.example, the lab password, never expiring, enabled. The
# password goes through the environment, never the command line.
ad_bulk_users() { # sam.ldb smb.conf
	[ "$(lab_users)" -gt 0 ] || return 0
	PB_LAB_PW="$LAB_PASSWORD" "$PYTHON" - "$1" "$2" "$(lab_users)" "$DOMAIN" \
		>"$LOGS/ad-users.log" 2>&1 <<'PY'
import base64, os, sys, time
t0 = time.time()
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
url, conf, n, domain = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
pw = base64.b64encode(('"%s"' % os.environ["PB_LAB_PW"]).encode("utf-16-le")).decode()
lp = LoadParm(); lp.load(conf)
db = SamDB(url=url, session_info=system_session(), lp=lp)
base = str(db.domain_dn())
ldif = []
for k in range(1, n + 1):
    u = "user%04d" % k
    ldif.append("dn: CN=%s,CN=Users,%s\nobjectClass: user\nsAMAccountName: %s\n"
                "userPrincipalName: %s@%s\nmail: %s@%s\nunicodePwd:: %s\n"
                "userAccountControl: 66048\n" % (u, base, u, u, domain, u, domain, pw))
db.transaction_start()
try:
    db.add_ldif("\n".join(ldif), controls=["relax:0"])
except Exception:
    db.transaction_cancel()
    raise
db.transaction_commit()
print("added %d users in %.1f s" % (n, time.time() - t0))
PY
}
