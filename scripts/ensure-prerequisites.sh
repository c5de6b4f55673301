#!/bin/sh
# What `npm test` needs from Debian besides node_modules: Chromium for the browser tests
# (/usr/bin/chromium), gcc for the guest tests' attack tool (images/tools/build-attack.sh
# builds it with -m32 -nostdlib, so no 32-bit libraries are needed), and the compressors
# and mke2fs the boot-file checks' tests make real files with, and tcpdump, the pcapng
# reader the packet-capture test checks ringside's captures with, and iperf3, the native
# server the guest's iperf3 (tests/guest/iperf3.test.ts) measures user-mode networking
# against. Installs the missing ones with apt-get when running as root; otherwise stops
# at once with the command to run.
set -eu
missing=""
need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || missing="$missing $2"
}
need /usr/bin/chromium chromium
need gcc gcc
need xz xz-utils
need lz4 lz4
need zstd zstd
need bzip2 bzip2
need mke2fs e2fsprogs
need iperf3 iperf3
need /usr/bin/tcpdump tcpdump
[ -z "$missing" ] && exit 0
missing=${missing# }
if [ "$(id -u)" -ne 0 ]; then
	echo "ensure-prerequisites: missing Debian packages: $missing" >&2
	echo "run: sudo apt-get install -y $missing" >&2
	exit 1
fi
echo "ensure-prerequisites: installing $missing"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
