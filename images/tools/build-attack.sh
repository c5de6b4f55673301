#!/bin/sh
# Builds the in-guest attack tool (images/tools/attack/*.c) into .cache/attack/attack:
# a static, freestanding i386 program (raw int $0x80 system calls, no libc, no libgcc),
# so the host's stock gcc builds it with no 32-bit libraries installed. The guest tests
# (tests/support/attack-tool.ts) run this when the binary is missing or older than a
# source; the binary is never committed.
#   images/tools/build-attack.sh [OUTPUT]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$(cd "$here/../.." && pwd)/.cache/attack/attack"}
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
gcc -m32 -O2 -static -nostdlib -ffreestanding -fno-builtin -fno-pic -no-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -Wall -Wextra -Werror -Wl,--build-id=none -s \
	-o "$tmp" "$here"/attack/*.c
mv "$tmp" "$out"
trap - EXIT
echo "built $out ($(wc -c <"$out") bytes)"
