# CSV helpers for awk (POSIX awk / mawk), loaded with -f before a program.
# Fields may be quoted ("a,b" and "" inside quotes), one record per line.
#
#   n = csv_split(line, f)     f[1..n] = the fields, unquoted
#   csv_quote(s)               s, quoted only if it needs it
#   csv_header(line)           fills COL[name] = index, NCOL, NAME[i]
#   csv_get(f, name)           field by column name, "" if the column is absent

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

function csv_get(f, name) {
	return (name in COL) ? f[COL[name]] : ""
}
