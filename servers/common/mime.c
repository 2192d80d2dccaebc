/* Content-Type by file extension (case-insensitive). A short table is
 * enough: the pages are static sites and the benchmark's own page sets. */
#include <string.h>
#include <strings.h>
#include "mime.h"

static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" }, /* RFC 9239 */
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "svg", "image/svg+xml" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "webp", "image/webp" },
	{ "woff2", "font/woff2" },
	{ "woff", "font/woff" },
	{ "xml", "application/xml" },
	{ "pdf", "application/pdf" },
};

const char *mime_type_for_path(const char *path, size_t len)
{
	/* The extension is what follows the last '.' of the last segment. */
	size_t i = len;
	while (i > 0 && path[i - 1] != '.' && path[i - 1] != '/')
		i--;
	if (i == 0 || path[i - 1] != '.')
		return "application/octet-stream";

	const char *ext = path + i;
	size_t ext_len = len - i;
	for (size_t k = 0; k < sizeof(mime_types) / sizeof(mime_types[0]); k++) {
		if (strlen(mime_types[k].ext) == ext_len &&
		    strncasecmp(ext, mime_types[k].ext, ext_len) == 0)
			return mime_types[k].type;
	}
	return "application/octet-stream";
}
