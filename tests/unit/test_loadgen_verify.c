/* loadgen's page checks, URI index and option helpers: the streaming hash
 * equals the one-shot hash however the body is cut, URI paths map to the
 * right files, bad indexes and options are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpu_list.h"
#include "options.h"
#include "paths.h"
#include "rng.h"
#include "verify.h"

static void test_streaming_hash_any_split(void **state)
{
	(void)state;
	static unsigned char data[5000];
	struct rng r;
	rng_seed(&r, 9, 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)rng_next(&r);
	uint64_t whole = body_hash_of(data, sizeof(data));
	for (int iter = 0; iter < 2000; iter++) {
		struct body_hash b;
		body_hash_init(&b);
		size_t off = 0;
		while (off < sizeof(data)) {
			size_t n = 1 + rng_next(&r) % (iter % 2 ? 13 : 700);
			if (n > sizeof(data) - off)
				n = sizeof(data) - off;
			body_hash_update(&b, data + off, n);
			off += n;
		}
		assert_int_equal(body_hash_final(&b), whole);
	}
	/* Sensitive to one flipped bit, to length, and to order. */
	data[1234] ^= 4;
	assert_int_not_equal(body_hash_of(data, sizeof(data)), whole);
	data[1234] ^= 4;
	assert_int_not_equal(body_hash_of(data, sizeof(data) - 1), whole);
	assert_int_not_equal(body_hash_of("", 0), body_hash_of("\0", 1));
	assert_int_not_equal(body_hash_of("abcdefgh12345678", 16), body_hash_of("12345678abcdefgh", 16));
}

static void test_file_for_path(void **state)
{
	(void)state;
	char out[512], err[256];
	assert_int_equal(verify_file_for_path("/d", "/", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "/d/index.html");
	assert_int_equal(verify_file_for_path("/d", "/a/b/", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "/d/a/b/index.html");
	assert_int_equal(verify_file_for_path("/d", "/a%20b.html?x=1", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "/d/a b.html");
	assert_int_equal(verify_file_for_path("/d", "/page-0001.html", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "/d/page-0001.html");
	assert_int_equal(verify_file_for_path("/d", "/../etc/passwd", out, sizeof(out), err, sizeof(err)), -1);
	assert_int_equal(verify_file_for_path("/d", "/a/%2e%2e/x", out, sizeof(out), err, sizeof(err)), -1);
	assert_int_equal(verify_file_for_path("/d", "/bad%zz", out, sizeof(out), err, sizeof(err)), -1);
	assert_int_equal(verify_file_for_path("/d", "/nul%00", out, sizeof(out), err, sizeof(err)), -1);
	/* ".." inside a name is just a name. */
	assert_int_equal(verify_file_for_path("/d", "/a..b", out, sizeof(out), err, sizeof(err)), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_index_and_verify_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_loadgen_verify.XXXXXX";
	char file[256], err[512];
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/index.html", dir);
	write_file(file, "Hello, World!");
	snprintf(file, sizeof(file), "%s/x.html", dir);
	write_file(file, "x page");
	snprintf(file, sizeof(file), "%s/good.uris", dir);
	write_file(file, "# comment\n\n/\n  /x.html  6\n/x.html\r\n");

	struct path_set ps;
	paths_init(&ps);
	assert_int_equal(paths_load_index(&ps, file, err, sizeof(err)), 0);
	assert_int_equal(ps.n, 3);
	assert_string_equal(ps.paths[1], "/x.html");
	assert_int_equal(paths_build_requests(&ps, "h:8080", true, err, sizeof(err)), 0);
	uint32_t len;
	const char *req = paths_request(&ps, 1, &len);
	const char want[] = "GET /x.html HTTP/1.1\r\nHost: h:8080\r\nConnection: close\r\n\r\n";
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(req, want, len);

	struct page_expect *pe = verify_load(dir, &ps, err, sizeof(err));
	assert_non_null(pe);
	assert_int_equal(pe[0].len, 13);
	assert_int_equal(pe[0].hash, body_hash_of("Hello, World!", 13));
	assert_int_equal(pe[1].hash, body_hash_of("x page", 6));
	free(pe);

	/* A path whose file is missing is an error, not a silent skip. */
	assert_int_equal(paths_add(&ps, "/missing", 8, err, sizeof(err)), 0);
	assert_null(verify_load(dir, &ps, err, sizeof(err)));
	assert_non_null(strstr(err, "missing"));
	paths_free(&ps);

	const char *bad[] = { "/ok\nnot-a-path\n", "# only comments\n\n", "/has\tok\n/x\x01y\n", "/a\0b\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(file, "w");
		fwrite(bad[i], 1, i == 3 ? 5 : strlen(bad[i]), f);
		fclose(f);
		paths_init(&ps);
		assert_int_equal(paths_load_index(&ps, file, err, sizeof(err)), -1);
		paths_free(&ps);
	}
	paths_init(&ps);
	snprintf(file, sizeof(file), "%s/nope", dir);
	assert_int_equal(paths_load_index(&ps, file, err, sizeof(err)), -1);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_option_helpers(void **state)
{
	(void)state;
	int cpus[CPU_LIST_MAX], n;
	char err[256];
	double s;
	assert_int_equal(cpu_list_parse("1", cpus, CPU_LIST_MAX, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cpu_list_parse("0,2-4,7", cpus, CPU_LIST_MAX, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 5);
	assert_int_equal(cpus[3], 4);
	assert_int_equal(cpus[4], 7);
	const char *bad[] = { "", "a", "1-", "3-1", "1,,2", "1;2", "-1", "99999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cpu_list_parse(bad[i], cpus, CPU_LIST_MAX, &n, err, sizeof(err)), -1);
	assert_int_equal(lg_parse_seconds("2.5", &s), 0);
	assert_true(s == 2.5);
	assert_int_equal(lg_parse_seconds("250ms", &s), 0);
	assert_true(s == 0.25);
	assert_int_equal(lg_parse_seconds("3s", &s), 0);
	assert_int_equal(lg_parse_seconds("500us", &s), 0); /* --max-send-lag */
	assert_true(s > 0.000499 && s < 0.000501);
	assert_int_equal(lg_parse_seconds("3x", &s), -1);
	assert_int_equal(lg_parse_seconds("-1", &s), -1);

	static struct lg_options o;
	assert_int_equal(lg_parse_url(&o, "http://127.0.0.1:8080/a/b?c", err, sizeof(err)), 0);
	assert_string_equal(o.url_path, "/a/b?c");
	assert_string_equal(o.host_header, "127.0.0.1:8080");
	assert_string_equal(o.target_str, "127.0.0.1:8080");
	assert_int_equal(lg_parse_url(&o, "http://127.0.0.1", err, sizeof(err)), 0);
	assert_string_equal(o.url_path, "/");
	assert_string_equal(o.host_header, "127.0.0.1");
	assert_int_equal(lg_parse_url(&o, "http://[::1]:81/", err, sizeof(err)), 0);
	assert_string_equal(o.host_header, "[::1]:81");
	const char *bad_urls[] = { "127.0.0.1", "https://x/", "http://", "http://h:0/", "http://h:70000/",
				   "http://h:80x/", "http://[::1/" };
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++)
		assert_int_equal(lg_parse_url(&o, bad_urls[i], err, sizeof(err)), -1);
}

static void test_options_refused(void **state)
{
	(void)state;
	static struct lg_options o;
	char err[512];
	struct { int argc; const char *argv[8]; } cases[] = {
		{ 1, { "loadgen" } },                                            /* no --url */
		{ 4, { "loadgen", "--url", "http://127.0.0.1/", "--bogus" } },
		{ 4, { "loadgen", "--url", "http://127.0.0.1/", "--threads" } },
		{ 5, { "loadgen", "--url", "http://127.0.0.1/", "--threads", "0" } },
		{ 5, { "loadgen", "--url", "http://127.0.0.1/", "--connections", "x" } },
		{ 5, { "loadgen", "--url", "http://127.0.0.1/", "--mode", "sometimes" } },
		{ 7, { "loadgen", "--url", "http://127.0.0.1/", "--mode", "close", "--pipeline", "4" } },
		{ 7, { "loadgen", "--url", "http://127.0.0.1/", "--threads", "4", "--connections", "2" } },
		{ 5, { "loadgen", "--url", "http://127.0.0.1/", "--rate", "-5" } },
		{ 5, { "loadgen", "--url", "http://127.0.0.1/", "--duration", "0" } },
		{ 5, { "loadgen", "--url", "http://127.0.0.1/", "--label", "noequals" } },
		{ 5, { "loadgen", "--url", "http://127.0.0.1/", "--label", "Bad-Key=1" } },
		{ 5, { "loadgen", "--url", "http://127.0.0.1/", "--source", "not-an-ip" } },
		{ 4, { "loadgen", "--url", "http://127.0.0.1/", "stray" } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8] = { 0 };
		for (int k = 0; k < cases[i].argc; k++)
			argv[k] = strdup(cases[i].argv[k]); /* --label edits its argument */
		err[0] = '\0';
		if (lg_options_parse(&o, cases[i].argc, argv, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		for (int k = 0; k < cases[i].argc; k++)
			free(argv[k]);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n')); /* one line */
	}
	char label[] = "mtu=9000";
	char *ok[] = { "loadgen", "--url", "http://127.0.0.1:9/", "--rate", "1500.5", "--label", label,
		       "--mode", "close" };
	assert_int_equal(lg_options_parse(&o, 9, ok, err, sizeof(err)), 0);
	assert_int_equal(o.rate_milli, 1500500);
	assert_string_equal(lg_label(&o, "mtu"), "9000");
	assert_int_equal(o.mode, LG_CLOSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streaming_hash_any_split),
		cmocka_unit_test(test_file_for_path),
		cmocka_unit_test(test_index_and_verify_load),
		cmocka_unit_test(test_option_helpers),
		cmocka_unit_test(test_options_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
