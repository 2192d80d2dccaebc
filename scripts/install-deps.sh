#!/bin/sh
# Installs, idempotently and non-interactively, every Debian package the
# build, the tests, the sweeps and `make format` use.
set -eu
PACKAGES="
  build-essential pkg-config clang llvm libclang-rt-14-dev clang-format
  liburing-dev libbpf-dev libxdp-dev bpftool xdp-tools libcmocka-dev
  iproute2 iputils-ping ethtool procps psmisc curl apache2-utils nghttp2-client wrk iperf3
  nginx lighttpd gnuplot-nox fonts-liberation linux-perf tcpdump python3
"
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing:$missing; run 'make deps' as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx and lighttpd only serve as reference servers started by the scripts:
# do not let their packages start system-wide daemons on port 80.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $missing
echo "deps: installed:$missing"
