/* The diagnosis: explicit rules over the facts of the last cycle, tracing
 * the failure that ended it back to its root; and the remedies. It reads
 * a struct diag_in (the record of steps and what the device kept), so
 * each rule is tested on a record made by hand (tests/unit/test_diag.c). */
#include <stdio.h>
#include <string.h>

#include "core/isotime.h"
#include "core/jx.h"
#include "diag/diag.h"

static json_t *find_step(json_t *steps, const char *id)
{
	size_t i;
	json_t *s;

	json_array_foreach(steps, i, s)
		if (!strcmp(json_string_value(json_object_get(s, "step")), id))
			return s;
	return NULL;
}

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static int failed(json_t *s)
{
	return s && !strcmp(str(s, "result"), "fail");
}

/* The step that ended the cycle: the last one that failed. */
static json_t *ending(json_t *steps)
{
	json_t *last = NULL, *s;
	size_t i;

	json_array_foreach(steps, i, s)
		if (failed(s))
			last = s;
	return last;
}

/* Is the root the pool's chain ends in one that install-root rejected? */
static const char *rejected_pool_root(const struct diag_in *in)
{
	const struct pb_chain *peer = in->peer;
	const struct pb_cert_info *top;
	size_t i;

	if (!peer || !pb_chain_len(peer))
		return NULL;
	top = pb_chain_cert(peer, pb_chain_len(peer) - 1);
	for (i = 0; i < in->n_rejected; i++) {
		const struct pb_cert_info *r = pb_chain_cert(in->rejected[i], 0);

		/* the chain's last certificate is that root, or was issued by it */
		if (!strcmp(r->sha256, top->sha256) || !strcmp(r->subject, top->issuer))
			return r->name;
	}
	return NULL;
}

static json_t *evidence(json_t *s)
{
	return json_sprintf("%s: %s%s%s", str(s, "step"), str(s, "cause"),
			    *str(s, "detail") ? " — " : "", str(s, "detail"));
}

/* A copy of step s's "also" list, or an empty one; NULL out of memory. */
static json_t *also_of(json_t *s)
{
	json_t *a = json_object_get(s, "also");

	return a ? json_deep_copy(a) : json_array();
}

/* An earlier failed step that met the same cause from the same server as
 * the step that ended the cycle, or NULL. */
static json_t *same_fault_before(json_t *steps, json_t *end)
{
	json_t *s;
	size_t i;

	json_array_foreach(steps, i, s) {
		if (s == end)
			break;
		if (failed(s) && !strcmp(str(s, "cause"), str(end, "cause")) &&
		    *str(s, "peer") && !strcmp(str(s, "peer"), str(end, "peer")))
			return s;
	}
	return NULL;
}

static int validity_cause(const char *c)
{
	return !strcmp(c, "cert-expired") || !strcmp(c, "cert-not-yet-valid");
}

/* 1 when every certificate of c is valid at t, 0 when one is not, -1
 * when a date cannot be read. */
static int chain_valid_at(const struct pb_chain *c, time_t t)
{
	size_t i;

	for (i = 0; c && i < pb_chain_len(c); i++) {
		const struct pb_cert_info *ci = pb_chain_cert(c, i);
		time_t nb, na;

		if (ci->malformed)
			continue;
		if (iso_time_parse(ci->not_before, &nb) < 0 || iso_time_parse(ci->not_after, &na) < 0)
			return -1;
		if (t < nb || t > na)
			return 0;
	}
	return 1;
}

/* "3 days ahead of", "2 h 5 min behind" */
static void how_far(long long err, char *buf, size_t len)
{
	unsigned long long a = (unsigned long long)(err < 0 ? -err : err);
	const char *dir = err < 0 ? "behind" : "ahead of";

	if (a >= 2 * 86400ULL)
		snprintf(buf, len, "%llu days %s", a / 86400, dir);
	else if (a >= 3600)
		snprintf(buf, len, "%llu h %llu min %s", a / 3600, a % 3600 / 60, dir);
	else
		snprintf(buf, len, "%llu s %s", a, dir);
}

/* Rule 0: a certificate judged expired or not yet valid at the device's
 * clock, where the device's clock is the reason: the chain is valid at
 * the host's clock (the reference the time step recorded), or, when the
 * chain is not at hand, the clock is off in the direction that explains
 * the cause by more than five minutes (Kerberos' default skew, RFC 4120
 * section 1.6, as a measure of "off"). The primary step is `time`. */
static json_t *clock_rule(const struct diag_in *in, json_t *steps, json_t *end, json_t *inst)
{
	json_t *tm = find_step(steps, "time"), *facts, *cert_step = NULL, *also, *ev;
	const struct pb_chain *chain = NULL;
	const char *vc;
	char far[64], summary[700], when[40];
	long long err;
	time_t dev;
	int valid;

	if (!tm || !end)
		return NULL;
	facts = json_object_get(tm, "facts");
	if (!json_is_integer(json_object_get(facts, "clock_error_s")) ||
	    iso_time_parse(str(facts, "device_clock"), &dev) < 0)
		return NULL;
	err = (long long)json_integer_value(json_object_get(facts, "clock_error_s"));
	if (validity_cause(str(end, "cause"))) {
		cert_step = end;
		chain = !strcmp(str(end, "step"), "connect") ? in->peer : NULL;
	} else if (failed(inst) && validity_cause(str(inst, "cause"))) {
		cert_step = inst;   /* the root was refused at the device's time */
		chain = in->n_rejected ? in->rejected[0] : NULL;
	}
	if (!cert_step)
		return NULL;
	vc = str(cert_step, "cause");
	if (chain) {
		/* at the device's clock the chain fails; at the host's? */
		valid = chain_valid_at(chain, (time_t)((long long)dev - err));
		if (valid != 1 || chain_valid_at(chain, dev) != 0)
			return NULL;
	} else if (!(err > 300 && !strcmp(vc, "cert-expired")) &&
		   !(err < -300 && !strcmp(vc, "cert-not-yet-valid"))) {
		return NULL;
	}
	how_far(err, far, sizeof(far));
	snprintf(when, sizeof(when), "%s", str(facts, "device_clock"));
	also = json_array();
	if (failed(tm))
		json_array_append_new(also, json_string(vc));
	if (strcmp(str(end, "cause"), vc))
		json_array_append_new(also, json_string(str(end, "cause")));
	ev = json_array();
	json_array_append_new(ev, json_sprintf("time: the device's clock %s (%s), %s the host's %s",
					       when, str(facts, "clock_source"), far,
					       str(facts, "reference_clock")));
	if (failed(tm))
		json_array_append_new(ev, evidence(tm));
	json_array_append_new(ev, evidence(cert_step));
	if (cert_step != end)
		json_array_append_new(ev, evidence(end));
	snprintf(summary, sizeof(summary), "The phone's clock is wrong: %s, %s the real time "
		 "(%s). At that time %s finds a certificate %s%s, so the phone cannot use it; "
		 "at the real time the certificate is valid. Fix the clock, not the certificate.",
		 when, far, str(facts, "clock_source"), str(cert_step, "step"),
		 !strcmp(vc, "cert-expired") ? "expired" : "not yet valid",
		 failed(tm) ? " (no NTP server gave the time)" : "");
	return json_pack("{s:s,s:s,s:o,s:s,s:o}", "step", "time", "cause",
			 failed(tm) ? str(tm, "cause") : vc, "also", also, "summary", summary,
			 "evidence", ev);
}

/* Rule 0b: the KDC refused the device's clock (krb-clock-skew) and the
 * time step found no NTP server: the clock is the root cause, traced to
 * `time`, as a certificate's validity is in rule 0. */
static json_t *krb_clock_rule(json_t *steps, json_t *end)
{
	json_t *tm = find_step(steps, "time"), *also, *ev;
	char summary[900];

	if (!tm || !end || strcmp(str(end, "cause"), "krb-clock-skew") || !failed(tm))
		return NULL;
	also = json_array();
	json_array_append_new(also, json_string("krb-clock-skew"));
	ev = json_array();
	json_array_append_new(ev, evidence(tm));
	json_array_append_new(ev, evidence(end));
	snprintf(summary, sizeof(summary), "The phone's clock is wrong: no NTP server gave it the "
		 "time (%s), and Kerberos refuses a clock more than 5 minutes off: %s. Fix the "
		 "clock, not the account.", str(tm, "cause"), str(end, "detail"));
	return json_pack("{s:s,s:s,s:o,s:s,s:o}", "step", "time", "cause", str(tm, "cause"),
			 "also", also, "summary", summary, "evidence", ev);
}

json_t *diagnose(const struct diag_in *in)
{
	json_t *steps = in->steps, *end, *inst, *dc, *dl, *also, *ev, *first;
	const char *root;
	char summary[700];

	if (!strcmp(in->outcome, "signed-in") || !steps)
		return json_null();
	end = ending(steps);
	if (!end)
		return json_null();
	inst = find_step(steps, "install-root");
	dc = find_step(steps, "locate-dc");
	dl = find_step(steps, "download-root");
	ev = json_array();
	const char *c = str(end, "cause");
	int trust_failure = !strcmp(str(end, "step"), "connect") &&
			    (!strcmp(c, "cert-untrusted-root") ||
			     !strcmp(c, "cert-chain-incomplete"));
	json_t *clock;

	/* Rule 0: the device's clock made a valid certificate fail. */
	if ((clock = clock_rule(in, steps, end, trust_failure ? inst : NULL)) ||
	    (clock = krb_clock_rule(steps, end))) {
		json_decref(ev);
		return clock;
	}

	/* Rule 1: the device could not install the root the pool's chain
	 * needs, so it cannot trust the pool (the founding case). */
	if (trust_failure && failed(inst) && (root = rejected_pool_root(in))) {
		also = also_of(inst);
		ev = jx_push(ev, evidence(inst));
		ev = jx_push(ev, evidence(end));
		snprintf(summary, sizeof(summary),
			 "The phone cannot install the company root '%s': %s. Without "
			 "it the phone cannot trust the pool %s, so every connection "
			 "ends with %s and the phone starts over.", root,
			 str(inst, "detail"), in->target, c);
		return json_pack("{s:s,s:s,s:o,s:s,s:o}", "step", "install-root",
				 "cause", str(inst, "cause"), "also", also,
				 "summary", summary, "evidence", ev);
	}
	/* Rule 2: no root to install at all: the directory or its locator
	 * failed, so nothing the pool's chain ends in is trusted. */
	if (trust_failure && (failed(dc) || failed(dl))) {
		first = failed(dc) ? dc : dl;

		ev = jx_push(ev, evidence(first));
		ev = jx_push(ev, evidence(end));
		snprintf(summary, sizeof(summary),
			 "The phone found no company root to install (%s: %s), so it "
			 "cannot trust the pool %s.", str(first, "step"), str(first, "cause"),
			 in->target);
		return json_pack("{s:s,s:s,s:[s],s:s,s:o}", "step", str(first, "step"),
				 "cause", str(first, "cause"), "also", c,
				 "summary", summary, "evidence", ev);
	}
	/* Rule 3: the same fault, from the same server, met by an earlier
	 * step (a DNS server that does not answer fails locate-dc first,
	 * then locate-pool): the first step that met it is primary, the
	 * later ones evidence. */
	if ((first = same_fault_before(steps, end))) {
		also = also_of(first);
		ev = jx_push(ev, evidence(first));
		ev = jx_push(ev, evidence(end));
		snprintf(summary, sizeof(summary), "The phone fails first at %s (\"%s\"): "
			 "%s. The same fault ends the cycle at %s.", str(first, "step"),
			 str(first, "screen"), *str(first, "detail") ? str(first, "detail") : c,
			 str(end, "step"));
		return json_pack("{s:s,s:s,s:o,s:s,s:o}", "step", str(first, "step"),
				 "cause", c, "also", also, "summary", summary, "evidence", ev);
	}
	/* Otherwise the failure that ended the cycle is the root cause. */
	also = also_of(end);
	ev = jx_push(ev, evidence(end));
	snprintf(summary, sizeof(summary), "The phone fails at %s (\"%s\"): %s.",
		 str(end, "step"), str(end, "screen"),
		 *str(end, "detail") ? str(end, "detail") : c);
	return json_pack("{s:s,s:s,s:o,s:s,s:o}", "step", str(end, "step"), "cause", c,
			 "also", also, "summary", summary, "evidence", ev);
}

/* list with the remedy added, or NULL out of memory (list released). */
static json_t *add(json_t *list, enum pb_remedy r, const char *summary, int verified)
{
	return jx_push(list, json_pack("{s:s,s:s,s:b}", "remedy", pb_remedy_str(r),
				       "summary", summary, "verified", verified));
}

/* Catalog profiles that would accept chain c (the offending one): 0, or
 * -1 out of memory. */
static int other_firmware(const struct pb_logon_opts *o, const struct pb_chain *c,
			  const char *name, char *buf, size_t len)
{
	struct pb_judge_opts jo = { o->now, name, 0 };
	size_t i, off = 0;
	enum pb_err rc;

	buf[0] = '\0';
	for (i = 0; o->catalog && c && i < o->catalog->n; i++) {
		const struct pb_profile *p = o->catalog->items[i];
		struct pb_verdict *v = NULL;

		/* a definition (generic-modern) is no firmware to upgrade to */
		if (p == o->profile || !strcmp(p->id, o->profile->id) || p->definition)
			continue;
		if ((rc = pb_judge(c, p, &jo, &v)) == PB_ERR_NOMEM)
			return -1;
		if (rc != PB_OK)
			continue;
		if (v->usable && off + strlen(p->id) + 3 < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", p->id);
		pb_verdict_free(v);
	}
	return 0;
}

/* The scheme the authenticate step answered with ("" when none). */
static const char *answered_scheme(const struct diag_in *in)
{
	const char *scheme = "";
	json_t *s;
	size_t i;

	json_array_foreach(in->steps, i, s)
		if (!strcmp(str(s, "step"), "authenticate"))
			scheme = str(json_object_get(s, "facts"), "scheme");
	return scheme;
}

/* The causes of the KDC exchange (docs/kerberos.md). */
static json_t *krb_remedies(json_t *list, const struct diag_in *in,
			    const struct pb_logon_opts *o, const char *cause)
{
	const char *d = NULL;
	json_t *s, *auth = NULL;
	char buf[700], spn[300] = "sip/<pool FQDN>";
	size_t i;

	json_array_foreach(in->steps, i, s)
		if (!strcmp(str(s, "step"), "authenticate"))
			auth = s;
	if (auth) {
		d = str(json_object_get(auth, "facts"), "service_principal");
		if (*d)
			snprintf(spn, sizeof(spn), "%.*s", (int)strcspn(d, "@"), d);
	}
	if (!strcmp(cause, "krb-clock-skew")) {
		snprintf(buf, sizeof(buf), "give the phone the time: an NTP server it reaches "
			 "(DHCP option 42, or SRV _ntp._udp.%s -> the domain controller, which "
			 "keeps the domain's time)%s", o->domain,
			 o->time_set ? "; here --time set the device's clock" : "");
		list = add(list, PB_REMEDY_FIX_CLOCK, buf, 0);
	} else if (!strcmp(cause, "krb-spn-missing")) {
		snprintf(buf, sizeof(buf), "register the registrar's service principal on the "
			 "account its pool runs as: setspn -S %s <service account> (then export "
			 "its keytab to the registrar)", spn);
		list = add(list, PB_REMEDY_REGISTER_SPN, buf, 0);
	} else if (!strcmp(cause, "krb-preauth-failed") ||
		   !strcmp(cause, "krb-principal-unknown")) {
		snprintf(buf, sizeof(buf), "check the user name and the password of %s@%s (the "
			 "KDC refused them)", o->user, o->domain);
		list = add(list, PB_REMEDY_FIX_CREDENTIALS, buf, 0);
	} else if (!strcmp(cause, "krb-account-disabled")) {
		snprintf(buf, sizeof(buf), "enable (or unlock) the account %s in Active "
			 "Directory: the KDC refuses it", o->user);
		list = add(list, PB_REMEDY_FIX_CREDENTIALS, buf, 0);
	} else if (!strcmp(cause, "krb-kdc-unreachable") && auth &&
		   strstr(str(auth, "detail"), "no KDC for")) {
		snprintf(buf, sizeof(buf), "publish SRV _kerberos._tcp.%s -> a domain controller "
			 "(port 88) in the DNS the phone uses", o->domain);
		list = add(list, PB_REMEDY_FIX_DNS_RECORD, buf, 0);
	} else if (!strcmp(cause, "krb-kdc-unreachable")) {
		snprintf(buf, sizeof(buf), "the KDC that SRV _kerberos._tcp.%s names does not "
			 "answer: start its Kerberos service (port 88), let the phone reach it, or "
			 "point the record at a domain controller that answers", o->domain);
		list = add(list, PB_REMEDY_FIX_DNS_RECORD, buf, 0);
	}
	return list;
}

json_t *remedies(const struct diag_in *in, const struct diag_in *alt,
		 const struct pb_logon_opts *o, const json_t *diagnosis)
{
	json_t *list = json_array();
	const char *cause = json_string_value(json_object_get(diagnosis, "cause"));
	const char *step = json_string_value(json_object_get(diagnosis, "step"));
	char buf[700], hashes[96], ids[400];
	size_t i, off = 0;

	if (alt) {
		/* the remedy verified by signing in again with other DNS servers */
		for (i = 0; i < o->n_alt_dns; i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
						i ? ", " : "", o->alt_dns[i]);
		if (!strcmp(alt->outcome, "signed-in")) {
			snprintf(buf + off, sizeof(buf) - off, ": with these DNS servers (in "
				 "its DHCP reservation) the phone signs in through %s",
				 alt->target);
			list = add(list, PB_REMEDY_USE_DNS, buf, 1);
		} else {
			json_t *d = diagnose(alt);

			if (!d) {
				json_decref(list);
				return NULL;
			}
			snprintf(buf + off, sizeof(buf) - off, ": with these DNS servers the "
				 "phone does not sign in either (%s at %s)",
				 json_string_value(json_object_get(d, "cause")),
				 json_string_value(json_object_get(d, "step")));
			json_decref(d);
			list = add(list, PB_REMEDY_USE_DNS, buf, 0);
		}
	}
	if (!cause)
		return list;
	if (!strncmp(cause, "krb-", 4))
		return krb_remedies(list, in, o, cause);
	if (step && !strcmp(step, "time")) {
		/* the clock, not the certificate (rule 0), or no NTP at all */
		snprintf(buf, sizeof(buf), "give the phone the time: an NTP server it reaches "
			 "(DHCP option 42, or SRV _ntp._udp.%s -> a server that is synchronized)%s",
			 o->domain, o->time_set ? "; here --time set the device's clock" : "");
		add(list, PB_REMEDY_FIX_CLOCK, buf, 0);
		return list;
	}
	pb_hashes_describe(o->profile->sig_hashes, hashes, sizeof(hashes));
	if (!strncmp(cause, "cert-", 5) && strcmp(cause, "cert-untrusted-root") &&
	    strcmp(cause, "cert-name-mismatch") && strcmp(cause, "cert-wildcard-unsupported")) {
		snprintf(buf, sizeof(buf), "reissue the chain (root included) so that "
			 "this firmware can use it: signatures with %s, RSA keys of %u to "
			 "%u bits%s, valid at the device's time", hashes,
			 o->profile->rsa_min_bits, o->profile->rsa_max_bits,
			 o->profile->ecdsa ? " or ECDSA" : "");
		list = add(list, PB_REMEDY_REISSUE_CHAIN, buf, 0);
		if (other_firmware(o, !strcmp(step, "install-root") && in->n_rejected
				   ? in->rejected[0] : in->peer, NULL, ids, sizeof(ids)) < 0) {
			json_decref(list);
			return NULL;
		}
		if (ids[0]) {
			snprintf(buf, sizeof(buf), "firmware that accepts this chain: %s", ids);
			list = add(list, PB_REMEDY_UPGRADE_FIRMWARE, buf, 0);
		}
	} else if (!strcmp(cause, "cert-name-mismatch") ||
		   !strcmp(cause, "cert-wildcard-unsupported")) {
		snprintf(buf, sizeof(buf), "give the pool a certificate naming %s in "
			 "subjectAltName%s", in->target,
			 o->profile->san ? "" : " and in the CN (this firmware reads only the CN)");
		list = add(list, PB_REMEDY_FIX_CERTIFICATE_NAME, buf, 0);
	} else if (!strcmp(cause, "tls-protocol-version")) {
		pb_tls_versions_describe(o->profile->tls_versions, hashes, sizeof(hashes));
		snprintf(buf, sizeof(buf), "enable %s on the pool's TLS listener, the only "
			 "versions this firmware speaks", hashes);
		list = add(list, PB_REMEDY_ENABLE_TLS_VERSION, buf, 0);
	} else if (!strcmp(cause, "sip-auth-failed") && !strcmp(step, "authenticate") &&
		   !strcmp(answered_scheme(in), "TLS-DSK")) {
		list = add(list, PB_REMEDY_FIX_CREDENTIALS, "check the client certificate: the "
		    "registrar takes only one its Certificate Provisioning service issued to this "
		    "user (a sign-in with the password or PIN provisions a new one)", 0);
	} else if (!strcmp(cause, "sip-auth-failed") || !strcmp(cause, "sip-not-found") ||
		   !strcmp(cause, "ldap-bind-failed")) {
		list = add(list, PB_REMEDY_FIX_CREDENTIALS, "check the user name, the SIP domain "
		    "and the password (the registrar refused them)", 0);
	} else if (!strncmp(cause, "dns-", 4) && strcmp(cause, "dns-timeout")) {
		snprintf(buf, sizeof(buf), "publish the DNS record the %s step looks for "
			 "(see its lookups)", step);
		list = add(list, PB_REMEDY_FIX_DNS_RECORD, buf, 0);
	}
	if (!strcmp(cause, "cert-expired") || !strcmp(cause, "cert-not-yet-valid"))
		list = add(list, PB_REMEDY_FIX_CLOCK, "check the device's clock (NTP) against the "
		    "certificate's validity", 0);
	return list;
}
