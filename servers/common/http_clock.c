/* Per-worker Date/Connection slot: see http_clock.h and page_cache.h. */
#include <string.h>
#include "http_clock.h"

/* Spelled out rather than strftime("%a, %d %b ..."): HTTP dates are always
 * English and GMT (RFC 9110 §5.6.7), whatever the process locale says. */
static const char day_names[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char month_names[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT": always 29 characters. */
#define IMF_FIXDATE_LEN 29

static char *put_digits(char *out, int value, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + value % 10);
		value /= 10;
	}
	return out + width;
}

static char *put_text(char *out, const char *s)
{
	size_t n = strlen(s);
	memcpy(out, s, n);
	return out + n;
}

/* Writes exactly IMF_FIXDATE_LEN characters (no NUL). */
static void format_imf_fixdate(char *out, time_t t)
{
	struct tm tm;

	/* A year outside 0..9999 would not fit the fixed width; such a clock
	 * is broken anyway, so show the epoch rather than a malformed header. */
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	out = put_text(out, day_names[tm.tm_wday]);
	out = put_text(out, ", ");
	out = put_digits(out, tm.tm_mday, 2);
	out = put_text(out, " ");
	out = put_text(out, month_names[tm.tm_mon]);
	out = put_text(out, " ");
	out = put_digits(out, tm.tm_year + 1900, 4);
	out = put_text(out, " ");
	out = put_digits(out, tm.tm_hour, 2);
	out = put_text(out, ":");
	out = put_digits(out, tm.tm_min, 2);
	out = put_text(out, ":");
	out = put_digits(out, tm.tm_sec, 2);
	put_text(out, " GMT");
}

void http_clock_format_slot(char *out, time_t t, bool close)
{
	char *o = put_text(out, "Date: ");
	format_imf_fixdate(o, t);
	o += IMF_FIXDATE_LEN;
	/* "close" is padded to the width of "keep-alive": trailing whitespace
	 * in a field value is optional whitespace (OWS) that recipients strip,
	 * and a fixed width lets one stored response take either slot. */
	o = put_text(o, close ? "\r\nConnection: close     \r\n\r\n"
			      : "\r\nConnection: keep-alive\r\n\r\n");
	(void)o; /* o == out + HTTP_SLOT_LEN, as the unit tests check */
}

void http_clock_init(struct http_clock *c, time_t now)
{
	c->second = now;
	http_clock_format_slot(c->keep_alive, now, false);
	c->keep_alive[HTTP_SLOT_LEN] = '\0';
	http_clock_format_slot(c->close, now, true);
	c->close[HTTP_SLOT_LEN] = '\0';
}

bool http_clock_tick(struct http_clock *c, time_t now)
{
	/* keep_alive[0] is '\0' only in a clock that was zeroed, never built. */
	if (c->second == now && c->keep_alive[0] != '\0')
		return false;
	http_clock_init(c, now);
	return true;
}
