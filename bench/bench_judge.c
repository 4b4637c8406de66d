/* Benchmark: certificate x profile verdicts per second, and peak memory.
 * usage: bench_judge PROFILE_DIR FIXTURE_DIR [CA_BUNDLE] [SECONDS]
 * Each PEM file of FIXTURE_DIR is one chain; each certificate of the CA
 * bundle is a chain of its own. All are judged against every profile,
 * repeatedly, for about SECONDS (default 3). Aim (issue 2): >= 50,000
 * verdicts per second per core. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "phoneboot/phoneboot.h"

static struct pb_chain **chains;
static size_t n_chains, cap;

static void add(struct pb_chain *c)
{
	if (n_chains == cap) {
		cap = cap ? cap * 2 : 256;
		chains = realloc(chains, cap * sizeof(*chains));
		if (!chains)
			exit(3);
	}
	chains[n_chains++] = c;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void load_bundle(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf, *p, *end;
	long len;
	char err[256];

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		exit(3);
	buf[len] = '\0';
	fclose(f);
	for (p = buf; (p = strstr(p, "-----BEGIN CERTIFICATE-----")); p = end) {
		struct pb_chain *c;

		end = strstr(p, "-----END CERTIFICATE-----");
		if (!end)
			break;
		end += 25;
		if (pb_chain_from_mem(p, (size_t)(end - p), path, NULL, &c, err,
				      sizeof(err)) == PB_OK)
			add(c);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	struct pb_catalog *cat;
	struct pb_judge_opts o = { 0, "pool.test.example", 0 };
	double secs = argc > 4 ? strtod(argv[4], NULL) : 3.0, t0, t;
	unsigned long verdicts = 0, rounds = 0, certs = 0;
	struct rusage ru;
	struct dirent *d;
	DIR *dir;
	char err[512], path[4096];
	size_t i, k;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_judge PROFILE_DIR FIXTURE_DIR [CA_BUNDLE] [SECONDS]\n");
		return 2;
	}
	o.now = time(NULL);
	if (pb_catalog_load(argv[1], &cat, err, sizeof(err)) != PB_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (!(dir = opendir(argv[2])))
		return 2;
	while ((d = readdir(dir))) {
		struct pb_chain *c;
		size_t l = strlen(d->d_name);

		if (l < 5 || strcmp(d->d_name + l - 4, ".pem") || !strncmp(d->d_name, "bad-", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[2], d->d_name);
		if (pb_chain_load_file(path, NULL, &c, err, sizeof(err)) == PB_OK)
			add(c);
	}
	closedir(dir);
	if (argc > 3)
		load_bundle(argv[3]);
	for (i = 0; i < n_chains; i++)
		certs += pb_chain_len(chains[i]);
	t0 = now();
	do {
		for (i = 0; i < n_chains; i++)
			for (k = 0; k < cat->n; k++) {
				struct pb_verdict *v;

				if (pb_judge(chains[i], cat->items[k], &o, &v) != PB_OK)
					return 3;
				pb_verdict_free(v);
			}
		verdicts += certs * cat->n;
		rounds++;
		t = now();
	} while (t - t0 < secs);
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_judge: %zu chains (%lu certificates) x %zu profiles, %lu rounds in %.2f s\n",
	       n_chains, certs, cat->n, rounds, t - t0);
	printf("bench_judge: %.0f certificate x profile verdicts per second (one core, chains parsed once beforehand; aim >= 50000)\n",
	       (double)verdicts / (t - t0));
	printf("bench_judge: peak RSS %ld KiB\n", ru.ru_maxrss);
	for (i = 0; i < n_chains; i++)
		pb_chain_free(chains[i]);
	free(chains);
	pb_catalog_free(cat);
	return 0;
}
