/* The bounds-checked reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rd.h"

static void lines(void **st)
{
	static const char in[] = "a\r\nbc\nlast";
	struct rd r = rd_init(in, sizeof(in) - 1);
	struct span l;

	(void)st;
	assert_true(rd_take_line(&r, &l));
	assert_true(span_eq(l, "a"));
	assert_true(rd_take_line(&r, &l));
	assert_true(span_eq(l, "bc"));
	assert_false(rd_take_line(&r, &l));     /* no terminator */
	assert_int_equal(rd_left(&r), 4);
}

static void until_stops_at_nul_only_if_asked(void **st)
{
	/* regression: strchr(stop, '\0') matched and never advanced */
	static const char in[] = { 'a', '\0', 'b', ',', 'c' };
	struct rd r = rd_init(in, sizeof(in));
	struct span s = rd_take_until(&r, ",");

	(void)st;
	assert_int_equal(s.len, 3);
	s = rd_take_until(&r, "");
	assert_int_equal(s.len, 2);
	assert_true(rd_eof(&r));
}

static void quoted(void **st)
{
	static const char in[] = "\"a\\\"b\" rest";
	struct rd r = rd_init(in, sizeof(in) - 1);
	struct span q;
	struct rd bad = rd_init("\"open", 5);

	(void)st;
	assert_true(rd_take_quoted(&r, &q));
	assert_int_equal(q.len, 4);
	assert_false(rd_take_quoted(&bad, &q));
}

static void numbers(void **st)
{
	unsigned long v;

	(void)st;
	assert_true(span_to_uint((struct span){ "4096", 4 }, 65536, &v));
	assert_int_equal(v, 4096);
	assert_false(span_to_uint((struct span){ "70000", 5 }, 65536, &v));
	assert_false(span_to_uint((struct span){ "-1", 2 }, 65536, &v));
	assert_false(span_to_uint((struct span){ "", 0 }, 65536, &v));
	assert_false(span_to_uint((struct span){ "99999999999999999999", 20 }, ~0ul, &v));
	assert_true(span_ieq((struct span){ "WWW-Authenticate", 16 }, "www-authenticate"));
	assert_true(span_eq(span_trim((struct span){ "  x \t", 5 }), "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines),
		cmocka_unit_test(until_stops_at_nul_only_if_asked),
		cmocka_unit_test(quoted),
		cmocka_unit_test(numbers),
	};
	return cmocka_run_group_tests_name("rd", tests, NULL, NULL);
}
