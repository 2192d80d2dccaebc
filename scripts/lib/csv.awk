# CSV helpers for awk (POSIX awk / mawk), loaded with -f before a program.
# Fields may be quoted ("a,b" and "" inside quotes), one record per line.
#
#   n = csv_split(line, f)     f[1..n] = the fields, unquoted
#   csv_quote(s)               s, quoted only if it needs it
#   csv_header(line)           fills COL[name] = index, NCOL, NAME[i]
#   csv_get(f, name)           field by column name; else the value of name in
#                              the "labels" column (k=v;k=v); else ""

function csv_split(line, f,    n, i, c, q, cur, len) {
	sub(/\r$/, "", line)
	n = 0; cur = ""; q = 0; len = length(line)
	for (i = 1; i <= len; i++) {
		c = substr(line, i, 1)
		if (q) {
			if (c == "\"") {
				if (substr(line, i + 1, 1) == "\"") { cur = cur "\""; i++ }
				else q = 0
			} else cur = cur c
		} else if (c == "\"") q = 1
		else if (c == ",") { f[++n] = cur; cur = "" }
		else cur = cur c
	}
	f[++n] = cur
	return n
}

function csv_quote(s,    t) {
	if (s !~ /[",\n]/) return s
	t = s; gsub(/"/, "\"\"", t)
	return "\"" t "\""
}

function csv_header(line,    h, i) {
	NCOL = csv_split(line, h)
	for (i = 1; i <= NCOL; i++) { COL[h[i]] = i; NAME[i] = h[i] }
}

function csv_get(f, name,    l, n, i, kv) {
	if (name in COL) return f[COL[name]]
	# Not a column: maybe one of the key=value;key=value pairs of "labels".
	if (!("labels" in COL)) return ""
	n = split(f[COL["labels"]], l, ";")
	for (i = 1; i <= n; i++)
		if (index(l[i], name "=") == 1) return substr(l[i], length(name) + 2)
	return ""
}
