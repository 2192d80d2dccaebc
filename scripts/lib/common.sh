# Shared pieces of the measurement scripts (run-point.sh, sweep.sh, profile.sh).
# Sourced, never run. Needs bash.
#
# The two sides of a measurement, "srv" and "cli", are reached through one
# function, run_side, so the same scripts drive the local lab and two hosts:
#
#   local (default)   run_side srv cmd...  ==  ip netns exec $LAB-srv cmd...
#                     (or cmd... itself while LAB is unset: machine-wide facts)
#   SERVER_HOST=h     run_side srv cmd...  ==  ssh h 'cmd...'   (same for CLIENT_HOST)
#   CLIENT_HOSTS="a b c"  several client hosts: run_side cli reaches the first
#                     (facts: CPU count, files); run-point.sh runs loadgen on
#                     each, with its share of the load (docs/sweeps.md).
#                     CLIENT_HOST=h run_side cli ... reaches one of them.
#
# On remote hosts the suite is expected at the same path ($BB_REMOTE_DIR,
# default this checkout), built there, with the page sets generated there.

BB_ROOT=${BB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BB_REMOTE_DIR=${BB_REMOTE_DIR:-$BB_ROOT}
SSH=${SSH:-ssh}
SSH_OPTS=${SSH_OPTS:--o BatchMode=yes -o ConnectTimeout=10}

bb_log() { printf '%s\n' "$*" >&2; }
bb_die() { printf '%s: %s\n' "${BB_PROG:-bypassbench}" "$*" >&2; exit 1; }

# The host a side lives on, empty for the local lab.
side_host() {
	case $1 in
	srv) printf '%s' "${SERVER_HOST:-}" ;;
	cli) local first
		read -r first _ <<<"${CLIENT_HOSTS:-}"
		printf '%s' "${CLIENT_HOST:-$first}" ;;
	*) bb_die "side_host: unknown side '$1'" ;;
	esac
}

is_remote() { [ -n "${SERVER_HOST:-}${CLIENT_HOST:-}${CLIENT_HOSTS:-}" ]; }

# The client hosts, one per line: CLIENT_HOSTS, or CLIENT_HOST alone.
client_hosts() {
	local h
	for h in ${CLIENT_HOSTS:-${CLIENT_HOST:-}}; do printf '%s\n' "$h"; done
}

# Several client hosts and one client host are two ways to say where the
# load comes from: one of them.
client_hosts_check() {
	if [ -n "${CLIENT_HOSTS:-}" ] && [ -n "${CLIENT_HOST:-}" ]; then
		bb_die "set CLIENT_HOSTS (several client hosts) or CLIENT_HOST (one), not both"
	fi
	if [ -n "${CLIENT_HOSTS:-}" ] && [ "$(client_hosts | sort | uniq -d)" != "" ]; then
		bb_die "CLIENT_HOSTS names a host twice: '$CLIENT_HOSTS'"
	fi
	return 0
}

# Words quoted so a remote POSIX shell reads them back unchanged.
shell_quote() {
	local out="" a
	for a in "$@"; do
		out+="'${a//\'/\'\\\'\'}' "
	done
	printf '%s' "${out% }"
}

# side_argv srv|cli cmd... : sets SIDE_ARGV to the command line that runs cmd
# on that side. Started in the background ("${SIDE_ARGV[@]}" &), $! is then
# the process itself (ip netns exec or ssh), not a subshell around it.
side_argv() {
	local side=$1 host
	shift
	host=$(side_host "$side")
	if [ -n "$host" ]; then
		# shellcheck disable=SC2206
		SIDE_ARGV=($SSH $SSH_OPTS "$host" "cd $(shell_quote "$BB_REMOTE_DIR") && $(shell_quote "$@")")
	elif [ -n "${LAB:-}" ]; then
		SIDE_ARGV=(ip netns exec "$LAB-$side" "$@")
	else
		SIDE_ARGV=("$@") # no lab yet: machine-wide facts (CPU count, metadata)
	fi
}

# run_side srv|cli cmd... : run a command on that side (namespace or host).
run_side() {
	local SIDE_ARGV
	side_argv "$@"
	"${SIDE_ARGV[@]}"
}

# Expands "0-2,5" into "0 1 2 5".
cpu_list_expand() {
	local part a b out=""
	for part in ${1//,/ }; do
		if [[ $part == *-* ]]; then
			a=${part%-*} b=${part#*-}
			while [ "$a" -le "$b" ]; do out+="$a "; a=$((a + 1)); done
		else
			out+="$part "
		fi
	done
	printf '%s' "${out% }"
}

cpu_list_count() { local l; l=$(cpu_list_expand "$1"); set -- $l; echo $#; }

# "0 1 2" -> "0,1,2"
cpu_list_join() { local IFS=,; printf '%s' "$*"; }

# The page set folder and its URI index (written by `make corpus`, see tools/).
# A page set is a name under build/pages or any folder; the index is the first
# of the known names that exists, else every file of the folder, listed into
# $2 (a file the caller owns).
pageset_dir() {
	case $1 in
	/*|./*|../*) printf '%s' "$1" ;;
	*) printf '%s' "${PAGES_DIR:-$BB_ROOT/build/pages}/$1" ;;
	esac
}

pageset_index() { # set, fallback-output-file -> prints the index path
	local dir f
	dir=$(pageset_dir "$1")
	for f in "$dir.index" "$dir/index.txt" "$dir/INDEX" "$dir/uris.txt" "$dir.uris"; do
		[ -f "$f" ] && { printf '%s' "$f"; return 0; }
	done
	[ -d "$dir" ] || return 1
	(cd "$dir" && find . -type f ! -name '.*' | sed 's|^\.||' | sort) >"$2"
	[ -s "$2" ] || return 1
	printf '%s' "$2"
}

# Largest page in a set, in bytes (chooses nginx's and lighttpd's send path).
pageset_max_bytes() {
	local dir
	dir=$(pageset_dir "$1")
	find "$dir" -type f -printf '%s\n' 2>/dev/null | sort -n | tail -n 1
}

# Duration formatting for progress lines: 75 -> 1m15s
fmt_secs() {
	local s=$1
	if [ "$s" -ge 3600 ]; then printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60))
	elif [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60))
	else printf '%ds' "$s"; fi
}

# The CPU split (which CPUs each side gets): its own file.
source "$BB_ROOT/scripts/lib/cpu-plan.sh"
