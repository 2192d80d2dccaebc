/* Per-worker Date/Connection slot (see page_cache.h for the layout).
 *
 * Each worker owns one http_clock; http_clock_tick() rewrites its two slots
 * at most once per second. No shared mutable state between workers. */
#ifndef BB_HTTP_CLOCK_H
#define BB_HTTP_CLOCK_H

#include <stdbool.h>
#include <time.h>
#include "page_cache.h"

struct http_clock {
	time_t second;                      /* the second the slots show */
	char keep_alive[HTTP_SLOT_LEN + 1]; /* "...Connection: keep-alive\r\n\r\n" */
	char close[HTTP_SLOT_LEN + 1];      /* "...Connection: close     \r\n\r\n" */
};

/* Writes the HTTP_SLOT_LEN bytes of a slot for time `t` (no NUL added).
 * The page cache uses it, with t = 0, for its placeholder slots. */
void http_clock_format_slot(char *out, time_t t, bool close);

/* Builds both slots for `now`. A zeroed http_clock is also fine:
 * its first http_clock_tick() builds them. */
void http_clock_init(struct http_clock *c, time_t now);

/* Rebuilds the slots if `now` is a different second. Returns true if it did. */
bool http_clock_tick(struct http_clock *c, time_t now);

static inline const char *http_clock_slot(const struct http_clock *c, bool close)
{
	return close ? c->close : c->keep_alive;
}

#endif
