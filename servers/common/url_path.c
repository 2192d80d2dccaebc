/* Percent-decoding and path normalisation (url_path.h).
 *
 * The order matters for safety: each segment is decoded FIRST and only then
 * compared with "." and "..", so "%2e%2e" is a ".." like any other and
 * there is no second decoding pass that could turn "%252e" into a dot.
 * Decisions, so every server answers alike:
 *   - ".." that would climb above the root: 400 (browsers resolve dot
 *     segments before sending, so only a hostile or broken client does it);
 *   - "%2F" (an encoded '/'): 404, since no file name can contain '/';
 *   - "%00", a bad escape ("%zz", "%4"), or a '#' in the target: 400. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include "url_path.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int url_percent_byte(const char *p)
{
	int hi = hex_value(p[1]);
	int lo = hi >= 0 ? hex_value(p[2]) : -1;
	return lo >= 0 ? hi << 4 | lo : -1;
}

/* absolute-form "http://host:port/path?q" -> "/path?q" (or "" when the
 * authority is all there is). Returns false if the scheme or authority is
 * unusable. RFC 9112 §3.2.2: a server MUST accept absolute-form; the host
 * in it is not checked because every host gets the same pages here. */
static bool skip_scheme_and_authority(const char **target, size_t *len)
{
	static const char *const schemes[] = { "http://", "https://" };

	for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++) {
		size_t n = strlen(schemes[k]);
		if (*len < n || strncasecmp(*target, schemes[k], n) != 0)
			continue;
		size_t i = n;
		while (i < *len && (*target)[i] != '/' && (*target)[i] != '?')
			i++;
		if (i == n)
			return false; /* "http:///x": no host */
		*target += i;
		*len -= i;
		return true;
	}
	return false;
}

enum url_path_result url_path_normalise(const char *target, size_t len,
					char *out, size_t *out_len)
{
	if (len == 0)
		return URL_PATH_BAD;
	if (target[0] != '/' && !skip_scheme_and_authority(&target, &len))
		return URL_PATH_BAD; /* "*", authority-form, or garbage */

	/* The path ends where the query starts. */
	const char *query = memchr(target, '?', len);
	size_t path_len = query ? (size_t)(query - target) : len;
	if (memchr(target, '#', len))
		return URL_PATH_BAD; /* a fragment is never sent (RFC 9112 §3.2) */

	/* `out` is built as "/" followed by "segment/" per kept segment; the
	 * last slash is dropped at the end unless the target named a folder. */
	size_t o = 1;
	out[0] = '/';
	bool encoded_slash = false;
	bool names_folder = true; /* "" (absolute-form "http://h") is "/" */
	size_t i = path_len > 0 && target[0] == '/' ? 1 : 0;

	while (i < path_len) {
		/* One raw segment: target[i .. end). */
		size_t end = i;
		while (end < path_len && target[end] != '/')
			end++;

		size_t seg = o; /* decode straight into out */
		for (size_t k = i; k < end; k++) {
			char c = target[k];
			if ((unsigned char)c <= ' ' || (unsigned char)c >= 0x7f)
				return URL_PATH_BAD; /* http_core already refuses these */
			if (c == '%') {
				if (k + 2 >= end)
					return URL_PATH_BAD; /* "%" or "%4" at the end */
				int byte = url_percent_byte(target + k);
				if (byte < 0)
					return URL_PATH_BAD;
				c = (char)byte;
				if (c == '\0')
					return URL_PATH_BAD;
				if (c == '/')
					encoded_slash = true;
				k += 2;
			}
			out[o++] = c;
		}
		size_t seg_len = o - seg;

		if (seg_len == 0 || (seg_len == 1 && out[seg] == '.')) {
			o = seg; /* "//" and "/./" name the same folder */
			names_folder = true;
		} else if (seg_len == 2 && out[seg] == '.' && out[seg + 1] == '.') {
			if (seg == 1)
				return URL_PATH_BAD; /* would climb above the root */
			o = seg - 1; /* back over "parent/" to just after its '/' */
			while (out[o - 1] != '/')
				o--;
			names_folder = true;
		} else {
			out[o++] = '/';
			names_folder = false;
		}
		/* A trailing '/' after the last segment: an empty last segment. */
		if (end == path_len - 1 && target[end] == '/')
			names_folder = true;
		i = end + 1;
	}

	if (!names_folder)
		o--; /* drop the slash after a file name */
	if (encoded_slash)
		return URL_PATH_NOT_FOUND;
	*out_len = o;
	return URL_PATH_OK;
}
