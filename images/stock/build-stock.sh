#!/usr/bin/env bash
# Builds a guest that nobody here compiled: Debian's stock i386 kernel
# (linux-image-6.1.0-NN-686, the one Debian's linux-image-686 currently points at) with an
# initrd made from Debian packages: busybox-static and the kernel's own virtio modules,
# loaded by images/stock/init. Also fetches Debian's x86_64 kernel (cloud-amd64 flavour,
# the smallest) for the boot-file checks' tests, which must refuse it.
#
# Usage: images/stock/build-stock.sh [--refresh]
# Prints the folder holding vmlinuz, initrd.img, vmlinuz-amd64, kernel-release and
# VERSIONS on stdout (progress goes to stderr). The folder is
#   $RINGSIDE_STOCK_CACHE (default .cache/stock)/<kernel package version>-<inputs' hash>
# and a second run finds it and does nothing. --refresh asks apt for the current kernel
# again and builds anew when Debian has moved on. Packages are fetched with apt here, at
# build time; nothing downloads when a machine boots. Run as root on a Debian machine
# (apt-get installs a missing tool; apt-get download itself needs no root).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${RINGSIDE_STOCK_CACHE:-$here/../../.cache/stock}"
refresh=0
case "${1:-}" in
--refresh) refresh=1 ;;
"") ;;
*) echo "build-stock.sh: unknown option $1" >&2; exit 2 ;;
esac

# Pinned so the same packages give the same initrd (the date of Debian 12.12).
export SOURCE_DATE_EPOCH=1757116800 LC_ALL=C TZ=UTC
log() { echo "build-stock.sh: $*" >&2; }

need_packages() {
	local missing=()
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return
	log "installing ${missing[*]}"
	apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
}
need_packages kmod cpio zstd util-linux

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
# The guest tests and the unit tests may both run this at once: one builds, the other waits.
exec 9>"$cache/lock"
flock 9

# The output depends on this script, the init and the packages; the packages' version is
# in the folder's name, the rest in this hash.
inputs="$(cat "$here/build-stock.sh" "$here/init" | sha256sum | cut -c1-12)"
if [ "$refresh" -eq 0 ]; then
	for dir in "$cache"/*-"$inputs"; do
		if [ -f "$dir/VERSIONS" ]; then echo "$dir"; exit 0; fi
	done
fi

# apt with lists and downloads of its own, seeing i386 (the guest's) and amd64 packages,
# so the host's apt state is left alone and no foreign architecture needs adding.
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/debs"
apt_opts=(-q -o APT::Architecture=i386 -o APT::Architectures::=i386 -o APT::Architectures::=amd64
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o APT::Sandbox::User=root
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
log "asking apt for Debian's current kernels"
# A mirror caught mid-sync fails one suite's index: what did arrive is still usable.
apt-get "${apt_opts[@]}" update >&2 || log "apt-get update reported errors; going on with the lists it has"
# The metapackages name the current kernels exactly:
#   Depends: linux-image-6.1.0-50-686 (= 6.1.176-1)
# One apt-cache call (each reads all the lists, about a second).
show="$(apt-cache "${apt_opts[@]}" show --no-all-versions linux-image-686 linux-image-cloud-amd64:amd64 busybox-static:i386)"
field() { awk -v p="$1" -v f="$2:" '$1 == "Package:" { mine = ($2 == p) } mine && $1 == f { print $2, $4; exit }' <<<"$show" | tr -d ')'; }
read -r k686 v686 <<<"$(field linux-image-686 Depends)"
read -r k64 v64 <<<"$(field linux-image-cloud-amd64 Depends)"
read -r vbb _ <<<"$(field busybox-static Version)"
case "$k686/$k64/$vbb" in
linux-image-*-686/linux-image-*-cloud-amd64/?*) ;;
*) log "apt knows no linux-image-686, linux-image-cloud-amd64 or busybox-static (no network, or no bookworm in the sources?)"; exit 1 ;;
esac
out="$cache/$v686-$inputs"
if [ -f "$out/VERSIONS" ]; then echo "$out"; exit 0; fi

log "downloading $k686 $v686, $k64:amd64 $v64 and busybox-static:i386 $vbb"
debs="$cache/debs"
# Exact versions; apt-get download leaves a .deb already here with the right checksum.
(cd "$debs" && apt-get "${apt_opts[@]}" download "$k686:i386=$v686" "$k64:amd64=$v64" "busybox-static:i386=$vbb" >&2)
# apt's file names: package_version_arch.deb, with an epoch's colon as %3a.
deb686="$debs/${k686}_${v686//:/%3a}_i386.deb"
deb64="$debs/${k64}_${v64//:/%3a}_amd64.deb"
debbb="$debs/busybox-static_${vbb//:/%3a}_i386.deb"

work="$cache/work"
rm -rf "$work" "$out.partial"
mkdir -p "$work" "$out.partial"

# --- the kernels ------------------------------------------------------------------------
dpkg-deb -x "$deb686" "$work/k686"
release="${k686#linux-image-}"
cp "$work/k686/boot/vmlinuz-$release" "$out.partial/vmlinuz"
# Of the x86_64 package only its vmlinuz is wanted: take that one file from its data.
dpkg-deb --fsys-tarfile "$deb64" | tar -x -O --wildcards './boot/vmlinuz-*' >"$out.partial/vmlinuz-amd64"

# --- the modules, in load order -----------------------------------------------------------
# The package ships modules.builtin and modules.order but no modules.dep (its postinst
# makes one): depmod makes it in the unpacked tree, then modprobe lists what each driver
# needs before it as "insmod PATH" lines (-C /dev/null: none of the host's modprobe.d).
modroot="$work/k686/lib/modules/$release"
depmod -b "$work/k686" "$release"
drivers=(virtio_pci virtio_console virtio_blk virtio_net virtio_rng)
order="$(modprobe -C /dev/null -d "$work/k686" -S "$release" --show-depends -a "${drivers[@]}")"
stage="$work/stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,"lib/modules/$release"}
# Each driver's list repeats what they share (virtio.ko): keep every module once, first seen.
echo "$order" | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r path; do
	rel="${path#"$modroot"/}"
	mkdir -p "$(dirname "$stage/lib/modules/$release/$rel")"
	cp "$path" "$stage/lib/modules/$release/$rel"
	echo "$rel"
done >"$stage/lib/modules/$release/load-order"
# A driver built into the kernel would show as "builtin NAME": nothing to load, but say so.
echo "$order" | awk '$1 == "builtin" { print $2 }' | sort -u | while read -r name; do log "built in: $name"; done
log "modules: $(sed 's|.*/||' "$stage/lib/modules/$release/load-order" | tr '\n' ' ')"

# --- busybox and /init ------------------------------------------------------------------
dpkg-deb -x "$debbb" "$work/busybox"
cp "$work/busybox/bin/busybox" "$stage/bin/busybox"
# One symlink per applet, made here rather than by `busybox --install` at every boot. The
# i386 binary runs on an x86-64 host; --list-full gives each applet's path (sbin/insmod).
"$stage/bin/busybox" --list-full | while read -r path; do
	[ "$path" = bin/busybox ] || ln -s /bin/busybox "$stage/$path"
done
install -m 0755 "$here/init" "$stage/init"

# newc cpio (what the kernel unpacks), owned by root, with pinned times and inode numbers.
# No /dev/console in it: Debian builds its kernels with the kernel's default built-in
# initramfs, which has /dev/console, and this archive is unpacked over it.
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$stage" && find . -mindepth 1 | sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
	zstd -q -19 -T1 >"$out.partial/initrd.img"

# --- record ---------------------------------------------------------------------------
echo "$release" >"$out.partial/kernel-release"
cat >"$out.partial/VERSIONS" <<EOF
$k686:i386 $(dpkg-deb -f "$deb686" Version)
$k64:amd64 $(dpkg-deb -f "$deb64" Version)
busybox-static:i386 $(dpkg-deb -f "$debbb" Version)
EOF
rm -rf "$out" && mv "$out.partial" "$out"
rm -rf "$work"
# Only the newest build is kept, with its .debs (older ones are never booted again).
for old in "$cache"/*-????????????/; do [ "${old%/}" = "$out" ] || rm -rf "$old"; done
for deb in "$debs"/*.deb; do
	case "$deb" in "$deb686" | "$deb64" | "$debbb") ;; *) rm -f "$deb" ;; esac
done
log "built in $out:"
(cd "$out" && ls -l vmlinuz initrd.img vmlinuz-amd64 && cat VERSIONS) >&2
echo "$out"
