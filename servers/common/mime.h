/* Content-Type of a page, chosen by the extension of its file name. */
#ifndef BB_MIME_H
#define BB_MIME_H

#include <stddef.h>

/* Never NULL: "application/octet-stream" when the extension is unknown. */
const char *mime_type_for_path(const char *path, size_t len);

#endif
