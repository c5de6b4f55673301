#!/usr/bin/env bash
# Rebuilds the guest images in images/ from Debian packages:
#   bzImage      Linux from linux-source-6.1, 32-bit, every virtio driver built in
#   initrd.img   busybox-static (i386) initramfs, uncompressed cpio, with randread and e2fsprogs
#                (one xz archive, unpacked in the guest on first use)
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

# Every file goes into the archive from a staging folder with its time stamp pinned:
# gen_init_cpio keeps a file's own mtime, which for a checkout is the time of the checkout.
stage="$work/stage"
rm -rf "$stage" && mkdir -p "$stage"
cp -a "$here/rootfs" "$stage/rootfs"
cp "$busybox" "$stage/busybox"

list="$work/initramfs.list"
sed -e "s|@ROOTFS@|$stage/rootfs|g" -e "s|@BUSYBOX@|$stage/busybox|g" "$here/initramfs.list" >"$list"
# Links only for the applets run by path before /proc is mounted or by init itself. The
# kernel unpacks each archive entry at a cost far above its bytes (270 applet links were
# about 0.15 s of a boot), so rc.boot makes the other links once the shell is up, in the
# background; busybox's shell runs an applet by name without its link all along.
# The i386 binary runs on an x86-64 host; --list-full gives each applet's install path.
early_applets=(bin/sh bin/mount bin/umount sbin/reboot sbin/poweroff sbin/halt)
# Listed once: `grep -q` on the pipe would stop reading early and fail the pipeline.
applets="$("$busybox" --list-full)"
for path in "${early_applets[@]}"; do
	grep -qxF "$path" <<<"$applets" || { log "busybox has no applet $path"; exit 1; }
	echo "slink /$path /bin/busybox 0777 0 0"
done >>"$list"

# e2fsprogs (mkfs.ext4, e2fsck) from Debian's i386 packages with the few libraries they
# load: busybox has only an ext2 mke2fs and no fsck. About 4 MB, dominated by libc, so they
# ship as one xz archive that rootfs/usr/sbin/e2fsprogs unpacks on first use: unpacked,
# they cost every boot the kernel's copy of them and sit in the instant shell's saved RAM.
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
# The archive's tree, as it lands under / in the guest. The tools' names are links in
# usr/lib/e2fsprogs, so that the name they run by (mkfs.ext4) reaches them.
e2tree="$stage/e2fsprogs"
mkdir -p "$e2tree/lib" "$e2tree/lib/i386-linux-gnu" "$e2tree/usr/lib/i386-linux-gnu" "$e2tree/usr/lib/e2fsprogs" "$e2tree/etc"
for lib in "${e2libs[@]}"; do cp "$(readlink -f "$e2root/$lib")" "$e2tree/$lib"; done
ln -s i386-linux-gnu/ld-linux.so.2 "$e2tree/lib/ld-linux.so.2"
cp "$e2root/etc/mke2fs.conf" "$e2tree/etc/mke2fs.conf"
cp "$e2root/sbin/mke2fs" "$e2root/sbin/e2fsck" "$e2tree/usr/lib/e2fsprogs/"
for name in mkfs.ext2 mkfs.ext3 mkfs.ext4; do ln -s mke2fs "$e2tree/usr/lib/e2fsprogs/$name"; done
# ext2/3/4 are the only filesystems a disk here will have, so fsck is e2fsck.
for name in fsck fsck.ext2 fsck.ext3 fsck.ext4; do ln -s e2fsck "$e2tree/usr/lib/e2fsprogs/$name"; done
# Reproducible: sorted names, pinned times and owners; a 4 MiB window is the whole tree
# (xz's -9 would make the guest's unxz allocate 64 MiB).
find "$e2tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
tar -C "$e2tree" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -cf - lib usr etc |
	xz --check=crc32 --lzma2=preset=9e,dict=4MiB >"$stage/e2fsprogs.tar.xz"
# The archive is a second cpio archive after the first one's trailer, which the kernel
# unpacks as well: a machine without a disk is given the first one alone (src/machine/
# initrd-parts.ts), since it has nothing to format or check.
e2list="$work/initramfs-e2fsprogs.list"
echo "file /usr/lib/e2fsprogs.tar.xz $stage/e2fsprogs.tar.xz 0644 0 0" >"$e2list"
{
	echo "dir /usr/lib 0755 0 0"
	echo "file /usr/sbin/e2fsprogs $stage/rootfs/usr/sbin/e2fsprogs 0755 0 0"
	for name in mke2fs mkfs.ext2 mkfs.ext3 mkfs.ext4 e2fsck fsck fsck.ext2 fsck.ext3 fsck.ext4; do
		echo "slink /usr/sbin/$name e2fsprogs 0777 0 0"
	done
} >>"$list"
for p in e2fsprogs libc6 libblkid1; do cp "$e2root/usr/share/doc/$p/copyright" "$out/licenses/$p-copyright"; done

# randread: 4 KiB O_DIRECT random reads for the disk benchmark (images/tools/randread.c).
gcc -m32 -O2 -static -nostdlib -ffreestanding -fno-builtin -fno-pic -no-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -Wall -Wextra -Werror -Wl,--build-id=none -s \
	-o "$stage/randread" "$here/tools/randread.c"
echo "file /usr/bin/randread $stage/randread 0755 0 0" >>"$list"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# Uncompressed: unpacking a gzip initramfs took the kernel about 0.6 s under emulation,
# longer than loading the extra megabyte (images/README.md has the figures).
# gen_init_cpio pads each archive to 512 bytes, so the second starts on a block boundary.
{
	"$ksrc/usr/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" "$list"
	"$ksrc/usr/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" "$e2list"
} >"$out/initrd.img"

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
