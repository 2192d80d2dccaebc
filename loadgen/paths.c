/* URI list and prebuilt requests: see paths.h. */
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void paths_init(struct path_set *ps)
{
	memset(ps, 0, sizeof(*ps));
}

void paths_free(struct path_set *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->paths[i]);
	free(ps->paths);
	free(ps->requests);
	free(ps->req_off);
	free(ps->req_len);
	paths_init(ps);
}

int paths_add(struct path_set *ps, const char *path, size_t len, char *err, size_t errlen)
{
	if (!len || path[0] != '/') {
		snprintf(err, errlen, "'%.*s' is not a URI path (must start with '/')",
			 (int)(len > 80 ? 80 : len), path);
		return -1;
	}
	if (len > PATH_MAX_LEN) {
		snprintf(err, errlen, "URI path of %zu bytes is longer than %d", len, PATH_MAX_LEN);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c <= ' ' || c >= 0x7f) {
			snprintf(err, errlen, "URI path '%.*s' has a byte that must be percent-encoded (0x%02x)",
				 (int)(len > 80 ? 80 : len), path, c);
			return -1;
		}
	}
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;
		char **p = realloc(ps->paths, cap * sizeof(*p));
		if (!p) {
			snprintf(err, errlen, "out of memory for %zu paths", cap);
			return -1;
		}
		ps->paths = p;
		ps->cap = cap;
	}
	char *copy = strndup(path, len);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ps->paths[ps->n++] = copy;
	return 0;
}

int paths_load_index(struct path_set *ps, const char *file, char *err, size_t errlen)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open index %s: %s", file, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned lineno = 0;
	size_t before = ps->n;
	int rc = 0;
	char why[256];

	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)got)) {
			snprintf(err, errlen, "%s:%u: NUL byte in the index", file, lineno);
			rc = -1;
			break;
		}
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
			continue;
		size_t n = strcspn(p, " \t\r\n");
		if (paths_add(ps, p, n, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", file, lineno, why);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "cannot read index %s: %s", file, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && ps->n == before) {
		snprintf(err, errlen, "index %s lists no URI path", file);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

int paths_build_requests(struct path_set *ps, const char *host_header, bool conn_close,
			 char *err, size_t errlen)
{
	static const char fmt[] = "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n";
	const char *extra = conn_close ? "Connection: close\r\n" : "";
	size_t total = 0;

	free(ps->requests);
	free(ps->req_off);
	free(ps->req_len);
	ps->req_off = calloc(ps->n ? ps->n : 1, sizeof(*ps->req_off));
	ps->req_len = calloc(ps->n ? ps->n : 1, sizeof(*ps->req_len));
	for (size_t i = 0; i < ps->n; i++)
		total += strlen(ps->paths[i]) + strlen(host_header) + strlen(extra) + sizeof(fmt);
	ps->requests = malloc(total + 1);
	if (!ps->req_off || !ps->req_len || !ps->requests) {
		snprintf(err, errlen, "out of memory for %zu requests", ps->n);
		return -1;
	}
	size_t off = 0;
	for (size_t i = 0; i < ps->n; i++) {
		int n = snprintf(ps->requests + off, total + 1 - off, fmt, ps->paths[i], host_header, extra);
		ps->req_off[i] = off;
		ps->req_len[i] = (uint32_t)n;
		off += (size_t)n;
	}
	return 0;
}
