/* Stable codes: every value has a string, strings are unique, parse back,
 * and every cause is documented in docs/causes.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phoneboot/codes.h"

static void causes(void **st)
{
	unsigned n, i, k;
	const enum pb_cause *all = pb_cause_all(&n);
	char path[1024], *doc;
	FILE *f;
	long len;

	(void)st;
	assert_int_equal(n, 56);   /* DESIGN.md section 4 plus "none" */
	snprintf(path, sizeof(path), "%s/../../docs/causes.md", getenv("PB_TESTDATA"));
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(doc, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (i = 0; i < n; i++) {
		enum pb_cause back;
		char tick[64];

		assert_non_null(pb_cause_str(all[i]));
		assert_int_equal(pb_cause_parse(pb_cause_str(all[i]), &back), 0);
		assert_int_equal(back, all[i]);
		for (k = 0; k < i; k++)
			assert_string_not_equal(pb_cause_str(all[i]), pb_cause_str(all[k]));
		snprintf(tick, sizeof(tick), "`%s`", pb_cause_str(all[i]));
		if (all[i] != PB_CAUSE_NONE && !strstr(doc, tick))
			fail_msg("%s is not in docs/causes.md", tick);
	}
	free(doc);
}

static void others(void **st)
{
	unsigned i;

	(void)st;
	for (i = 0; i <= PB_ERR_LAST; i++)
		assert_non_null(pb_strerror((enum pb_err)i));
	for (i = 0; i < PB_STEP_COUNT; i++)
		assert_non_null(pb_step_str((enum pb_step)i));
	for (i = 0; i < PB_REMEDY_COUNT; i++)
		assert_non_null(pb_remedy_str((enum pb_remedy)i));
	assert_string_equal(pb_step_str(PB_STEP_INSTALL_ROOT), "install-root");
	assert_string_equal(pb_cause_str(PB_CAUSE_CERT_SIG_HASH_UNSUPPORTED),
			    "cert-sig-hash-unsupported");
	assert_string_equal(pb_remedy_str(PB_REMEDY_USE_DNS), "use-dns");
	assert_string_equal(pb_step_str(PB_STEP_DEVICE_UPDATE), "device-update");
	assert_string_equal(pb_cause_str(PB_CAUSE_NTP_UNSYNCHRONIZED), "ntp-unsynchronized");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(causes),
		cmocka_unit_test(others),
	};
	return cmocka_run_group_tests_name("codes", tests, NULL, NULL);
}
