/* Unit tests: the page cache (servers/common/page_cache.c) and the
 * Date/Connection slot it shares with http_clock.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "http_clock.h"
#include "page_cache.h"
#include "test_util.h"

#define PLACEHOLDER_SLOT "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\nConnection: keep-alive\r\n\r\n"

static const struct {
	const char *path;
	const char *type;
} typed_files[] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "UPPER.HTML", "text/html; charset=utf-8" },
	{ "style.css", "text/css; charset=utf-8" },
	{ "js/app.js", "text/javascript; charset=utf-8" },
	{ "data.json", "application/json" },
	{ "notes.txt", "text/plain; charset=utf-8" },
	{ "img/a.png", "image/png" },
	{ "img/b.jpg", "image/jpeg" },
	{ "img/c.jpeg", "image/jpeg" },
	{ "img/d.gif", "image/gif" },
	{ "img/e.svg", "image/svg+xml" },
	{ "favicon.ico", "image/vnd.microsoft.icon" },
	{ "font.woff2", "font/woff2" },
	{ "feed.xml", "application/xml" },
	{ "doc.pdf", "application/pdf" },
	{ "README", "application/octet-stream" },
	{ "archive.tar.zst", "application/octet-stream" },
	{ "dot.dir/file", "application/octet-stream" },
	{ "sub/index.html", "text/html; charset=utf-8" },
	{ "sub/deeper/page.html", "text/html; charset=utf-8" },
};
#define N_TYPED (sizeof(typed_files) / sizeof(typed_files[0]))

struct fixture {
	char *dir;
	struct page_cache *pc;
};

/* Each file's body is its own path, so every body differs; index.html and
 * a binary file with NUL bytes and an empty file are added to those. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	f->dir = temp_dir_create();
	for (size_t i = 0; i < N_TYPED; i++)
		temp_file_write(f->dir, typed_files[i].path, typed_files[i].path,
				strlen(typed_files[i].path));
	temp_file_write(f->dir, "bin/zeros.png", "\0\1\0\2", 4);
	temp_file_write(f->dir, "empty.txt", "", 0);

	/* Symbolic links are never followed, to a file or to a folder. */
	char link[4096];
	snprintf(link, sizeof(link), "%s/passwd.txt", f->dir);
	if (symlink("/etc/passwd", link) < 0)
		return -1;
	snprintf(link, sizeof(link), "%s/etc", f->dir);
	if (symlink("/etc", link) < 0)
		return -1;
	/* Neither is a FIFO. */
	snprintf(link, sizeof(link), "%s/fifo.txt", f->dir);
	if (mkfifo(link, 0600) < 0)
		return -1;

	f->pc = page_cache_load(f->dir, err, sizeof(err));
	if (!f->pc) {
		fprintf(stderr, "page_cache_load: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	page_cache_free(f->pc);
	temp_dir_remove(f->dir);
	free(f);
	return 0;
}

static const struct page *lookup(const struct fixture *f, const char *path)
{
	return page_cache_lookup(f->pc, path, strlen(path));
}

static void test_every_regular_file_is_loaded(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(page_cache_count(f->pc), N_TYPED + 2);
	/* page_cache_at lists them sorted by path. */
	for (size_t i = 1; i < page_cache_count(f->pc); i++)
		assert_true(strcmp(page_cache_at(f->pc, i - 1)->path,
				   page_cache_at(f->pc, i)->path) < 0);
	assert_null(page_cache_at(f->pc, page_cache_count(f->pc)));
}

static void test_symlinks_and_special_files_are_skipped(void **state)
{
	struct fixture *f = *state;

	assert_null(lookup(f, "/passwd.txt"));
	assert_null(lookup(f, "/etc/passwd"));
	assert_null(lookup(f, "/etc/"));
	assert_null(lookup(f, "/fifo.txt"));
}

/* The whole stored response, byte for byte. */
static void test_response_bytes_are_exact(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < N_TYPED; i++) {
		char path[256], want[1024];
		const char *body = typed_files[i].path;
		snprintf(path, sizeof(path), "/%s", typed_files[i].path);
		int n = snprintf(want, sizeof(want),
				 "HTTP/1.1 200 OK\r\n"
				 "Server: bypassbench\r\n"
				 "Content-Type: %s\r\n"
				 "Content-Length: %zu\r\n"
				 PLACEHOLDER_SLOT "%s",
				 typed_files[i].type, strlen(body), body);

		const struct page *p = lookup(f, path);
		assert_non_null(p);
		assert_int_equal(p->status, 200);
		assert_string_equal(p->path, path);
		assert_int_equal(p->path_len, strlen(path));
		assert_int_equal(page_response_len(p), n);
		assert_memory_equal(p->response, want, n);
		assert_int_equal(p->body_len, strlen(body));
		assert_memory_equal(page_body(p), body, p->body_len);
		/* The head ends where the slot starts. */
		assert_memory_equal(p->response + p->head_len, "Date: ", 6);
	}
}

static void test_binary_and_empty_bodies(void **state)
{
	struct fixture *f = *state;

	const struct page *p = lookup(f, "/bin/zeros.png");
	assert_non_null(p);
	assert_int_equal(p->body_len, 4);
	assert_memory_equal(page_body(p), "\0\1\0\2", 4);
	assert_non_null(strstr(p->response, "Content-Length: 4\r\n"));

	p = lookup(f, "/empty.txt");
	assert_non_null(p);
	assert_int_equal(p->body_len, 0);
	assert_non_null(strstr(p->response, "Content-Length: 0\r\n"));
	assert_int_equal(page_response_len(p), p->head_len + HTTP_SLOT_LEN);
}

static void test_folders_resolve_to_index_html(void **state)
{
	struct fixture *f = *state;

	assert_ptr_equal(lookup(f, "/"), lookup(f, "/index.html"));
	assert_ptr_equal(lookup(f, "/sub/"), lookup(f, "/sub/index.html"));
	assert_non_null(lookup(f, "/sub/"));
	/* No index.html in /js/, and a folder without its slash is not a page. */
	assert_null(lookup(f, "/js/"));
	assert_null(lookup(f, "/sub"));
	assert_null(lookup(f, "/sub/deeper/"));
}

static void test_lookup_is_exact(void **state)
{
	struct fixture *f = *state;

	assert_null(lookup(f, "/index.htm"));
	assert_null(lookup(f, "/index.html/"));
	assert_null(lookup(f, "/INDEX.HTML"));
	assert_null(lookup(f, "index.html"));
	assert_null(lookup(f, ""));
	assert_null(page_cache_lookup(f->pc, "/index.html", 10)); /* "/index.htm" */
	assert_non_null(page_cache_lookup(f->pc, "/index.html!", 11));
}

static void test_error_pages(void **state)
{
	struct fixture *f = *state;
	static const struct {
		int status;
		const char *reason;
	} want[] = {
		{ 400, "Bad Request" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 431, "Request Header Fields Too Large" },
		{ 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct page *p = page_cache_error(f->pc, want[i].status);
		char line[128], body[128], length[64];

		assert_non_null(p);
		assert_int_equal(p->status, want[i].status);
		snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", want[i].status, want[i].reason);
		snprintf(body, sizeof(body), "%d %s\n", want[i].status, want[i].reason);
		snprintf(length, sizeof(length), "\r\nContent-Length: %zu\r\n", strlen(body));
		assert_memory_equal(p->response, line, strlen(line));
		assert_int_equal(p->body_len, strlen(body));
		assert_memory_equal(page_body(p), body, strlen(body));

		char head[512];
		memcpy(head, p->response, p->head_len);
		head[p->head_len] = '\0';
		assert_non_null(strstr(head, length));
		assert_non_null(strstr(head, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
		assert_non_null(strstr(head, "\r\nServer: bypassbench\r\n"));
		assert_int_equal(strstr(head, "\r\nAllow: GET, HEAD\r\n") != NULL,
				 want[i].status == 405);
		assert_memory_equal(p->response + p->head_len, PLACEHOLDER_SLOT, HTTP_SLOT_LEN);
	}
	assert_null(page_cache_error(f->pc, 200));
	assert_null(page_cache_error(f->pc, 500));
}

/* ---- loading: errors and memory ---- */

static void expect_load_error(const char *dir, const char *words)
{
	char err[256] = "";
	struct page_cache *pc = page_cache_load(dir, err, sizeof(err));

	assert_null(pc);
	if (!strstr(err, words))
		fail_msg("error \"%s\" does not say \"%s\"", err, words);
	assert_null(strchr(err, '\n')); /* one line */
}

static void test_load_errors(void **state)
{
	(void)state;
	char *dir = temp_dir_create();
	char path[4096];

	snprintf(path, sizeof(path), "%s/missing", dir);
	expect_load_error(path, "No such file or directory");
	expect_load_error(dir, "holds no regular files");

	temp_file_write(dir, "sub/plain-file", "x", 1);
	snprintf(path, sizeof(path), "%s/sub/plain-file", dir);
	expect_load_error(path, "Not a directory");
	temp_dir_remove(dir);
}

/* Root reads a file whatever its mode, so the load runs in a child that
 * has dropped to "nobody" first. */
static void test_unreadable_file_is_an_error(void **state)
{
	(void)state;
	char *dir = temp_dir_create();
	char path[4096];

	temp_file_write(dir, "secret.html", "x", 1);
	snprintf(path, sizeof(path), "%s/secret.html", dir);
	assert_int_equal(chmod(path, 0), 0);
	assert_int_equal(chmod(dir, 0755), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		char err[256] = "";
		struct page_cache *pc = page_cache_load(dir, err, sizeof(err));
		_exit(!pc && strstr(err, "secret.html") && strstr(err, "Permission denied") ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	temp_dir_remove(dir);
}

/* Many pages of many sizes: every one is found, and the cache holds at most
 * the corpus + 5% + a few MiB (the memory bound the page cache is built to). */
static void test_many_pages_and_memory_bound(void **state)
{
	(void)state;
	char *dir = temp_dir_create();
	char name[64], err[256];
	size_t corpus = 0;
	const size_t pages = 1500;
	char *body = malloc(64 * 1024);

	for (size_t i = 0; i < pages; i++) {
		size_t len = (i * 7919) % (64 * 1024);
		memset(body, 'a' + (int)(i % 26), len);
		snprintf(name, sizeof(name), "d%zu/p%zu.html", i % 37, i);
		temp_file_write(dir, name, body, len);
		corpus += len;
	}
	struct page_cache *pc = page_cache_load(dir, err, sizeof(err));
	assert_non_null(pc);
	assert_int_equal(page_cache_count(pc), pages);
	for (size_t i = 0; i < pages; i++) {
		snprintf(name, sizeof(name), "/d%zu/p%zu.html", i % 37, i);
		const struct page *p = page_cache_lookup(pc, name, strlen(name));
		assert_non_null(p);
		assert_string_equal(p->path, name);
		assert_int_equal(p->body_len, (i * 7919) % (64 * 1024));
	}
	size_t bytes = page_cache_bytes(pc);
	assert_true(bytes >= corpus);
	assert_true(bytes <= corpus + corpus / 20 + 4 * 1024 * 1024);

	page_cache_free(pc);
	free(body);
	temp_dir_remove(dir);
}

/* ---- the slot (http_clock.c) ---- */

static void test_slot_layout(void **state)
{
	(void)state;
	char slot[HTTP_SLOT_LEN + 1] = { 0 };

	/* RFC 9110 §5.6.7's example date. */
	http_clock_format_slot(slot, 784111777, false);
	assert_string_equal(slot, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
				  "Connection: keep-alive\r\n\r\n");
	http_clock_format_slot(slot, 784111777, true);
	assert_string_equal(slot, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
				  "Connection: close     \r\n\r\n");
	assert_int_equal(strlen(PLACEHOLDER_SLOT), HTTP_SLOT_LEN);
	http_clock_format_slot(slot, 0, false);
	assert_string_equal(slot, PLACEHOLDER_SLOT);
	/* Leap day, end of a year, a four-digit year far ahead. */
	http_clock_format_slot(slot, 951782400, false);
	assert_memory_equal(slot, "Date: Tue, 29 Feb 2000 00:00:00 GMT\r\n", 37);
	http_clock_format_slot(slot, 253402300799, false);
	assert_memory_equal(slot, "Date: Fri, 31 Dec 9999 23:59:59 GMT\r\n", 37);
}

static void test_clock_ticks_once_per_second(void **state)
{
	(void)state;
	struct http_clock c = { 0 };

	/* A zeroed clock builds its slots on the first tick, even at t = 0. */
	assert_true(http_clock_tick(&c, 0));
	assert_string_equal(http_clock_slot(&c, false), PLACEHOLDER_SLOT);
	assert_false(http_clock_tick(&c, 0));

	assert_true(http_clock_tick(&c, 784111777));
	assert_false(http_clock_tick(&c, 784111777));
	assert_int_equal(strlen(http_clock_slot(&c, false)), HTTP_SLOT_LEN);
	assert_int_equal(strlen(http_clock_slot(&c, true)), HTTP_SLOT_LEN);
	assert_memory_equal(http_clock_slot(&c, true), "Date: Sun, 06 Nov 1994 08:49:37 GMT", 35);
	assert_true(http_clock_tick(&c, 784111778));
	assert_memory_equal(http_clock_slot(&c, false), "Date: Sun, 06 Nov 1994 08:49:38 GMT", 35);
	assert_non_null(strstr(http_clock_slot(&c, true), "Connection: close"));
	assert_non_null(strstr(http_clock_slot(&c, false), "Connection: keep-alive"));
}

int main(void)
{
	const struct CMUnitTest loaded[] = {
		cmocka_unit_test(test_every_regular_file_is_loaded),
		cmocka_unit_test(test_symlinks_and_special_files_are_skipped),
		cmocka_unit_test(test_response_bytes_are_exact),
		cmocka_unit_test(test_binary_and_empty_bodies),
		cmocka_unit_test(test_folders_resolve_to_index_html),
		cmocka_unit_test(test_lookup_is_exact),
		cmocka_unit_test(test_error_pages),
	};
	const struct CMUnitTest standalone[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_unreadable_file_is_an_error),
		cmocka_unit_test(test_many_pages_and_memory_bound),
		cmocka_unit_test(test_slot_layout),
		cmocka_unit_test(test_clock_ticks_once_per_second),
	};
	int failed = cmocka_run_group_tests_name("page cache", loaded, setup, teardown);
	failed += cmocka_run_group_tests_name("loading and slots", standalone, NULL, NULL);
	return failed ? 1 : 0;
}
