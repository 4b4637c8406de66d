/* phoneboot profiles [ID|FILE] */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void fact(const struct pb_profile *p, const char *key, const char *label,
		 const char *value)
{
	const struct pb_source *s = pb_profile_source(p, key);

	printf("  %-22s %s\n", label, value);
	if (!s)
		return;
	printf("  %-22s   [%s] %s\n", "", pb_confidence_str(s->confidence),
	       s->citation);
	if (s->other_value)
		printf("  %-22s   DISPUTED, other reading: %s\n  %-22s   [%s] %s\n",
		       "", s->other_value, "", pb_confidence_str(s->other_confidence),
		       s->other_citation);
}

/* "12 facts: 5 documented, 2 reported, 0 measured, 3 assumed, 2 disputed" */
static size_t tally(const struct pb_profile *p, size_t counts[PB_CONF_COUNT])
{
	memset(counts, 0, PB_CONF_COUNT * sizeof(counts[0]));
	return pb_profile_count(p, counts);
}

static void show(const struct pb_profile *p)
{
	char buf[512];
	size_t i, off = 0;
	unsigned st;

	printf("%s — %s\n", p->id, p->name);
	printf("  %-22s %s\n", "vendor", p->vendor);
	printf("  %-22s %s\n", "model", p->model);
	printf("  %-22s %s\n", "firmware", p->firmware);
	printf("  %-22s %s\n", "file", p->path);
	{
		size_t n[PB_CONF_COUNT], total = tally(p, n);

		if (p->definition)
			printf("  %-22s a definition of phoneboot's, not a device: its %zu "
			       "facts are defined, not assumed\n", "kind", total);
		else
			printf("  %-22s %zu facts: %zu documented, %zu reported, %zu measured, "
			       "%zu assumed, %zu disputed\n", "sources", total,
			       n[PB_CONF_DOCUMENTED], n[PB_CONF_REPORTED],
			       n[PB_CONF_MEASURED], n[PB_CONF_ASSUMED], n[PB_CONF_DISPUTED]);
	}
	fact(p, "device.flow", "flow", pb_flow_str(p->flow));
	pb_auth_describe(p->auth, buf, sizeof(buf));
	fact(p, "device.auth", "authentication", buf);
	pb_tls_versions_describe(p->tls_versions, buf, sizeof(buf));
	fact(p, "tls.versions", "TLS versions", buf);
	buf[0] = '\0';
	for (i = 0; i < p->n_ciphers && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					i ? ", " : "", p->ciphers[i]);
	fact(p, "tls.ciphers", "cipher suites", p->n_ciphers ? buf : "none");
	buf[0] = '\0';
	for (i = 0, off = 0; i < p->n_sigalgs && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					i ? ", " : "", p->sigalgs[i]);
	fact(p, "tls.sigalgs", "signature algorithms",
	     p->n_sigalgs ? buf : "(none: TLS < 1.2 has no list)");
	fact(p, "tls.sni", "sends SNI", p->sni ? "yes" : "no");
	pb_hashes_describe(p->sig_hashes, buf, sizeof(buf));
	fact(p, "certificates.sig_hashes", "certificate hashes", buf);
	snprintf(buf, sizeof(buf), "%u", p->rsa_min_bits);
	fact(p, "certificates.rsa_min_bits", "RSA bits, at least", buf);
	if (p->rsa_max_bits)
		snprintf(buf, sizeof(buf), "%u", p->rsa_max_bits);
	else
		snprintf(buf, sizeof(buf), "no limit");
	fact(p, "certificates.rsa_max_bits", "RSA bits, at most", buf);
	if (p->ecdsa) {
		char c[64];
		pb_curves_describe(p->curves, c, sizeof(c));
		snprintf(buf, sizeof(buf), "yes (%s)", c);
	} else {
		snprintf(buf, sizeof(buf), "no");
	}
	fact(p, "certificates.ecdsa", "ECDSA", buf);
	fact(p, "certificates.wildcard", "wildcard names", pb_wildcard_str(p->wildcard));
	fact(p, "certificates.names", "names read",
	     p->san ? "subjectAltName (CN without SAN)" : "CN only");
	if (p->max_chain_depth)
		snprintf(buf, sizeof(buf), "%u", p->max_chain_depth);
	else
		snprintf(buf, sizeof(buf), "no limit");
	fact(p, "certificates.max_chain_depth", "chain depth, at most", buf);
	fact(p, "certificates.aia_fetch", "fetches AIA issuers", p->aia_fetch ? "yes" : "no");
	printf("  screen:\n");
	for (st = 0; st < PB_STEP_COUNT; st++)
		if (p->screen[st])
			printf("    %-14s \"%s\"\n", pb_step_str((enum pb_step)st),
			       p->screen[st]);
}

enum pb_err cmd_profiles(const struct cli_args *a, int *verdict)
{
	struct pb_catalog *c;
	struct pb_profile *owned = NULL;
	size_t i, facts = 0, sum[PB_CONF_COUNT] = { 0 };

	*verdict = EXIT_OK;
	if (a->n_pos > 1)
		return cli_error(PB_ERR_USAGE, "profiles: at most one ID");
	c = catalog_or_die();
	if (a->n_pos == 1) {
		show(profile_arg(c, a->pos[0], &owned));
		pb_profile_free(owned);
		pb_catalog_free(c);
		return PB_OK;
	}
	printf("%-26s %-9s %-5s %-20s %-18s %-10s %s\n", "ID", "VENDOR", "FLOW", "TLS",
	       "CERT HASHES", "RSA BITS", "FACTS doc/rep/meas/assu/disp");
	for (i = 0; i < c->n; i++) {
		const struct pb_profile *p = c->items[i];
		char v[64], h[96], r[32], f[64];
		size_t n[PB_CONF_COUNT], k, total = tally(p, n);

		pb_tls_versions_describe(p->tls_versions, v, sizeof(v));
		pb_hashes_describe(p->sig_hashes, h, sizeof(h));
		if (p->rsa_max_bits)
			snprintf(r, sizeof(r), "%u-%u", p->rsa_min_bits, p->rsa_max_bits);
		else
			snprintf(r, sizeof(r), ">=%u", p->rsa_min_bits);
		if (p->definition)
			snprintf(f, sizeof(f), "%zu defined (a definition)", total);
		else
			snprintf(f, sizeof(f), "%zu: %zu/%zu/%zu/%zu/%zu", total,
				 n[PB_CONF_DOCUMENTED], n[PB_CONF_REPORTED],
				 n[PB_CONF_MEASURED], n[PB_CONF_ASSUMED], n[PB_CONF_DISPUTED]);
		printf("%-26s %-9s %-5s %-20s %-18s %-10s %s\n", p->id, p->vendor,
		       pb_flow_str(p->flow), v, h, r, f);
		if (p->definition)
			continue;
		for (k = 0; k < PB_CONF_COUNT; k++)
			sum[k] += n[k];
		facts += total;
	}
	if (facts) {
		size_t grounded = sum[PB_CONF_DOCUMENTED] + sum[PB_CONF_REPORTED] +
				  sum[PB_CONF_MEASURED];

		printf("\ndevice facts (definitions excluded): %zu; documented %zu, "
		       "reported %zu, measured %zu, assumed %zu, disputed %zu\n"
		       "grounded (documented, reported or measured): %zu of %zu, %.0f%%; "
		       "with the disputed (both readings sourced): %.0f%%\n",
		       facts, sum[PB_CONF_DOCUMENTED], sum[PB_CONF_REPORTED],
		       sum[PB_CONF_MEASURED], sum[PB_CONF_ASSUMED], sum[PB_CONF_DISPUTED],
		       grounded, facts, 100.0 * (double)grounded / (double)facts,
		       100.0 * (double)(grounded + sum[PB_CONF_DISPUTED]) / (double)facts);
	}
	pb_catalog_free(c);
	return PB_OK;
}
