/* HTTP/1.x core, sans-I/O (http_core.h): bytes in, "what to send" out.
 *
 * How a request is handled:
 *
 *   1. Find the end of the header section (the first empty line). Only the
 *      bytes that arrived since the last call are searched: parser->scanned
 *      remembers how far the previous calls got, so feeding a request one
 *      byte at a time costs the same as feeding it whole.
 *   2. Once it is complete, parse the request line and the header fields in
 *      one pass (like picohttpparser, errors are found on complete sections;
 *      the one exception is an invalid method, rejected on its first byte so
 *      that a TLS hello or other garbage gets its 400 at once).
 *   3. Decide the reply: a page, or a prebuilt error page. Every error but
 *      404 closes the connection.
 *
 * Line endings: RFC 9112 §2.2 lets a recipient recognise a single LF as a
 * line terminator (ignoring a preceding CR). We do, as nginx and
 * picohttpparser do; a CR anywhere else (a "bare CR") is a 400.
 *
 * Request bodies (a GET with Content-Length, rare but legal): the reply is
 * held back until the whole body is in the buffer, and the consumed count
 * then covers head + body, so the next pipelined request starts right after
 * it. While the body is incomplete, parser->scanned holds the head length
 * and parser->body_to_skip the body length. A body that could not fit in
 * the HTTP_MAX_HEADER_BYTES buffer an engine is promised to need gets a 413
 * and a close instead. Transfer-Encoding (chunked bodies) gets a 501. */
#include <string.h>
#include <strings.h>
#include "http_core.h"
#include "url_path.h"

/* No method we know is longer (RFC 9110 §9.1: a server SHOULD answer 501
 * to a method longer than any it implements). */
#define HTTP_MAX_METHOD 24
/* Larger than any body we could hold; stops overflow in the arithmetic. */
#define HTTP_MAX_CONTENT_LENGTH ((size_t)1 << 40)

/* tchar (RFC 9110 §5.6.2): the characters of methods and field names. */
static const unsigned char is_tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1,
};

/* What the header section says, once parsed. */
struct request {
	const char *method;
	size_t method_len;
	const char *target;
	size_t target_len;
	int minor_version;          /* 0 or 1 (1.2 .. 1.9 are treated as 1.1) */
	int host_count;
	bool has_content_length;
	size_t content_length;
	bool transfer_encoding;
	bool connection_close;      /* "close" in Connection */
	bool connection_keep_alive; /* "keep-alive" in Connection */
};

void http_parser_init(struct http_parser *p)
{
	p->scanned = 0;
	p->body_to_skip = 0;
}

/* ---- framing: where does the request start and its header section end ---- */

/* RFC 9112 §2.2: a server SHOULD ignore empty lines before a request line
 * (some clients send a CRLF after a body). Returns the offset of the first
 * byte of the request line, or len when there is none yet (this includes a
 * CR as the last byte: its LF may be on its way). */
static size_t skip_empty_lines(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (buf[i] == '\n')
			i++;
		else if (buf[i] == '\r' && i + 1 == len)
			return len;
		else if (buf[i] == '\r' && buf[i + 1] == '\n')
			i += 2;
		else
			break;
	}
	return i;
}

/* Returns the offset just after the empty line that ends the header
 * section, or 0 if it has not arrived. Resumes where the previous call
 * stopped (p->scanned): whether an LF ends an empty line depends only on
 * the bytes before it, so no byte is looked at twice. */
static size_t find_head_end(struct http_parser *p, const char *buf,
			    size_t start, size_t len)
{
	size_t i = p->scanned > start ? p->scanned : start;

	while (i < len) {
		const char *lf = memchr(buf + i, '\n', len - i);
		if (!lf)
			break;
		size_t at = (size_t)(lf - buf);
		/* buf[start] is no LF (skip_empty_lines), so at > start. */
		if (buf[at - 1] == '\n' ||
		    (buf[at - 1] == '\r' && at >= start + 2 && buf[at - 2] == '\n'))
			return at + 1;
		i = at + 1;
	}
	p->scanned = len;
	return 0;
}

/* The method is checked as soon as its first bytes arrive (see the top).
 * Returns 0 if buf[0..len) is, so far, a valid method followed (perhaps
 * later) by SP, else the error status; *method_len is set once the SP
 * has been seen. The complete-section parse uses it too, so both paths
 * always agree. */
static int check_method(const char *buf, size_t len, size_t *method_len)
{
	*method_len = 0;
	for (size_t i = 0; i < len && i <= HTTP_MAX_METHOD; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == ' ' && i > 0) {
			*method_len = i;
			return 0;
		}
		if (!is_tchar[c])
			return 400;
		if (i == HTTP_MAX_METHOD)
			return 501;
	}
	return 0;
}

/* The header section is over the limit: 414 when the request-target (as
 * far as it has arrived within the limit) is already too long, else 431. */
static int oversize_status(const char *buf, size_t start, size_t len)
{
	size_t window = len < HTTP_MAX_HEADER_BYTES ? len : HTTP_MAX_HEADER_BYTES;
	if (start >= window)
		return 431;
	const char *line = buf + start;
	size_t n = window - start;
	const char *sp = memchr(line, ' ', n);
	if (!sp)
		return 431;
	size_t target = (size_t)(sp - line) + 1, end = target;
	while (end < n && line[end] != ' ' && line[end] != '\r' && line[end] != '\n')
		end++;
	return end - target > HTTP_MAX_TARGET ? 414 : 431;
}

/* ---- parsing a complete header section ---- */

/* The line starting at `pos` (the section is complete, so it ends before
 * `end`). Sets *line_end to where its content stops (before CR LF or LF)
 * and returns the start of the next line. */
static size_t next_line(const char *buf, size_t pos, size_t end, size_t *line_end)
{
	const char *lf = memchr(buf + pos, '\n', end - pos);
	size_t at = (size_t)(lf - buf);

	*line_end = at > pos && buf[at - 1] == '\r' ? at - 1 : at;
	return at + 1;
}

/* "HTTP/1.1": returns 0 and sets the minor version, 505 for a well-formed
 * version we do not speak, 400 for anything else. */
static int parse_version(const char *v, size_t len, int *minor)
{
	if (len != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	/* RFC 9110 §6.2: a higher minor version is treated as the highest we
	 * implement. */
	*minor = v[7] == '0' ? 0 : 1;
	return 0;
}

static int parse_request_line(const char *buf, size_t pos, size_t line_end,
			      struct request *r)
{
	const char *line = buf + pos;
	size_t n = line_end - pos;

	int status = check_method(line, n, &r->method_len);
	if (status)
		return status;
	if (r->method_len == 0)
		return 400; /* no SP after the method */
	r->method = line;

	size_t t = r->method_len + 1;
	const char *sp = memchr(line + t, ' ', n - t);
	if (!sp)
		return 400; /* "GET /" (HTTP/0.9) or a missing version */
	r->target = line + t;
	r->target_len = (size_t)(sp - r->target);
	if (r->target_len > HTTP_MAX_TARGET)
		return 414;
	if (r->target_len == 0)
		return 400; /* two spaces in a row */
	for (size_t i = 0; i < r->target_len; i++) {
		unsigned char c = (unsigned char)r->target[i];
		if (c <= ' ' || c >= 0x7f)
			return 400; /* controls, NUL, CR, non-ASCII: not in a URI */
	}
	size_t v = t + r->target_len + 1;
	return parse_version(line + v, n - v, &r->minor_version);
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Connection is a comma-separated list of case-insensitive tokens. */
static void parse_connection(const char *v, size_t len, struct request *r)
{
	size_t i = 0;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t start = i;
		while (i < len && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (name_is(v + start, i - start, "close"))
			r->connection_close = true;
		else if (name_is(v + start, i - start, "keep-alive"))
			r->connection_keep_alive = true;
	}
}

/* Content-Length = 1*DIGIT. A list ("5, 5") or a second Content-Length
 * field is refused outright: disagreeing lengths are how requests get
 * smuggled past proxies (RFC 9112 §6.3). */
static int parse_content_length(const char *v, size_t len, struct request *r)
{
	if (r->has_content_length || len == 0)
		return 400;
	size_t value = 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 400;
		value = value * 10 + (size_t)(v[i] - '0');
		if (value > HTTP_MAX_CONTENT_LENGTH)
			return 413;
	}
	r->has_content_length = true;
	r->content_length = value;
	return 0;
}

static int parse_header_line(const char *buf, size_t pos, size_t line_end,
			     struct request *r)
{
	const char *line = buf + pos;
	size_t n = line_end - pos;

	/* A line starting with whitespace continues the previous one
	 * (obs-fold); RFC 9112 §5.2 lets a server reject it with 400. */
	size_t colon = 0;
	while (colon < n && is_tchar[(unsigned char)line[colon]])
		colon++;
	if (colon == 0 || colon == n || line[colon] != ':')
		return 400; /* empty name, no colon, or a bad character before it
			       (including whitespace: RFC 9112 §5.1 MUST reject) */

	/* field-value, without its leading and trailing whitespace (OWS). */
	size_t vs = colon + 1, ve = n;
	while (vs < ve && (line[vs] == ' ' || line[vs] == '\t'))
		vs++;
	while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
		ve--;
	for (size_t i = vs; i < ve; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return 400; /* NUL, bare CR and other controls */
	}

	const char *name = line, *value = line + vs;
	size_t value_len = ve - vs;
	if (name_is(name, colon, "host")) {
		if (++r->host_count > 1)
			return 400; /* RFC 9112 §3.2: MUST answer 400 */
	} else if (name_is(name, colon, "connection")) {
		parse_connection(value, value_len, r);
	} else if (name_is(name, colon, "content-length")) {
		return parse_content_length(value, value_len, r);
	} else if (name_is(name, colon, "transfer-encoding")) {
		r->transfer_encoding = true;
	}
	return 0;
}

/* Parses buf[start..head_end), a complete header section. Returns 0 or
 * the error status. */
static int parse_head(const char *buf, size_t start, size_t head_end,
		      struct request *r)
{
	size_t line_end;
	size_t pos = next_line(buf, start, head_end, &line_end);

	int status = parse_request_line(buf, start, line_end, r);
	if (status)
		return status;

	for (;;) {
		size_t next = next_line(buf, pos, head_end, &line_end);
		if (line_end == pos)
			break; /* the empty line */
		status = parse_header_line(buf, pos, line_end, r);
		if (status)
			return status;
		pos = next;
	}

	if (r->minor_version == 1 && r->host_count == 0)
		return 400; /* RFC 9112 §3.2: MUST answer 400 */
	if (r->transfer_encoding)
		return 501; /* no chunked bodies: we cannot find the next request */
	return 0;
}

/* ---- deciding the reply ---- */

static bool wants_close(const struct request *r)
{
	if (r->connection_close)
		return true;
	/* HTTP/1.0 closes unless asked not to; 1.1 keeps alive unless asked. */
	return r->minor_version == 0 && !r->connection_keep_alive;
}

static bool method_is(const struct request *r, const char *m)
{
	return r->method_len == strlen(m) && memcmp(r->method, m, r->method_len) == 0;
}

static ssize_t reply_error(struct http_parser *p, const struct page_cache *pc,
			   int status, bool head_only, size_t consumed,
			   struct http_reply *reply)
{
	reply->page = page_cache_error(pc, status);
	reply->head_only = head_only;
	reply->close = true;
	http_parser_init(p);
	return (ssize_t)consumed;
}

ssize_t http_handle(struct http_parser *p, const struct page_cache *pc,
		    const char *buf, size_t len, struct http_reply *reply)
{
	if (p->scanned > len)
		http_parser_init(p); /* not the buffer we were given before */

	/* 1. Framing: where the request starts and its header section ends. */
	size_t head_end;
	size_t start = skip_empty_lines(buf, len);
	if (p->body_to_skip) {
		/* The head was complete last time; waiting for its body. */
		if (len - p->scanned < p->body_to_skip)
			return HTTP_INCOMPLETE;
		head_end = p->scanned;
	} else {
		if (start == len)
			return len >= HTTP_MAX_HEADER_BYTES ?
				reply_error(p, pc, 431, false, len, reply) :
				HTTP_INCOMPLETE;
		size_t method_len;
		int status = check_method(buf + start, len - start, &method_len);
		if (status)
			return reply_error(p, pc, status, false, len, reply);

		head_end = find_head_end(p, buf, start, len);
		if (head_end == 0 && len < HTTP_MAX_HEADER_BYTES)
			return HTTP_INCOMPLETE;
		if (head_end == 0 || head_end > HTTP_MAX_HEADER_BYTES)
			return reply_error(p, pc, oversize_status(buf, start, len),
					   false, len, reply);
	}

	/* 2. Parsing the complete header section. */
	struct request r = { 0 };
	int status = parse_head(buf, start, head_end, &r);
	bool head_only = method_is(&r, "HEAD"); /* even when it failed */
	if (status)
		return reply_error(p, pc, status, head_only, head_end, reply);
	if (!head_only && !method_is(&r, "GET"))
		return reply_error(p, pc, 405, false, head_end, reply);

	/* 3. The page, or 404 (which keeps the connection: the client did
	 * nothing wrong, and it is the one error a benchmark may provoke). */
	char path[URL_PATH_OUT_SIZE(HTTP_MAX_TARGET)];
	size_t path_len;
	const struct page *page;
	switch (url_path_normalise(r.target, r.target_len, path, &path_len)) {
	case URL_PATH_OK:
		page = page_cache_lookup(pc, path, path_len);
		if (!page)
			page = page_cache_error(pc, 404);
		break;
	case URL_PATH_NOT_FOUND:
		page = page_cache_error(pc, 404);
		break;
	default:
		return reply_error(p, pc, 400, head_only, head_end, reply);
	}

	/* 4. A body, if any, is waited for and consumed with its request. */
	size_t consumed = head_end;
	if (r.content_length > 0) {
		if (r.content_length > HTTP_MAX_HEADER_BYTES - head_end)
			return reply_error(p, pc, 413, head_only, head_end, reply);
		consumed += r.content_length;
		if (len < consumed) {
			p->scanned = head_end;
			p->body_to_skip = r.content_length;
			return HTTP_INCOMPLETE;
		}
	}

	reply->page = page;
	reply->head_only = head_only;
	reply->close = wants_close(&r);
	http_parser_init(p);
	return (ssize_t)consumed;
}

int http_reply_iov(const struct http_reply *r, const struct http_clock *clk,
		   struct iovec iov[3])
{
	const struct page *p = r->page;

	iov[0].iov_base = (void *)p->response;
	iov[0].iov_len = p->head_len;
	iov[1].iov_base = (void *)http_clock_slot(clk, r->close);
	iov[1].iov_len = HTTP_SLOT_LEN;
	if (r->head_only || p->body_len == 0)
		return 2;
	iov[2].iov_base = (void *)page_body(p);
	iov[2].iov_len = p->body_len;
	return 3;
}
