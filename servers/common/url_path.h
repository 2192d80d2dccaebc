/* From a request-target to the normalised path the page cache is keyed by. */
#ifndef BB_URL_PATH_H
#define BB_URL_PATH_H

#include <stddef.h>

enum url_path_result {
	URL_PATH_OK,
	URL_PATH_BAD,       /* malformed (bad escape, %00, a byte outside
			     * visible ASCII), or climbs above the root: 400 */
	URL_PATH_NOT_FOUND, /* well-formed but names no file (%2F): 404 */
};

/* The byte an escape "%XX" at p stands for, or -1 unless p[1] and p[2] are
 * hex digits. p[2] is read only when p[1] is one, so on a NUL-terminated
 * string it never reads past the end. */
int url_percent_byte(const char *p);

/* Room `out` needs for a target of `len` bytes. */
#define URL_PATH_OUT_SIZE(len) ((len) + 2)

/* Turns an origin-form ("/a/b?q") or absolute-form ("http://host/a/b")
 * target into a decoded, normalised absolute path ("/a/b"): query
 * stripped, %XX decoded, "." / ".." / empty segments resolved. The result
 * always starts with '/' and has no "." or ".." segment, so it can never
 * name anything outside the page folder. A trailing '/' is kept ("/d/"
 * asks for a folder's index). `out` needs URL_PATH_OUT_SIZE(len) bytes. */
enum url_path_result url_path_normalise(const char *target, size_t len,
					char *out, size_t *out_len);

#endif
