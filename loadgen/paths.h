/* The URIs a run requests, and their prebuilt request bytes.
 *
 * Every request of a run is one of these strings, built once at start, so
 * sending a request is a pointer and a length: no formatting, no allocation. */
#ifndef LG_PATHS_H
#define LG_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PATH_MAX_LEN 4096

struct path_set {
	size_t n, cap;
	char **paths;          /* "/a/b.html", as requested */
	char *requests;        /* all request strings, back to back */
	size_t *req_off;
	uint32_t *req_len;
};

void paths_init(struct path_set *ps);
void paths_free(struct path_set *ps);

/* Adds one URI path (must start with '/', printable ASCII, no spaces).
 * Returns 0, or -1 with one line in err. */
int paths_add(struct path_set *ps, const char *path, size_t len, char *err, size_t errlen);

/* Loads an index file: one URI path per line, the first whitespace-separated
 * field; blank lines and lines starting with '#' are skipped. Anything else
 * that is not a path is an error naming the file and line. An index with no
 * path is an error too. */
int paths_load_index(struct path_set *ps, const char *file, char *err, size_t errlen);

/* Builds "GET <path> HTTP/1.1\r\nHost: <host>\r\n[Connection: close\r\n]\r\n"
 * for every path. */
int paths_build_requests(struct path_set *ps, const char *host_header, bool conn_close,
			 char *err, size_t errlen);

static inline const char *paths_request(const struct path_set *ps, uint32_t i, uint32_t *len)
{
	*len = ps->req_len[i];
	return ps->requests + ps->req_off[i];
}

#endif
