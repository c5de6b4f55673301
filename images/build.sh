#!/usr/bin/env bash
# Rebuilds the guest images in images/ from Debian packages:
#   bzImage      Linux from linux-source-6.1, 32-bit, every virtio driver built in
#   initrd.img   busybox-static (i386) initramfs, uncompressed cpio, with e2fsprogs and randread
#   bios.bin     SeaBIOS from Debian's seabios (no VGA BIOS: the guest console is serial)
# and writes images/SHA256SUMS and images/licenses/.
#
# Usage: images/build.sh [--compression xz|lz4|gzip] [--out DIR]
# Needs root for apt-get when a package is missing. Work happens in $RINGSIDE_BUILD_DIR
# (default /tmp/ringside-build); a second run reuses the unpacked kernel tree.
# The output is reproducible: timestamps, user and host are pinned below.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="${RINGSIDE_BUILD_DIR:-/tmp/ringside-build}"
out="$here"
# LZ4: fastest to decompress under emulation (measurements in images/README.md).
compression=lz4
while [ $# -gt 0 ]; do
	case "$1" in
	--compression) compression="$2"; shift 2 ;;
	--out) out="$2"; shift 2 ;;
	*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case "$compression" in xz | lz4 | gzip) ;; *) echo "build.sh: compression must be xz, lz4 or gzip" >&2; exit 2 ;; esac

# Pinned for reproducible output (the date of the Debian 12.12 point release).
export SOURCE_DATE_EPOCH=1757116800
export KBUILD_BUILD_TIMESTAMP="@$SOURCE_DATE_EPOCH"
export KBUILD_BUILD_USER=ringside KBUILD_BUILD_HOST=ringside KBUILD_BUILD_VERSION=1
export LC_ALL=C TZ=UTC

log() { echo "build.sh: $*" >&2; }

need_packages() {
	local missing=()
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return
	log "installing ${missing[*]}"
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}
need_packages linux-source-6.1 seabios gcc make flex bison bc libelf-dev libssl-dev xz-utils lz4 cpio gzip

mkdir -p "$work" "$out/licenses"

# --- kernel ---------------------------------------------------------------------------
src_tar=/usr/src/linux-source-6.1.tar.xz
kver="$(dpkg-query -W -f='${Version}' linux-source-6.1)"
ksrc="$work/linux-source-6.1"
if [ "$(cat "$work/kernel-version" 2>/dev/null)" != "$kver" ]; then
	log "unpacking linux-source-6.1 $kver"
	rm -rf "$ksrc"
	tar -C "$work" -xf "$src_tar"
	echo "$kver" >"$work/kernel-version"
fi

fragment="$work/fragment.config"
cp "$here/kernel.config" "$fragment"
for c in xz lz4 gzip; do
	C="$(echo "$c" | tr a-z A-Z)"
	if [ "$c" = "$compression" ]; then echo "CONFIG_KERNEL_$C=y"; else echo "# CONFIG_KERNEL_$C is not set"; fi
done >>"$fragment"

log "configuring: tinyconfig + images/kernel.config ($compression)"
make -C "$ksrc" -s ARCH=i386 tinyconfig >/dev/null
(cd "$ksrc" && ARCH=i386 scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null)
make -C "$ksrc" -s ARCH=i386 olddefconfig >/dev/null

# Every option asked for must have survived olddefconfig: a silently dropped one is a
# missing driver found much later.
lost=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$ksrc/.config" || { log "option lost: $line"; lost=1; } ;;
	"# CONFIG_"*" is not set")
		opt="${line#\# }"; opt="${opt%% *}"
		if grep -qE "^$opt=" "$ksrc/.config"; then log "option should be off: $(grep -E "^$opt=" "$ksrc/.config")"; lost=1; fi ;;
	esac
done <"$fragment"
[ "$lost" -eq 0 ] || { log "config check failed"; exit 1; }
log "config check: every option in images/kernel.config is in effect"

log "building bzImage (about 7 minutes on 2 cores)"
make -C "$ksrc" -s ARCH=i386 -j"$(nproc)" bzImage
cp "$ksrc/arch/x86/boot/bzImage" "$out/bzImage"
cp "$ksrc/COPYING" "$out/licenses/linux-COPYING"

# --- initramfs ------------------------------------------------------------------------
bbdir="$work/busybox"
mkdir -p "$bbdir/lists/partial" "$bbdir/cache/archives/partial"
apt_i386=(-o APT::Architecture=i386 -o APT::Architectures=i386
	-o "Dir::State::Lists=$bbdir/lists" -o "Dir::Cache=$bbdir/cache")
if ! ls "$bbdir"/busybox-static_*_i386.deb >/dev/null 2>&1; then
	log "downloading busybox-static:i386"
	apt-get -q "${apt_i386[@]}" update >/dev/null || true
	(cd "$bbdir" && apt-get -q "${apt_i386[@]}" download busybox-static:i386)
fi
deb="$(ls "$bbdir"/busybox-static_*_i386.deb | head -n1)"
rm -rf "$bbdir/root" && dpkg-deb -x "$deb" "$bbdir/root"
busybox="$bbdir/root/bin/busybox"
cp "$bbdir/root/usr/share/doc/busybox-static/copyright" "$out/licenses/busybox-copyright"

list="$work/initramfs.list"
sed -e "s|@ROOTFS@|$here/rootfs|g" -e "s|@BUSYBOX@|$busybox|g" "$here/initramfs.list" >"$list"
# One symlink per applet. The i386 binary runs on an x86-64 host; --list-full gives
# each applet's install path (bin/ls, sbin/ifconfig, ...).
"$busybox" --list-full | sort | while read -r path; do
	# e2fsprogs' mke2fs (below) replaces busybox's ext2-only one.
	case "$path" in bin/busybox | sbin/mke2fs | "") continue ;; esac
	echo "slink /$path /bin/busybox 0777 0 0"
done >>"$list"

# e2fsprogs (mkfs.ext4, e2fsck) from Debian's i386 packages with the few libraries they
# load: busybox has only an ext2 mke2fs and no fsck. About 4 MB, dominated by libc.
e2dir="$work/e2fsprogs"
e2debs=(e2fsprogs libext2fs2 libcom-err2 libblkid1 libuuid1 libc6)
mkdir -p "$e2dir"
for p in "${e2debs[@]}"; do
	if ! ls "$e2dir/${p}"_*_i386.deb >/dev/null 2>&1; then
		log "downloading $p:i386"
		apt-get -q "${apt_i386[@]}" update >/dev/null || true
		(cd "$e2dir" && apt-get -q "${apt_i386[@]}" download "$p:i386")
	fi
done
rm -rf "$e2dir/root"
for p in "${e2debs[@]}"; do dpkg-deb -x "$(ls "$e2dir/${p}"_*_i386.deb | head -n1)" "$e2dir/root"; done
e2root="$e2dir/root"
e2libs=(lib/i386-linux-gnu/ld-linux.so.2 lib/i386-linux-gnu/libc.so.6 lib/i386-linux-gnu/libext2fs.so.2
	lib/i386-linux-gnu/libcom_err.so.2 lib/i386-linux-gnu/libe2p.so.2 usr/lib/i386-linux-gnu/libblkid.so.1
	usr/lib/i386-linux-gnu/libuuid.so.1)
# Every library the tools need must be in the list: a missing one only shows in the guest.
for bin in sbin/mke2fs sbin/e2fsck "${e2libs[@]}"; do
	for needed in $(readelf -d "$e2root/$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		printf '%s\n' "${e2libs[@]}" | grep -q "/$needed\$" || { log "$bin needs $needed, not in e2libs"; exit 1; }
	done
done
{
	echo "dir /lib 0755 0 0"
	echo "dir /lib/i386-linux-gnu 0755 0 0"
	echo "dir /usr/lib 0755 0 0"
	echo "dir /usr/lib/i386-linux-gnu 0755 0 0"
	for lib in "${e2libs[@]}"; do echo "file /$lib $(readlink -f "$e2root/$lib") 0755 0 0"; done
	echo "slink /lib/ld-linux.so.2 i386-linux-gnu/ld-linux.so.2 0777 0 0"
	echo "file /etc/mke2fs.conf $e2root/etc/mke2fs.conf 0644 0 0"
	echo "file /usr/sbin/mke2fs $e2root/sbin/mke2fs 0755 0 0"
	echo "file /usr/sbin/e2fsck $e2root/sbin/e2fsck 0755 0 0"
	for name in mkfs.ext2 mkfs.ext3 mkfs.ext4; do echo "slink /usr/sbin/$name mke2fs 0777 0 0"; done
	# ext2/3/4 are the only filesystems a disk here will have, so fsck is e2fsck.
	for name in fsck fsck.ext2 fsck.ext3 fsck.ext4; do echo "slink /usr/sbin/$name e2fsck 0777 0 0"; done
} >>"$list"
for p in e2fsprogs libc6 libblkid1; do cp "$e2root/usr/share/doc/$p/copyright" "$out/licenses/$p-copyright"; done

# randread: 4 KiB O_DIRECT random reads for the disk benchmark (images/tools/randread.c).
gcc -m32 -O2 -static -nostdlib -ffreestanding -fno-builtin -fno-pic -no-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -Wall -Wextra -Werror -Wl,--build-id=none -s \
	-o "$work/randread" "$here/tools/randread.c"
echo "file /usr/bin/randread $work/randread 0755 0 0" >>"$list"

# Uncompressed: unpacking a gzip initramfs took the kernel about 0.6 s under emulation,
# longer than loading the extra megabyte (images/README.md has the figures).
"$ksrc/usr/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" "$list" >"$out/initrd.img"

# --- firmware -------------------------------------------------------------------------
cp /usr/share/seabios/bios.bin "$out/"
cp /usr/share/doc/seabios/copyright "$out/licenses/seabios-copyright"

# --- record ---------------------------------------------------------------------------
cat >"$out/VERSIONS" <<EOF
linux-source-6.1 $kver (compression: $compression)
busybox-static:i386 $(dpkg-deb -f "$deb" Version)
e2fsprogs:i386 $(dpkg-deb -f "$(ls "$e2dir"/e2fsprogs_*_i386.deb | head -n1)" Version), libc6:i386 $(dpkg-deb -f "$(ls "$e2dir"/libc6_*_i386.deb | head -n1)" Version)
seabios $(dpkg-query -W -f='${Version}' seabios)
EOF
(cd "$out" && sha256sum bzImage initrd.img bios.bin >SHA256SUMS)
log "done:"
cat "$out/SHA256SUMS" >&2
# The instant shell's snapshot (shell.state) holds a guest booted from the images: once one
# of them changes it is stale, and the page would refuse it (images/README.md).
if [ "$out" = "$here" ]; then
	stale=0
	while read -r sum file; do
		grep -q "\"$file\": \"$sum\"" "$here/shell.state.json" 2>/dev/null || stale=1
	done <"$out/SHA256SUMS"
	[ "$stale" -eq 0 ] || log "the images changed: make the instant shell's snapshot again with: npx tsx images/make-shell-state.ts"
fi
