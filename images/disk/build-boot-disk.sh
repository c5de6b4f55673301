#!/usr/bin/env bash
# Builds a disk image that boots by itself through the firmware (SeaBIOS reads it through
# ringside's virtio-blk), from Debian's packages, without loop mounts or root:
#
#   MBR          syslinux's mbr.bin, a DOS partition table (disk identifier 0x52494e47)
#   partition 1  FAT16, 8 MiB, active: SYSLINUX (ldlinux.sys, ldlinux.c32), syslinux.cfg,
#                and ringside's kernel images/bzImage
#   partition 2  ext2, 56 MiB: the root filesystem, the same userspace as ringside's
#                initramfs (images/initrd.img unpacked: busybox, rootfs/, e2fsprogs), plus
#                /etc/ringside-boot-disk, a file only the disk has
#
# The kernel mounts partition 2 as / (root=PARTUUID=52494e47-02) with no initrd: ringside's
# kernel has virtio-blk and ext2 built in. Filesystems are written straight into the image
# file at their partition's offset (mkfs.fat --offset, mke2fs -E offset=, mtools' img@@offset,
# syslinux --offset), so nothing is ever mounted.
#
# Usage: images/disk/build-boot-disk.sh
# Prints the image's path on stdout: .cache/boot-disk/<key>/boot.img, where <key> is a hash
# of everything the image is made from (this script, the kernel, the initramfs, the tools'
# versions). Does nothing when that image is there and unchanged since it was built; an
# image changed since (booted read-write) is built again. Installs missing Debian tools
# with apt-get when run as root, and otherwise says what to install.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
images="$repo/images"
cache="$repo/.cache/boot-disk"
log() { echo "build-boot-disk: $*" >&2; }

# Every tool below is from one of these packages.
packages=(syslinux syslinux-common mtools dosfstools fdisk e2fsprogs cpio)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		log "missing Debian packages: ${missing[*]}"
		log "run: sudo apt-get install -y ${missing[*]}"
		exit 1
	fi
	log "installing ${missing[*]}"
	apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi

kernel="$images/bzImage"
initrd="$images/initrd.img"
# The cache key: a new kernel, initramfs, script or tool version makes a new image.
versions="$(dpkg-query -W -f='${Package} ${Version}\n' "${packages[@]}")"
key="$({ sha256sum "$0" "$kernel" "$initrd" | cut -d' ' -f1; echo "$versions"; } | sha256sum | cut -c1-16)"
out="$cache/$key"
current() { [ -f "$out/boot.img.sha256" ] && (cd "$out" && sha256sum --status -c boot.img.sha256 2>/dev/null); }
if current; then
	echo "$out/boot.img"
	exit 0
fi
[ -f "$out/boot.img" ] && log "$out/boot.img changed since it was built (booted read-write?): building it again"

# Pinned where the tools allow: file times, the FAT volume ID, the ext2 UUID and hash seed.
# The MBR and the boot partition come out byte for byte the same on every run; the root
# filesystem does not quite (mke2fs -d copies each staged file's change time, which only
# the clock sets). Nothing needs more: the image is a cache, never committed.
export SOURCE_DATE_EPOCH=1757116800 E2FSPROGS_FAKE_TIME=1757116800 LC_ALL=C TZ=UTC
# mtools refuses images whose FAT geometry it finds odd; this one is made for it.
export MTOOLS_SKIP_CHECK=1
mkdir -p "$cache"
# One build at a time (tests running side by side may all ask for the image).
exec 9>"$cache/.lock"
flock 9
if current; then
	echo "$out/boot.img" # another run built it while this one waited
	exit 0
fi
work="$(mktemp -d "$cache/build.XXXXXX")"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
img="$work/boot.img"
# What goes into the filesystems is staged here and left behind.
stage="$work/stage"
mkdir "$stage"

# Layout in 512-byte sectors: 1 MiB for the MBR (as partitioning tools align), then the two
# partitions; 64 MiB in all (the root partition takes the rest).
boot_start=2048 boot_sectors=16384
root_start=$((boot_start + boot_sectors)) root_sectors=112640
disk_id=52494e47 # "RING"
truncate -s $(((root_start + root_sectors) * 512)) "$img"
sfdisk -q "$img" <<EOF
label: dos
label-id: 0x$disk_id
unit: sectors
$boot_start,$boot_sectors,6,*
$root_start,$root_sectors,83
EOF

# --- the boot partition: FAT16, syslinux, the kernel ----------------------------------
# One sector per cluster: FAT16 needs at least 4085 clusters, which 8 MiB has only then.
# -h: the partition's start, which the FAT boot sector uses to find ldlinux.sys.
mkfs.fat -F 16 -s 1 -h "$boot_start" --offset "$boot_start" -i "$disk_id" -n RINGSIDE --invariant \
	"$img" $((boot_sectors / 2)) 2>&1 | grep -v -e '^mkfs.fat' -e 'block count mismatch' >&2 || true
# The kernel's command line: root is partition 2 of this very disk, found by the disk
# identifier whatever the disk's name; console=ttyS0 and earlyprintk=serial keep the kernel
# log and the decompressor's progress on the serial port as ringside's own boot does. The
# shell goes to hvc0 when the machine has a virtio console (bin/console-shell decides).
# ringside.boot=disk says to whoever reads /proc/cmdline that this came from the disk.
cmdline="console=ttyS0 loglevel=3 earlyprintk=serial root=PARTUUID=$disk_id-02 rootfstype=ext2 rw ringside.boot=disk"
cat >"$stage/syslinux.cfg" <<EOF
# Written by images/disk/build-boot-disk.sh. SERIAL: syslinux prints on the serial port too.
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL bzImage
  APPEND $cmdline
EOF
cp "$kernel" "$stage/bzImage"
cp /usr/lib/syslinux/modules/bios/ldlinux.c32 "$stage/ldlinux.c32"
touch -d "@$SOURCE_DATE_EPOCH" "$stage/syslinux.cfg" "$stage/bzImage" "$stage/ldlinux.c32"
mcopy -m -i "$img@@$((boot_start * 512))" "$stage/bzImage" "$stage/ldlinux.c32" "$stage/syslinux.cfg" ::/
# Debian's syslinux is the mtools installer: it writes ldlinux.sys and the FAT boot
# sector into the image file at the offset, no mount needed.
syslinux --install --offset $((boot_start * 512)) "$img"
# The MBR's code (440 bytes, before the disk identifier and the partition table) boots
# the active partition.
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$img" bs=440 count=1 conv=notrunc status=none

# --- the root partition: ext2 from ringside's initramfs -------------------------------
root="$stage/root"
mkdir "$root"
if [ "$(head -c 6 "$initrd")" != 070701 ]; then
	log "$initrd is not an uncompressed newc cpio archive: cannot unpack it for the root filesystem"
	exit 1
fi
# Everything but device nodes, which only root could create; the kernel mounts a devtmpfs
# on /dev before init starts (CONFIG_DEVTMPFS_MOUNT).
# Two archives one after the other (the second is e2fsprogs' archive, which a machine with a
# disk gets): cpio reads one per run, the second from where the first stopped.
(cd "$root" && {
	cpio -idm --quiet --no-absolute-filenames -f 'dev/*'
	cpio -idm --quiet --no-absolute-filenames -f 'dev/*'
} <"$initrd")
[ -s "$root/usr/lib/e2fsprogs.tar.xz" ] || { log "$initrd: no e2fsprogs archive after the first archive"; exit 1; }
# The initramfs holds links for a few applets only (rc.boot makes the rest at boot); a root
# filesystem on a disk gets them all here, /sbin/init first among them, which the kernel
# runs. The i386 busybox runs on the x86-64 host. /sbin/mke2fs stays e2fsprogs' (in /usr/sbin).
"$root/bin/busybox" --list-full | while read -r path; do
	case "$path" in bin/busybox | sbin/mke2fs | "") continue ;; esac
	[ -e "$root/$path" ] || [ -L "$root/$path" ] || ln -s /bin/busybox "$root/$path"
done
echo "This root filesystem is on the boot disk built by images/disk/build-boot-disk.sh." >"$root/etc/ringside-boot-disk"
# Every time stamp pinned, the links' and their folders' too (the archive's are already).
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
# Files belong to whoever runs this (root in the initramfs); the guest runs as root, so it
# does not matter to it. The root directory itself is made root's.
mke2fs -q -t ext2 -L ringside-root -U 52494e47-0000-4000-8000-000000000002 -E "offset=$((root_start * 512)),root_owner=0:0,hash_seed=52494e47-0000-4000-8000-000000000002" \
	-d "$root" -F "$img" $((root_sectors / 2))k

# --- done: move it into place ---------------------------------------------------------
# Beside the image: the boot config it holds (to read without mtools) and its checksum.
cp "$stage/syslinux.cfg" "$work/syslinux.cfg"
rm -rf "$stage"
(cd "$work" && sha256sum boot.img >boot.img.sha256)
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
# Images made from older inputs are of no more use (build.* folders are other runs' work).
for old in "$cache"/*/; do
	old="${old%/}"
	case "${old##*/}" in "$key" | build.*) ;; *) rm -rf "$old" ;; esac
done
log "built $out/boot.img ($(du -h --apparent-size "$out/boot.img" | cut -f1), $(du -h "$out/boot.img" | cut -f1) on disk)"
echo "$out/boot.img"
