/* phoneboot cert [--profile ID|FILE]... [--name HOST] [--time ISO8601]
 *                [--trust FILE]... [--timeout MS] [--json[=FILE]] INPUT...
 * (the options are rows of src/opts.c) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "phoneboot/probe.h"

#define MAX_PROFILES 64

struct opts {
	const struct pb_profile *profiles[MAX_PROFILES];
	size_t n_profiles;
	struct pb_profile *owned[MAX_PROFILES];
	const char *name;
	time_t now;
	struct pb_trust *trust;
	unsigned timeout_ms;
};

/* "host:port" or "[v6]:port" with a numeric port; 0 when it is not one. */
static int split_hostport(const char *s, char *host, size_t hl, char *port, size_t pl)
{
	const char *colon;
	size_t i, n;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return 0;
		n = (size_t)(end - s - 1);
		colon = end + 1;
		if (n + 1 > hl)
			return 0;
		memcpy(host, s + 1, n);
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s || strchr(s, '/'))
			return 0;
		n = (size_t)(colon - s);
		if (memchr(s, ':', n) || n + 1 > hl)
			return 0;
		memcpy(host, s, n);
	}
	host[n] = '\0';
	for (i = 1; colon[i]; i++)
		if (colon[i] < '0' || colon[i] > '9')
			return 0;
	if (i < 2 || i > 6 || strtoul(colon + 1, NULL, 10) > 65535)
		return 0;
	snprintf(port, pl, "%s", colon + 1);
	return 1;
}

static int is_ip(const char *h)
{
	return strspn(h, "0123456789.") == strlen(h) || strchr(h, ':');
}

static json_t *cert_json(const struct pb_cert_info *in)
{
	if (in->malformed)
		return json_pack("{s:b,s:s}", "malformed", 1, "error", in->error);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s?,s:b,s:b,s:s,s:s,s:s,s:b}",
			 "role", pb_cert_role_str(in->role), "name", in->name,
			 "subject", in->subject, "issuer", in->issuer,
			 "signature", in->sig_alg,
			 "key_type", in->key_type, "key_bits", (int)in->key_bits,
			 "curve", in->curve[0] ? in->curve : NULL,
			 "ca", in->is_ca, "self_signed", in->self_signed,
			 "not_before", in->not_before, "not_after", in->not_after,
			 "sha256", in->sha256, "from_trust_store", in->from_trust);
}

static void print_chain(const char *input, const struct pb_chain *c,
			const struct pb_probe *pr)
{
	size_t i;

	printf("%s\n", input);
	if (pr)
		printf("  connected to %s: %s %s (handshake %.1f ms)\n", pr->address,
		       pr->version[0] ? pr->version : "no TLS session",
		       pr->cipher, pr->ms);
	for (i = 0; i < pb_chain_len(c); i++) {
		const struct pb_cert_info *in = pb_chain_cert(c, i);
		char key[48];

		if (in->malformed) {
			printf("  [%zu] malformed: %s\n", i, in->error);
			continue;
		}
		if (in->curve[0])
			snprintf(key, sizeof(key), "%s %s", in->key_type, in->curve);
		else
			snprintf(key, sizeof(key), "%s-%u", in->key_type, in->key_bits);
		printf("  [%zu] %-12s %-28s %-24s %-10s until %.10s%s\n", i,
		       pb_cert_role_str(in->role), in->name, in->sig_alg, key,
		       in->not_after, in->from_trust ? "  (from --trust)" : "");
	}
}

/* A finding in JSON: its confidence, the fact it rests on, and for a
 * disputed fact the other reading and whether it would clear the finding. */
static json_t *finding_json(const struct pb_profile *p, const struct pb_finding *f)
{
	json_t *j = json_pack("{s:s,s:i,s:s,s:s,s:s?}",
			      "cause", pb_cause_str(f->cause), "cert", f->cert,
			      "text", f->text,
			      "confidence", pb_confidence_str(f->confidence),
			      "fact", f->fact);
	const struct pb_source *src = f->fact ? pb_profile_source(p, f->fact) : NULL;

	if (src)
		json_object_set_new(j, "source", json_pack("{s:s,s:s}",
			"confidence", pb_confidence_str(src->confidence),
			"citation", src->citation));
	if (src && src->other_value) {
		json_object_set_new(j, "other_reading", json_pack("{s:s,s:s,s:s}",
			"value", src->other_value,
			"confidence", pb_confidence_str(src->other_confidence),
			"citation", src->other_citation));
		json_object_set_new(j, "other_reading_passes",
				    json_boolean(f->other_reading_passes));
	}
	return j;
}

static void print_finding(const struct pb_profile *p, const struct pb_finding *f)
{
	const struct pb_source *src = f->fact ? pb_profile_source(p, f->fact) : NULL;

	printf("  %-28s   - %s [%s]\n", "", f->text, pb_cause_str(f->cause));
	if (!src || !src->other_value)
		return;
	printf("  %-28s     the other reading (%s: %s = %s) %s; %.110s%s\n", "",
	       pb_confidence_str(src->other_confidence), f->fact, src->other_value,
	       f->other_reading_passes ? "would not give this reason"
				       : "gives it too",
	       src->other_citation, strlen(src->other_citation) > 110 ? "..." : "");
}

/* Judge one chain with every profile; print or add to jin. 1 if any unusable. */
static int judge_all(struct opts *o, const struct pb_chain *c, const char *name,
		     int sni_filter, json_t *jverdicts)
{
	struct pb_judge_opts jo = { o->now, name, o->trust != NULL };
	size_t i, k;
	int bad = 0;

	for (i = 0; i < o->n_profiles; i++) {
		const struct pb_profile *p = o->profiles[i];
		struct pb_verdict *v = NULL;
		json_t *jf;

		if (sni_filter >= 0 && p->sni != sni_filter)
			continue;
		if (pb_judge(c, p, &jo, &v) != PB_OK) {
			cli_die(PB_ERR_NOMEM, "out of memory");
		}
		bad |= !v->usable;
		if (jverdicts) {
			jf = json_array();
			for (k = 0; k < v->n; k++)
				json_array_append_new(jf, finding_json(p, &v->findings[k]));
			json_array_append_new(jverdicts, json_pack("{s:s,s:b,s:b,s:o}",
				"profile", p->id, "usable", v->usable,
				"usable_other_reading", v->usable_other_reading,
				"findings", jf));
		} else {
			printf("  %-28s %s\n", p->id, v->usable ? "usable" : "UNUSABLE");
			for (k = 0; k < v->n; k++)
				print_finding(p, &v->findings[k]);
			if (v->usable_other_reading != v->usable)
				printf("  %-28s   under the other reading of its disputed facts: "
				       "%s\n", "", v->usable_other_reading ? "usable" : "UNUSABLE");
		}
		pb_verdict_free(v);
	}
	return bad;
}

static json_t *chain_json(const struct pb_chain *c)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < pb_chain_len(c); i++)
		json_array_append_new(a, cert_json(pb_chain_cert(c, i)));
	return a;
}

/* Returns 0 usable, 1 unusable, 2 input error. */
static int one_input(struct opts *o, const char *input, json_t *jinputs)
{
	char host[256], port[8], err[512];
	struct stat st;
	struct pb_chain *c = NULL;
	int rc = 0, sni;
	json_t *jin = NULL;

	if (stat(input, &st) == 0 || !split_hostport(input, host, sizeof(host),
						       port, sizeof(port))) {
		if (pb_chain_load_file(input, o->trust, &c, err, sizeof(err)) != PB_OK) {
			fprintf(stderr, "phoneboot: %s\n", err);
			return 2;
		}
		if (jinputs) {
			jin = json_pack("{s:s,s:o,s:b,s:o}", "input", input,
					"chain", chain_json(c), "complete",
					pb_chain_complete(c), "verdicts", json_array());
			rc = judge_all(o, c, o->name, -1, json_object_get(jin, "verdicts"));
			json_array_append_new(jinputs, jin);
		} else {
			print_chain(input, c, NULL);
			rc = judge_all(o, c, o->name, -1, NULL);
		}
		pb_chain_free(c);
		return rc;
	}
	/* HOST:PORT: one handshake per SNI behaviour among the profiles */
	for (sni = 0; sni <= 1; sni++) {
		struct pb_probe pr;
		size_t i;
		int wanted = 0;
		const char *name = o->name ? o->name : (is_ip(host) ? NULL : host);
		char label[320];

		for (i = 0; i < o->n_profiles; i++)
			wanted |= o->profiles[i]->sni == sni;
		if (!wanted)
			continue;
		if (pb_tls_probe(host, port, sni && !is_ip(host) ? host : NULL,
				 o->timeout_ms, o->trust, &pr, err, sizeof(err)) != PB_OK) {
			fprintf(stderr, "phoneboot: %s\n", err);
			return 2;
		}
		snprintf(label, sizeof(label), "%s (%s SNI)", input, sni ? "with" : "without");
		if (!pr.chain) {
			fprintf(stderr, "phoneboot: %s: no certificate received: %s [%s]\n",
				input, pr.detail[0] ? pr.detail : "no TLS handshake",
				pb_cause_str(pr.cause));
			pb_probe_clear(&pr);
			return 2;
		}
		if (jinputs) {
			jin = json_pack("{s:s,s:b,s:s,s:s,s:s,s:o,s:b,s:o}", "input", input,
					"sni", sni, "address", pr.address,
					"tls_version", pr.version, "cipher", pr.cipher,
					"chain", chain_json(pr.chain),
					"complete", pb_chain_complete(pr.chain),
					"verdicts", json_array());
			rc |= judge_all(o, pr.chain, name, sni, json_object_get(jin, "verdicts"));
			json_array_append_new(jinputs, jin);
		} else {
			print_chain(label, pr.chain, &pr);
			rc |= judge_all(o, pr.chain, name, sni, NULL);
		}
		pb_probe_clear(&pr);
	}
	return rc;
}

static enum pb_err write_json(json_t *doc, const char *path)
{
	FILE *f = path ? fopen(path, "w") : stdout;
	int bad;

	if (!f)
		return cli_error(PB_ERR_IO, "cert: --json=%s: %s", path, strerror(errno));
	bad = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
	      fputc('\n', f) == EOF;
	bad |= path ? fclose(f) != 0 : fflush(f) != 0;
	if (bad)
		return cli_error(PB_ERR_IO, "cert: --json: %s", strerror(errno));
	return PB_OK;
}

enum pb_err cmd_cert(const struct cli_args *a, int *verdict)
{
	const struct opt_val *pargs = &a->v[OPT_PROFILE], *trust = &a->v[OPT_TRUST];
	struct opts o;
	struct pb_catalog *cat;
	size_t i;
	json_t *jinputs = NULL;
	int worst = 0, r;
	enum pb_err rc = PB_OK;
	char err[512];

	memset(&o, 0, sizeof(o));
	if (!a->n_pos)
		return cli_error(PB_ERR_USAGE, "cert: no INPUT (a certificate file or "
				 "HOST:PORT); see phoneboot cert --help");
	o.now = opt_set(a, OPT_TIME) ? a->v[OPT_TIME].time : time(NULL);
	o.timeout_ms = (unsigned)opt_uint(a, OPT_TIMEOUT, 5000);
	o.name = opt_str(a, OPT_NAME);
	if (trust->n && pb_trust_new(&o.trust) != PB_OK)
		return cli_error(PB_ERR_NOMEM, "out of memory");
	for (i = 0; i < trust->n; i++)
		if ((rc = pb_trust_add_file(o.trust, trust->list[i], err, sizeof(err))) != PB_OK) {
			pb_trust_free(o.trust);
			return cli_error(rc, "cert: --trust: %s", err);
		}
	cat = catalog_or_die();
	for (i = 0; i < pargs->n; i++)
		o.profiles[o.n_profiles++] = profile_arg(cat, pargs->list[i], &o.owned[i]);
	for (i = 0; !pargs->n && i < cat->n && i < MAX_PROFILES; i++)
		o.profiles[o.n_profiles++] = cat->items[i];
	if (opt_set(a, OPT_JSON))
		jinputs = json_array();
	for (i = 0; i < (size_t)a->n_pos; i++) {
		r = one_input(&o, a->pos[i], jinputs);
		if (r > worst)
			worst = r;
	}
	if (jinputs) {
		json_t *doc = json_pack("{s:s,s:s,s:o}", "tool", "phoneboot",
					"version", PB_VERSION, "inputs", jinputs);

		rc = doc ? write_json(doc, opt_str(a, OPT_JSON))
			 : cli_error(PB_ERR_NOMEM, "out of memory");
		json_decref(doc);
	}
	for (i = 0; i < pargs->n; i++)
		pb_profile_free(o.owned[i]);
	pb_trust_free(o.trust);
	pb_catalog_free(cat);
	/* an INPUT that cannot be read, parsed or reached is an input error */
	if (rc == PB_OK && worst == 2)
		rc = PB_ERR_IO;
	*verdict = worst ? EXIT_FAILED : EXIT_OK;
	return rc;
}
