/* Incremental HTTP/1.x response parser: see http_response.h. */
#include "http_response.h"

#include <string.h>

enum {
	S_VERSION,       /* "HTTP/1." */
	S_MINOR,         /* one digit */
	S_STATUS_SP,     /* at least one SP */
	S_STATUS,        /* three digits */
	S_REASON,        /* anything up to LF */
	S_LINE_START,    /* a header line or the empty line */
	S_NAME,
	S_VALUE,
	S_VALUE_LF,      /* CR seen at the end of a header line */
	S_HEAD_END_LF,   /* CR seen on the empty line */
	S_BODY,          /* Content-Length bytes */
	S_BODY_EOF,      /* everything until the server closes */
	S_CHUNK_SIZE,
	S_CHUNK_EXT,
	S_CHUNK_SIZE_LF,
	S_CHUNK_DATA,
	S_CHUNK_DATA_CR,
	S_CHUNK_DATA_LF,
	S_TRAILER_START,
	S_TRAILER_LINE,
	S_TRAILER_END_LF,
	S_DONE,
};

/* The only headers a client has to understand to find the end of a body. */
enum { H_NONE = 0xff, H_CONTENT_LENGTH = 0, H_TRANSFER_ENCODING, H_CONNECTION, H_COUNT };
static const char *const header_names[H_COUNT] = {
	"content-length", "transfer-encoding", "connection",
};
static const uint8_t header_lens[H_COUNT] = { 14, 17, 10 };

enum { T_CHUNKED, T_CLOSE, T_KEEP_ALIVE, T_COUNT };
static const char *const token_names[T_COUNT] = { "chunked", "close", "keep-alive" };
static const uint8_t token_lens[T_COUNT] = { 7, 5, 10 };

static const char version_prefix[] = "HTTP/1.";

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	r->state = S_VERSION;
	r->header = H_NONE;
}

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* RFC 9110 tchar: the characters a header name may contain. A table: the
 * parser asks for every byte of every header name. */
#define TCHAR_PUNCT(c)                                                                      \
	((c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || (c) == '\'' || \
	 (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' || (c) == '^' || (c) == '_' ||  \
	 (c) == '`' || (c) == '|' || (c) == '~')
#define TCHAR(c)                                                                          \
	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') || \
	 TCHAR_PUNCT(c))
#define TCHAR_ROW(b)                                                                             \
	TCHAR(b + 0), TCHAR(b + 1), TCHAR(b + 2), TCHAR(b + 3), TCHAR(b + 4), TCHAR(b + 5),      \
		TCHAR(b + 6), TCHAR(b + 7), TCHAR(b + 8), TCHAR(b + 9), TCHAR(b + 10), TCHAR(b + 11), \
		TCHAR(b + 12), TCHAR(b + 13), TCHAR(b + 14), TCHAR(b + 15)
static const bool tchar_table[256] = {
	TCHAR_ROW(0),  TCHAR_ROW(16), TCHAR_ROW(32), TCHAR_ROW(48),
	TCHAR_ROW(64), TCHAR_ROW(80), TCHAR_ROW(96), TCHAR_ROW(112),
};

static inline bool is_tchar(unsigned char c)
{
	return tchar_table[c];
}

/* Which interesting header a complete name is (H_NONE for the others). */
static uint8_t header_named(const char *name, size_t len)
{
	for (int h = 0; h < H_COUNT; h++) {
		if (len != header_lens[h])
			continue;
		size_t k = 0;
		while (k < len && lower(name[k]) == header_names[h][k])
			k++;
		if (k == len)
			return (uint8_t)h;
	}
	return H_NONE;
}

/* The bytes the parser has no use for, consumed in one go: most of a
 * response head is header names and values no client needs (Server, Date,
 * ETag...), and byte-at-a-time state transitions over them were most of
 * loadgen's user-space time. Returns how many of p[0..n) to skip: in a
 * reason phrase up to CR/LF, in an uninteresting value up to CR/LF/NUL, in
 * a name no interesting header can match any more up to a non-tchar. */
static size_t skip_run(uint8_t state, const char *p, size_t n)
{
	size_t i = 0;

	if (state == S_NAME) {
		while (i < n && is_tchar((unsigned char)p[i]))
			i++;
		return i;
	}
	for (;;) {
		/* Eight bytes at a time while none is below 14 (CR is 13, LF 10,
		 * NUL 0: a word without such a byte has no stop in it). */
		while (i + 8 <= n) {
			uint64_t x;
			memcpy(&x, p + i, 8);
			if ((x - 0x0e0e0e0e0e0e0e0eull) & ~x & 0x8080808080808080ull)
				break;
			i += 8;
		}
		/* Then byte by byte through that word (a TAB stops it too). */
		size_t end = i + 8 < n ? i + 8 : n;
		for (; i < end; i++)
			if (p[i] == '\r' || p[i] == '\n' || (p[i] == '\0' && state != S_REASON))
				return i;
		if (i >= n)
			return n;
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static ssize_t fail(struct http_response *r, const char *why)
{
	r->error = why;
	return -1;
}

/* A token of Connection or Transfer-Encoding ended: remember what it was. */
static void token_end(struct http_response *r)
{
	if (!r->tok_len)
		return;
	bool is[T_COUNT];
	for (int t = 0; t < T_COUNT; t++)
		is[t] = (r->tok_match & (1u << t)) && r->tok_len == token_lens[t];
	if (r->header == H_TRANSFER_ENCODING) {
		r->last_tok_chunked = is[T_CHUNKED];
	} else if (r->header == H_CONNECTION) {
		if (is[T_CLOSE])
			r->conn_close = true;
		if (is[T_KEEP_ALIVE])
			r->conn_keep_alive = true;
	}
	r->tok_len = 0;
	r->tok_match = (1u << T_COUNT) - 1;
}

static void token_char(struct http_response *r, char c)
{
	c = lower(c);
	for (int t = 0; t < T_COUNT; t++)
		if (r->tok_len >= token_lens[t] || token_names[t][r->tok_len] != c)
			r->tok_match &= (uint8_t)~(1u << t);
	if (r->tok_len < UINT8_MAX)
		r->tok_len++;
}

/* One byte of a header value. tok_len doubles as the Content-Length phase:
 * 0 before the digits, 1 in them, 2 in the whitespace after them. */
static int value_char(struct http_response *r, char c)
{
	bool ws = c == ' ' || c == '\t';

	switch (r->header) {
	case H_CONTENT_LENGTH:
		if (ws) {
			if (r->tok_len == 1)
				r->tok_len = 2;
			return 0;
		}
		if (c < '0' || c > '9' || r->tok_len == 2)
			return -1;
		if (r->value > (UINT64_MAX - 9) / 10)
			return -1;
		r->value = r->value * 10 + (uint64_t)(c - '0');
		r->tok_len = 1;
		return 0;
	case H_TRANSFER_ENCODING:
	case H_CONNECTION:
		if (ws || c == ',')
			token_end(r);
		else
			token_char(r, c);
		return 0;
	default:
		return 0;
	}
}

static int header_end(struct http_response *r)
{
	switch (r->header) {
	case H_CONTENT_LENGTH:
		if (r->tok_len == 0)
			return -1;
		if (r->has_length && r->content_length != r->value)
			return -1; /* two different lengths: a smuggling classic */
		r->has_length = true;
		r->content_length = r->value;
		break;
	case H_TRANSFER_ENCODING:
		r->te_seen = true;
		token_end(r);
		break;
	case H_CONNECTION:
		token_end(r);
		break;
	}
	r->header = H_NONE;
	return 0;
}

/* The header section is complete: decide how the body is delimited. */
static void head_end(struct http_response *r)
{
	if (r->status >= 100 && r->status < 200 && r->status != 101) {
		/* Interim response (100 Continue, 103 Early Hints): the real one
		 * follows on the same connection. */
		uint64_t bytes = r->bytes;
		http_response_init(r);
		r->bytes = bytes;
		return;
	}
	r->keep_alive = r->minor >= 1 ? !r->conn_close : (r->conn_keep_alive && !r->conn_close);
	if (r->status == 204 || r->status == 304 || r->status == 101) {
		r->state = S_DONE;
	} else if (r->te_seen) {
		r->chunked = r->last_tok_chunked;
		if (r->chunked) {
			r->state = S_CHUNK_SIZE;
			r->value = 0;
			r->seen_digit = false;
		} else {
			r->state = S_BODY_EOF; /* a coding we cannot delimit: read to close */
			r->keep_alive = false;
		}
	} else if (r->has_length) {
		r->remaining = r->content_length;
		r->state = r->remaining ? S_BODY : S_DONE;
	} else {
		r->state = S_BODY_EOF;
		r->keep_alive = false;
	}
}

static size_t take_body(struct http_response *r, const char *p, size_t avail,
			http_body_fn on_body, void *ctx)
{
	size_t n = avail;
	if (r->state != S_BODY_EOF && r->remaining < n)
		n = (size_t)r->remaining;
	if (on_body && n)
		on_body(ctx, p, n);
	r->body_bytes += n;
	if (r->state != S_BODY_EOF)
		r->remaining -= n;
	return n;
}

ssize_t http_response_parse(struct http_response *r, const char *buf, size_t len,
			    http_body_fn on_body, void *ctx)
{
	size_t i = 0;

	if (r->state == S_DONE)
		return 0;
	while (i < len) {
		/* Bodies go in bulk; everything else byte by byte. */
		if (r->state == S_BODY || r->state == S_CHUNK_DATA || r->state == S_BODY_EOF) {
			size_t n = take_body(r, buf + i, len - i, on_body, ctx);
			i += n;
			r->bytes += n;
			if (r->state == S_BODY && !r->remaining)
				r->state = S_DONE;
			else if (r->state == S_CHUNK_DATA && !r->remaining)
				r->state = S_CHUNK_DATA_CR;
			if (r->state == S_DONE)
				break;
			continue;
		}

		if (r->state == S_REASON || (r->state == S_VALUE && r->header == H_NONE) ||
		    (r->state == S_NAME && !r->candidates)) {
			/* Never past the head's limit: the byte beyond it fails below. */
			size_t room = HTTP_RESPONSE_MAX_HEAD - r->head_bytes;
			size_t n = skip_run(r->state, buf + i, len - i < room ? len - i : room);
			i += n;
			r->bytes += n;
			r->head_bytes += (uint32_t)n;
			if (r->state == S_NAME)
				r->name_len = r->name_len + n < UINT8_MAX ? (uint8_t)(r->name_len + n) : UINT8_MAX;
			if (i == len)
				break;
		}

		char c = buf[i++];
		r->bytes++;
		if (r->state < S_BODY && ++r->head_bytes > HTTP_RESPONSE_MAX_HEAD)
			return fail(r, "response header section too large");

		switch (r->state) {
		case S_VERSION:
			if (r->name_len == 0 && len - i >= 11 && HTTP_RESPONSE_MAX_HEAD - r->head_bytes >= 11 &&
			    !memcmp(buf + i - 1, version_prefix, sizeof(version_prefix) - 1) &&
			    buf[i + 6] >= '0' && buf[i + 6] <= '9' && buf[i + 7] == ' ' &&
			    buf[i + 8] >= '0' && buf[i + 8] <= '9' && buf[i + 9] >= '0' &&
			    buf[i + 9] <= '9' && buf[i + 10] >= '0' && buf[i + 10] <= '9') {
				/* The usual status line, "HTTP/1.x DDD", in one step; what
				 * follows the code goes through S_STATUS as ever. */
				r->minor = buf[i + 6] - '0';
				r->status = (buf[i + 8] - '0') * 100 + (buf[i + 9] - '0') * 10 +
					    (buf[i + 10] - '0');
				r->tok_len = 3;
				r->name_len = 1; /* a space was seen */
				r->state = S_STATUS;
				i += 11;
				r->bytes += 11;
				r->head_bytes += 11;
				break;
			}
			if (c != version_prefix[r->name_len])
				return fail(r, "status line does not start with HTTP/1.");
			if (++r->name_len == sizeof(version_prefix) - 1) {
				r->state = S_MINOR;
				r->name_len = 0;
			}
			break;
		case S_MINOR:
			if (c < '0' || c > '9')
				return fail(r, "bad HTTP version");
			r->minor = c - '0';
			r->state = S_STATUS_SP;
			break;
		case S_STATUS_SP:
			if (c != ' ') {
				if (!r->name_len)
					return fail(r, "no space after the HTTP version");
				if (c < '0' || c > '9')
					return fail(r, "bad status code");
				r->state = S_STATUS;
				r->status = c - '0';
				r->tok_len = 1;
				break;
			}
			r->name_len = 1;
			break;
		case S_STATUS:
			if (r->tok_len < 3) {
				if (c < '0' || c > '9')
					return fail(r, "bad status code");
				r->status = r->status * 10 + (c - '0');
				r->tok_len++;
				break;
			}
			if (c == ' ' || c == '\t') {
				r->state = S_REASON;
			} else if (c == '\r') {
				r->state = S_VALUE_LF; /* CRLF right after the code */
			} else if (c == '\n') {
				r->state = S_LINE_START;
			} else {
				return fail(r, "bad status code");
			}
			r->tok_len = 0;
			break;
		case S_REASON:
			if (c == '\n')
				r->state = S_LINE_START;
			else if (c == '\r')
				r->state = S_VALUE_LF;
			break;
		case S_LINE_START:
			if (c == '\r') {
				r->state = S_HEAD_END_LF;
			} else if (c == '\n') {
				head_end(r);
			} else if (is_tchar((unsigned char)c)) {
				/* The usual case: the whole name and its colon are in
				 * this buffer, so it is looked up once, not matched
				 * byte by byte against every interesting name. */
				size_t room = HTTP_RESPONSE_MAX_HEAD - r->head_bytes;
				size_t n = skip_run(S_NAME, buf + i, len - i < room ? len - i : room);
				if (n < room && i + n < len && buf[i + n] == ':') {
					r->header = header_named(buf + i - 1, n + 1);
					i += n + 1;
					r->bytes += n + 1;
					r->head_bytes += (uint32_t)(n + 1);
					r->state = S_VALUE;
					r->value = 0;
					r->tok_len = 0;
					r->tok_match = (1u << T_COUNT) - 1;
					break;
				}
				r->state = S_NAME;
				r->name_len = 0;
				r->candidates = (1u << H_COUNT) - 1;
				goto name_char;
			} else {
				return fail(r, (c == ' ' || c == '\t') ? "obsolete header line folding"
								       : "bad header name");
			}
			break;
		case S_NAME:
			if (c == ':') {
				r->header = H_NONE;
				for (int h = 0; h < H_COUNT; h++)
					if ((r->candidates & (1u << h)) && r->name_len == header_lens[h])
						r->header = (uint8_t)h;
				r->state = S_VALUE;
				r->value = 0;
				r->tok_len = 0;
				r->tok_match = (1u << T_COUNT) - 1;
				break;
			}
			if (!is_tchar((unsigned char)c))
				return fail(r, "bad header name");
name_char:
			for (int h = 0; r->candidates && h < H_COUNT; h++)
				if (r->name_len >= header_lens[h] || header_names[h][r->name_len] != lower(c))
					r->candidates &= (uint8_t)~(1u << h);
			if (r->name_len < UINT8_MAX)
				r->name_len++;
			break;
		case S_VALUE:
			if (c == '\r' || c == '\n') {
				if (header_end(r) < 0)
					return fail(r, "bad Content-Length");
				r->state = c == '\r' ? S_VALUE_LF : S_LINE_START;
				break;
			}
			if (c == '\0')
				return fail(r, "NUL in a header value");
			if (value_char(r, c) < 0)
				return fail(r, "bad Content-Length");
			break;
		case S_VALUE_LF:
			if (c != '\n')
				return fail(r, "CR without LF in the header section");
			r->state = S_LINE_START;
			break;
		case S_HEAD_END_LF:
			if (c != '\n')
				return fail(r, "CR without LF at the end of the headers");
			head_end(r);
			break;
		case S_CHUNK_SIZE: {
			int d = hex_value(c);
			if (d >= 0) {
				if (r->value > (UINT64_MAX >> 4))
					return fail(r, "chunk size overflows");
				r->value = r->value * 16 + (uint64_t)d;
				r->seen_digit = true;
				break;
			}
			if (!r->seen_digit)
				return fail(r, "bad chunk size");
			if (c == ';' || c == ' ' || c == '\t')
				r->state = S_CHUNK_EXT;
			else if (c == '\r')
				r->state = S_CHUNK_SIZE_LF;
			else if (c == '\n')
				goto chunk_size_done;
			else
				return fail(r, "bad chunk size");
			break;
		}
		case S_CHUNK_EXT:
			if (c == '\r')
				r->state = S_CHUNK_SIZE_LF;
			else if (c == '\n')
				goto chunk_size_done;
			break;
		case S_CHUNK_SIZE_LF:
			if (c != '\n')
				return fail(r, "CR without LF after a chunk size");
chunk_size_done:
			if (r->value) {
				r->remaining = r->value;
				r->state = S_CHUNK_DATA;
			} else {
				r->state = S_TRAILER_START;
			}
			break;
		case S_CHUNK_DATA_CR:
			if (c == '\r')
				r->state = S_CHUNK_DATA_LF;
			else if (c == '\n')
				goto next_chunk;
			else
				return fail(r, "chunk data longer than its size");
			break;
		case S_CHUNK_DATA_LF:
			if (c != '\n')
				return fail(r, "CR without LF after chunk data");
next_chunk:
			r->state = S_CHUNK_SIZE;
			r->value = 0;
			r->seen_digit = false;
			break;
		case S_TRAILER_START:
			if (++r->head_bytes > HTTP_RESPONSE_MAX_HEAD)
				return fail(r, "chunked trailer too large");
			if (c == '\r')
				r->state = S_TRAILER_END_LF;
			else if (c == '\n')
				r->state = S_DONE;
			else
				r->state = S_TRAILER_LINE;
			break;
		case S_TRAILER_LINE:
			if (++r->head_bytes > HTTP_RESPONSE_MAX_HEAD)
				return fail(r, "chunked trailer too large");
			if (c == '\n')
				r->state = S_TRAILER_START;
			break;
		case S_TRAILER_END_LF:
			if (c != '\n')
				return fail(r, "CR without LF at the end of the trailer");
			r->state = S_DONE;
			break;
		default:
			return fail(r, "parser in an impossible state");
		}
		if (r->state == S_DONE)
			break;
	}
	if (r->state == S_DONE)
		r->done = true;
	return (ssize_t)i;
}

bool http_response_eof(struct http_response *r)
{
	if (r->state == S_BODY_EOF) {
		r->state = S_DONE;
		r->done = true;
		return true;
	}
	return false;
}
