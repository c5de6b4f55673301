#!/usr/bin/env bash
# Builds a tools disk holding Debian's i386 iperf3 and the shared libraries it needs, so
# the busybox guest can run a real, independently written network peer:
#
#   /iperf3                       runs iperf3 through the disk's own dynamic loader
#   /usr/bin/iperf3, /lib, /usr/lib   unpacked from Debian's i386 packages
#   /VERSIONS                     each package and its exact version
#
# The guest has no /lib/ld-linux.so.2 of its own (busybox is static), so /iperf3 starts the
# disk's loader with --library-path pointing into the disk: mounted anywhere, read-only,
#   mount -o ro /dev/vdb /mnt/tools && /mnt/tools/iperf3 --version
# works with no chroot (iperf3 then sees the guest's /dev/urandom and /tmp). From the CLI,
# against the host's own `iperf3 -s --bind 127.0.0.1` over user-mode networking:
#   npm run vm -- --net user --device virtio-blk,file=IMAGE,readonly=on --exec \
#     'mkdir -p /mnt/tools && mount -o ro /dev/vda /mnt/tools && /mnt/tools/iperf3 -c 10.0.2.2'
#
# Usage: images/tools/build-iperf3-disk.sh [--refresh]
# Prints the image's path on stdout: $RINGSIDE_IPERF3_CACHE (default .cache/iperf3-disk)
# /<iperf3 version>-<hash of this script>/iperf3.img, with VERSIONS beside it. A second run
# finds it and does nothing, without asking the network. --refresh asks apt for Debian's
# current packages again. Packages are fetched with apt here, at build time (apt-get
# download needs no root); nothing downloads when a machine boots. The image is a cache,
# never committed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${RINGSIDE_IPERF3_CACHE:-$here/../../.cache/iperf3-disk}"
refresh=0
case "${1:-}" in
--refresh) refresh=1 ;;
"") ;;
*) echo "build-iperf3-disk.sh: unknown option $1" >&2; exit 2 ;;
esac

export SOURCE_DATE_EPOCH=1757116800 E2FSPROGS_FAKE_TIME=1757116800 LC_ALL=C TZ=UTC
log() { echo "build-iperf3-disk.sh: $*" >&2; }

# iperf3's own Depends (apt-cache depends iperf3 libiperf0): libiperf0 -> libc6, libsctp1,
# libssl3. iperf3 also depends on adduser and debconf, which only its postinst (a system
# service's user) needs. The ELF check below fails the build if a library is missing here.
packages=(iperf3 libiperf0 libsctp1 libssl3 libc6)

for tool in mke2fs readelf dpkg-deb apt-get flock; do
	command -v "$tool" >/dev/null || { log "needs $tool (Debian packages e2fsprogs, binutils, dpkg, apt, util-linux)"; exit 1; }
done

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
# Several test files may ask at once: one builds, the others wait and find its image.
exec 9>"$cache/lock"
flock 9

inputs="$(sha256sum "$here/build-iperf3-disk.sh" | cut -c1-12)"
if [ "$refresh" -eq 0 ]; then
	for dir in "$cache"/*-"$inputs"; do
		if [ -f "$dir/iperf3.img" ] && [ -f "$dir/VERSIONS" ]; then echo "$dir/iperf3.img"; exit 0; fi
	done
fi

# apt with lists and downloads of its own, seeing only i386, so the host's apt state is
# left alone and no foreign architecture needs adding (as images/stock/build-stock.sh does).
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/debs"
apt_opts=(-q -o APT::Architecture=i386 -o APT::Architectures::=i386
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o APT::Sandbox::User=root
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
log "asking apt for Debian's i386 ${packages[*]}"
# A mirror caught mid-sync fails one suite's index: what did arrive is still usable.
apt-get "${apt_opts[@]}" update >&2 || log "apt-get update reported errors; going on with the lists it has"
show="$(apt-cache "${apt_opts[@]}" show --no-all-versions "${packages[@]/%/:i386}")"
declare -A version
for p in "${packages[@]}"; do
	v="$(awk -v p="$p" '$1 == "Package:" { mine = ($2 == p) } mine && $1 == "Version:" { print $2; exit }' <<<"$show")"
	[ -n "$v" ] || { log "apt knows no i386 package $p (no network, or no bookworm in the sources?)"; exit 1; }
	version[$p]="$v"
done
out="$cache/${version[iperf3]//[:~]/_}-$inputs"
if [ -f "$out/iperf3.img" ] && [ -f "$out/VERSIONS" ]; then echo "$out/iperf3.img"; exit 0; fi

debs="$cache/debs"
wanted=()
for p in "${packages[@]}"; do wanted+=("$p:i386=${version[$p]}"); done
log "downloading ${wanted[*]}"
# Exact versions; apt-get download leaves a .deb already here with the right checksum.
(cd "$debs" && apt-get "${apt_opts[@]}" download "${wanted[@]}" >&2)

work="$cache/work"
rm -rf "$work" "$out.partial"
mkdir -p "$work/root" "$out.partial"
root="$work/root"
files=()
for p in "${packages[@]}"; do
	# apt's file names: package_version_arch.deb, with an epoch's colon as %3a.
	deb="$debs/${p}_${version[$p]//:/%3a}_i386.deb"
	[ -f "$deb" ] || { log "apt-get download left no $deb"; exit 1; }
	files+=("$deb")
	dpkg-deb -x "$deb" "$root"
done

# Only what runs is kept, and each package's copyright (the licences travel with the
# binaries): no manuals, locales, changelogs, or glibc's character-set modules, which
# iperf3 never loads.
find "$root/usr/share" -mindepth 1 -maxdepth 1 ! -name doc -exec rm -rf {} +
find "$root/usr/share/doc" -type f ! -name copyright -delete
find "$root/usr/share/doc" -type l -delete
rm -rf "$root/usr/lib/i386-linux-gnu/gconv" "$root/etc" "$root/sbin" "$root/usr/sbin" "$root/usr/libexec" "$root/lib/systemd" "$root/usr/lib/systemd"

# The loader's path and the library folders, as Debian's i386 libc6 lays them out.
loader=lib/ld-linux.so.2
[ -e "$root/$loader" ] || { log "libc6:i386 ${version[libc6]} has no /$loader: its layout changed, update this script"; exit 1; }
libdirs=(/lib/i386-linux-gnu /usr/lib/i386-linux-gnu)

# Every library iperf3 needs, directly or through another, must be on the disk: check each
# NEEDED entry against the staged folders, so a new dependency fails here, not in the guest.
check=(usr/bin/iperf3)
declare -A seen
while [ ${#check[@]} -gt 0 ]; do
	elf="${check[0]}"
	check=("${check[@]:1}")
	for need in $(readelf -d "$root/$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -z "${seen[$need]:-}" ] || continue
		found=""
		for d in "${libdirs[@]}"; do [ -e "$root$d/$need" ] && found="${d#/}/$need" && break; done
		[ -n "$found" ] || { log "$elf needs $need, which none of ${packages[*]} provides: add its package to this script"; exit 1; }
		seen[$need]=1
		check+=("$found")
	done
done
log "libraries: ${!seen[*]}"

cat >"$root/iperf3" <<EOF
#!/bin/sh
# Debian's i386 iperf3 from this disk, through the disk's own loader and libraries (the
# guest's busybox userland has none). Written by images/tools/build-iperf3-disk.sh.
d=\$(dirname "\$0")
exec "\$d/$loader" --library-path "\$d${libdirs[0]}:\$d${libdirs[1]}" "\$d/usr/bin/iperf3" "\$@"
EOF
chmod 0755 "$root/iperf3"
for deb in "${files[@]}"; do echo "$(dpkg-deb -f "$deb" Package):i386 $(dpkg-deb -f "$deb" Version)"; done >"$out.partial/VERSIONS"
cp "$out.partial/VERSIONS" "$root/VERSIONS"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# ext2 (built into ringside's kernel and Debian's), sized to the files plus room for the
# filesystem's own blocks; mke2fs -d copies the tree in without a mount.
kib=$(($(du -sk "$root" | cut -f1) * 5 / 4 + 2048))
mke2fs -q -t ext2 -b 1024 -L ringside-iperf3 -U 52494e47-0000-4000-8000-000000000003 \
	-E root_owner=0:0,hash_seed=52494e47-0000-4000-8000-000000000003 -d "$root" -F "$out.partial/iperf3.img" "${kib}k"
rm -rf "$out" && mv "$out.partial" "$out"
rm -rf "$work"
# Only the newest build is kept, with its .debs.
for old in "$cache"/*-????????????/; do [ "${old%/}" = "$out" ] || rm -rf "$old"; done
for deb in "$debs"/*.deb; do
	keep=0
	for f in "${files[@]}"; do [ "$deb" = "$f" ] && keep=1; done
	[ "$keep" -eq 1 ] || rm -f "$deb"
done
log "built $out/iperf3.img ($(du -h --apparent-size "$out/iperf3.img" | cut -f1)):"
cat "$out/VERSIONS" >&2
echo "$out/iperf3.img"
