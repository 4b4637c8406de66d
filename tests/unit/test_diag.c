/* The diagnosis and the remedies (lib/diag/): a record of steps made by
 * hand in, the diagnosis out; one golden case for every rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag/diag.h"
#include "phoneboot/profile.h"

static struct pb_catalog *catalog;
static const struct pb_profile *cx700;
static struct pb_chain *pool_chain, *root_chain;

static int setup(void **st)
{
	const char *dir = getenv("PB_PROFILES") ? getenv("PB_PROFILES") : "profiles";
	const char *fx = getenv("PB_FIXTURES") ? getenv("PB_FIXTURES") : "build/fixtures";
	char err[256], path[512];

	(void)st;
	if (pb_catalog_load(dir, &catalog, err, sizeof(err)) != PB_OK)
		return -1;
	cx700 = pb_catalog_find(catalog, "polycom-cx700-ocpe");
	snprintf(path, sizeof(path), "%s/chain-founding-internal.pem", fx);
	if (pb_chain_load_file(path, NULL, &pool_chain, err, sizeof(err)) != PB_OK)
		return -1;
	snprintf(path, sizeof(path), "%s/root-sha256-rsa4096.pem", fx);
	if (pb_chain_load_file(path, NULL, &root_chain, err, sizeof(err)) != PB_OK)
		return -1;
	return cx700 ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	pb_chain_free(pool_chain);
	pb_chain_free(root_chain);
	pb_catalog_free(catalog);
	return 0;
}

/* One step of the record: "step result cause peer [also]". */
static json_t *step(const char *id, const char *result, const char *cause,
		    const char *peer, const char *also)
{
	json_t *s = json_pack("{s:s,s:s,s:s,s:f,s:{},s:o,s:s}", "step", id, "screen", id,
			      "result", result, "ms", 1.0, "facts",
			      "cause", cause ? json_string(cause) : json_null(),
			      "detail", cause ? "what was seen" : "");

	if (peer)
		json_object_set_new(s, "peer", json_string(peer));
	if (also)
		json_object_set_new(s, "also", json_pack("[s]", also));
	return s;
}

static const char *get(json_t *d, const char *k)
{
	return json_string_value(json_object_get(d, k));
}

static size_t n_evidence(json_t *d)
{
	return json_array_size(json_object_get(d, "evidence"));
}

static void signed_in(void **st)
{
	struct diag_in in = { "signed-in", NULL, "", NULL, NULL, 0 };
	json_t *d;

	(void)st;
	in.steps = json_pack("[o]", step("register", "ok", NULL, NULL, NULL));
	d = diagnose(&in);
	assert_true(json_is_null(d));
	json_decref(d);
	json_decref(in.steps);
}

/* Rule 1, the founding case: the pool's chain ends in the root that
 * install-root rejected. */
static void rule_rejected_root(void **st)
{
	const struct pb_chain *rejected[] = { root_chain };
	struct diag_in in = { "loop", NULL, "pool.corp.example:5061", NULL, rejected, 1 };
	json_t *d;

	(void)st;
	in.peer = pool_chain;
	in.steps = json_pack("[o,o,o,o,o]",
		step("locate-dc", "ok", NULL, NULL, NULL),
		step("download-root", "ok", NULL, NULL, NULL),
		step("install-root", "fail", "cert-sig-hash-unsupported", NULL, "cert-key-too-large"),
		step("locate-pool", "ok", NULL, NULL, NULL),
		step("connect", "fail", "cert-untrusted-root", "127.0.1.20:5061", NULL));
	d = diagnose(&in);
	assert_string_equal(get(d, "step"), "install-root");
	assert_string_equal(get(d, "cause"), "cert-sig-hash-unsupported");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "also"), 0)),
			    "cert-key-too-large");
	assert_int_equal(n_evidence(d), 2);
	assert_non_null(strstr(get(d, "summary"), "pool.corp.example:5061"));
	json_decref(d);
	/* the same record, but the pool's chain does not end in that root:
	 * the connect failure stands */
	in.n_rejected = 0;
	d = diagnose(&in);
	assert_string_equal(get(d, "step"), "connect");
	json_decref(d);
	json_decref(in.steps);
}

/* Rule 2: no root to install (the directory failed), so no trust. */
static void rule_no_root(void **st)
{
	struct diag_in in = { "loop", NULL, "pool.corp.example:5061", NULL, NULL, 0 };
	json_t *d;

	(void)st;
	in.steps = json_pack("[o,o,o,o,o]",
		step("locate-dc", "fail", "dns-nxdomain", "dns 127.0.0.53", NULL),
		step("download-root", "skipped", NULL, NULL, NULL),
		step("install-root", "skipped", NULL, NULL, NULL),
		step("locate-pool", "ok", NULL, NULL, NULL),
		step("connect", "fail", "cert-untrusted-root", "127.0.1.20:5061", NULL));
	d = diagnose(&in);
	assert_string_equal(get(d, "step"), "locate-dc");
	assert_string_equal(get(d, "cause"), "dns-nxdomain");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "also"), 0)),
			    "cert-untrusted-root");
	json_decref(d);
	json_decref(in.steps);
}

/* Rule 3: the same fault from the same server, met first by an earlier
 * step; from another server it is not the same fault. */
static void rule_same_fault(void **st)
{
	struct diag_in in = { "loop", NULL, "", NULL, NULL, 0 };
	json_t *d;

	(void)st;
	in.steps = json_pack("[o,o,o,o]",
		step("locate-dc", "fail", "dns-timeout", "dns 127.0.0.53", NULL),
		step("download-root", "skipped", NULL, NULL, NULL),
		step("install-root", "skipped", NULL, NULL, NULL),
		step("locate-pool", "fail", "dns-timeout", "dns 127.0.0.53", NULL));
	d = diagnose(&in);
	assert_string_equal(get(d, "step"), "locate-dc");
	assert_string_equal(get(d, "cause"), "dns-timeout");
	assert_int_equal(n_evidence(d), 2);
	assert_non_null(strstr(get(d, "summary"), "locate-pool"));
	json_decref(d);
	json_decref(in.steps);
	in.steps = json_pack("[o,o]",
		step("locate-dc", "fail", "dns-timeout", "dns 127.0.0.53", NULL),
		step("locate-pool", "fail", "dns-timeout", "dns 127.0.0.54", NULL));
	d = diagnose(&in);
	assert_string_equal(get(d, "step"), "locate-pool");
	json_decref(d);
	json_decref(in.steps);
}

/* Otherwise: the step that ended the cycle. */
static void rule_ending_step(void **st)
{
	struct diag_in in = { "failed", NULL, "pool.corp.example:5061", NULL, NULL, 0 };
	json_t *d;

	(void)st;
	in.steps = json_pack("[o,o,o]",
		step("locate-dc", "fail", "dns-nxdomain", "dns 127.0.0.53", NULL),
		step("connect", "ok", NULL, NULL, NULL),
		step("authenticate", "fail", "sip-auth-failed", "pool.corp.example:5061", NULL));
	d = diagnose(&in);
	assert_string_equal(get(d, "step"), "authenticate");
	assert_string_equal(get(d, "cause"), "sip-auth-failed");
	assert_int_equal(n_evidence(d), 1);
	json_decref(d);
	json_decref(in.steps);
}

/* The time step as the engine records it: the device's clock, where it
 * came from, and how far it is from the host's. */
static json_t *time_step(const char *result, const char *cause, const char *clock,
			 const char *source, long long err)
{
	json_t *s = step("time", result, cause, NULL, NULL);

	json_object_set_new(s, "facts", json_pack("{s:s,s:s,s:s,s:I}", "device_clock", clock,
		"clock_source", source, "reference_clock", "2030-01-01T00:00:00Z",
		"clock_error_s", (json_int_t)err));
	return s;
}

/* Rule 0: the pool's chain (valid 2024-2045) judged at a device clock of
 * 2001 (no NTP, the firmware's boot clock): the diagnosis is the time
 * step, with how far off the clock was; the certificate cause is
 * evidence. With NTP ok but a server far off, the cause is the
 * certificate's, still at time. With the clock right, the rule stays
 * out. */
static void rule_clock(void **st)
{
	struct diag_in in = { "failed", NULL, "pool.corp.example:5061", NULL, NULL, 0 };
	/* 2001-01-01 minus 2030-01-01 */
	const long long behind = 978307200LL - 1893456000LL;
	json_t *d;

	(void)st;
	in.peer = pool_chain;
	in.steps = json_pack("[o,o]",
		time_step("fail", "ntp-unreachable", "2001-01-01T00:00:00Z",
			  "firmware boot clock (profile time.boot_clock = 2001-01-01T00:00:00Z, assumed)",
			  behind),
		step("connect", "fail", "cert-not-yet-valid", "pool.corp.example:5061", NULL));
	d = diagnose(&in);
	assert_string_equal(get(d, "step"), "time");
	assert_string_equal(get(d, "cause"), "ntp-unreachable");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "also"), 0)),
			    "cert-not-yet-valid");
	assert_non_null(strstr(get(d, "summary"), "10592 days behind"));
	assert_int_equal(n_evidence(d), 3);
	json_decref(d);
	json_decref(in.steps);

	/* NTP answered, but from a server 20 years ahead: cert-expired */
	in.steps = json_pack("[o,o]",
		time_step("ok", NULL, "2050-01-01T00:00:00Z", "ntp 127.0.0.1:123",
			  2524608000LL - 1893456000LL),
		step("connect", "fail", "cert-expired", "pool.corp.example:5061", NULL));
	d = diagnose(&in);
	assert_string_equal(get(d, "step"), "time");
	assert_string_equal(get(d, "cause"), "cert-expired");
	assert_non_null(strstr(get(d, "summary"), "days ahead of"));
	json_decref(d);
	json_decref(in.steps);

	/* the clock is right: the certificate is the fault */
	in.steps = json_pack("[o,o]",
		time_step("ok", NULL, "2030-01-01T00:00:00Z", "ntp 127.0.0.1:123", 0),
		step("connect", "fail", "cert-expired", "pool.corp.example:5061", NULL));
	d = diagnose(&in);
	assert_string_equal(get(d, "step"), "connect");
	json_decref(d);
	json_decref(in.steps);
}

static int has_remedy(json_t *list, const char *id, int verified)
{
	json_t *r;
	size_t i;

	json_array_foreach(list, i, r)
		if (!strcmp(get(r, "remedy"), id) &&
		    json_is_true(json_object_get(r, "verified")) == verified)
			return 1;
	return 0;
}

static void remedy_for(const char *step_id, const char *cause, const char *remedy)
{
	static const char *const alt[] = { "127.0.0.54" };
	struct diag_in in = { "failed", NULL, "pool.corp.example:5061", NULL, NULL, 0 };
	struct diag_in ok = { "signed-in", NULL, "edge.corp.example:443", NULL, NULL, 0 };
	struct pb_logon_opts o;
	json_t *d, *r;

	memset(&o, 0, sizeof(o));
	o.profile = cx700;
	o.catalog = catalog;
	o.alt_dns = alt;
	o.n_alt_dns = 1;
	in.steps = json_pack("[o]", step(step_id, "fail", cause, "x", NULL));
	ok.steps = json_pack("[o]", step("register", "ok", NULL, NULL, NULL));
	d = diagnose(&in);
	r = remedies(&in, &ok, &o, d);
	assert_true(has_remedy(r, "use-dns", 1));     /* verified by the other boot */
	if (!has_remedy(r, remedy, 0))
		fail_msg("%s/%s: no %s in %s", step_id, cause, remedy, json_dumps(r, 0));
	json_decref(r);
	json_decref(d);
	json_decref(in.steps);
	json_decref(ok.steps);
}

static void remedies_by_cause(void **st)
{
	(void)st;
	remedy_for("authenticate", "sip-auth-failed", "fix-credentials");
	remedy_for("locate-pool", "dns-nxdomain", "fix-dns-record");
	remedy_for("connect", "tls-protocol-version", "enable-tls-version");
	remedy_for("connect", "cert-name-mismatch", "fix-certificate-name");
	remedy_for("connect", "cert-expired", "fix-clock");
	remedy_for("connect", "cert-expired", "reissue-chain");
	remedy_for("time", "ntp-unreachable", "fix-clock");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signed_in),
		cmocka_unit_test(rule_rejected_root),
		cmocka_unit_test(rule_no_root),
		cmocka_unit_test(rule_same_fault),
		cmocka_unit_test(rule_ending_step),
		cmocka_unit_test(rule_clock),
		cmocka_unit_test(remedies_by_cause),
	};
	return cmocka_run_group_tests_name("diag", tests, setup, teardown);
}
