# shellcheck shell=bash
# Shared by scripts/test and scripts/demo: install what is missing, then build in ./build.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$TOP/build"

# Debian packages the build and the tests need.
SETUP_PACKAGES=(gcc make autoconf automake libtool pkg-config libosip2-dev libconfuse-dev libpcre2-dev
	libc-ares-dev check sip-tester iproute2 netcat-openbsd tshark tcpdump python3 procps clang)

setup_packages() {
	local missing=() p
	for p in "${SETUP_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "Missing packages: ${missing[*]}" >&2
		echo "Run this script as root (sudo), or install them with apt-get." >&2
		return 1
	fi
	echo "Installing missing packages: ${missing[*]}"
	# tshark asks whether non-root users may capture; answer "no" up front so nothing prompts.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -q || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" || return 1
}

# Builds with the sanitizers in $BUILD; the log goes to $BUILD/build.log.
setup_build() {
	cd "$TOP" || return 1
	if [ -f "$TOP/config.status" ]; then
		echo "The source tree itself is configured; run 'make distclean' in $TOP first." >&2
		return 1
	fi
	mkdir -p "$BUILD"
	echo "Building in $BUILD (log: $BUILD/build.log)"
	{
		# A release tarball ships configure and no autogen.sh.
		{ [ ! -f ./autogen.sh ] || ./autogen.sh; } &&
			cd "$BUILD" &&
			"$TOP/configure" --enable-sanitizers &&
			make -j2
	} >"$BUILD/build.log.tmp" 2>&1
	local rc=$?
	mv "$BUILD/build.log.tmp" "$BUILD/build.log"
	cd "$TOP" || return 1
	if [ "$rc" != 0 ]; then
		tail -n 40 "$BUILD/build.log" >&2
		echo "The build failed." >&2
	fi
	return "$rc"
}
