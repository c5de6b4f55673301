#!/bin/sh
# One-time setup before the shell starts. Every process started here costs boot time
# under emulation (a fork is slow), so this uses one `mount -a` and shell builtins where
# it can: mkdir and echo run inside the shell.
mount -a
# A link per busybox applet in /bin, /sbin, /usr/bin and /usr/sbin, made here in the
# background at the lowest priority rather than unpacked from the initramfs, where the 270
# entries cost about 0.15 s of every boot. Until they exist (a few tens of ms after the
# prompt) the shell runs applets by name all the same: busybox's standalone shell and its
# applets run other applets through /proc/self/exe, mounted just now. /sbin/mke2fs would be
# busybox's ext2-only one, ahead of e2fsprogs' in $PATH: it goes. (This busybox has renice
# but no nice, and $$ in sh -c is that shell's own process.)
sh -c 'renice -n 19 $$ && busybox --install -s && rm -f /sbin/mke2fs' </dev/null >/dev/null 2>&1 &
mkdir /dev/pts
mount -t devpts devpts /dev/pts
echo ringside >/proc/sys/kernel/hostname
# With a network the kernel's ip= has brought lo up already, and Linux gives an up
# loopback 127.0.0.1 by itself: the ifconfig (a fork) is only for a machine without one.
read -r loflags </sys/class/net/lo/flags
[ $((${loflags:-0} & 1)) = 1 ] || ifconfig lo 127.0.0.1 up

# No I/O scheduler on any disk. Linux gives a single-queue disk mq-deadline, which hands
# every request to a kblockd worker: two context switches per read, the largest cost of a
# small read under emulation, for ordering that buys nothing on a disk that is host memory
# or a host file. With none the reading task issues its request itself.
for queue in /sys/block/*/queue/scheduler; do
	[ -e "$queue" ] && echo none >"$queue" 2>/dev/null
done

# ringside.disk=persistent (the browser page's disk, kept in the browser's storage):
# /dev/vda is the user's scratch disk; mount it at /mnt when it holds ext2/3/4 (magic
# 0xEF53 at byte 1080, in the superblock), and give it an ext4 filesystem first when it is
# blank (its first MiB all zeros: new or reset). ext4's journal keeps the filesystem
# consistent when the tab closes in the middle of a write. Without that word
# on the command line a disk is never touched: the CLI's --disk may hold anything.
read -r cmdline </proc/cmdline
case " $cmdline " in
*" ringside.disk=persistent "*)
	if [ -b /dev/vda ]; then
		set -- $(dd if=/dev/vda bs=1 skip=1080 count=2 2>/dev/null | od -An -tx1)
		if [ "$1$2" = "53ef" ]; then
			mount /dev/vda /mnt || echo "rc.boot: cannot mount /dev/vda at /mnt" >/dev/console
		elif [ "$(dd if=/dev/vda bs=65536 count=16 2>/dev/null | tr -d '\000' | wc -c)" = 0 ]; then
			# Blank (a new or reset disk): format it. An imported image that is not ext2/3/4
			# is not blank and is left as it is.
			echo "rc.boot: formatting the blank persistent disk /dev/vda (ext4)" >/dev/console
			mkfs.ext4 -q -L ringside /dev/vda >/dev/null 2>&1 && mount -t ext4 /dev/vda /mnt
		else
			echo "rc.boot: /dev/vda holds no ext2/3/4 filesystem and is not blank: left as it is, not mounted" >/dev/console
		fi
	else
		echo "rc.boot: ringside.disk=persistent but there is no /dev/vda" >/dev/console
	fi
	;;
esac

# ringside.net=dhcp (older machines): eth0 is on a network the machine does not configure
# (a relay to a real network): ask it for an address in the background.
case " $cmdline " in
*" ringside.net=dhcp "*)
	udhcpc -i eth0 -b -q -t 5 -T 2 >/dev/null 2>&1 &
	;;
esac

# ringside.ifup=MAC,ADDRESS/PREFIX or ringside.ifup=MAC,dhcp, once per network card the
# kernel's ip= does not configure (every card but the first; a first card on DHCP too):
# the card is found by its MAC, whatever name it got, and brought up with that address, or
# asks for one in the background. Only shell builtins, except the one `ip`/udhcpc per card.
for arg in $cmdline; do
	case "$arg" in
	ringside.ifup=*,*)
		spec="${arg#ringside.ifup=}"
		mac="${spec%%,*}"
		addr="${spec#*,}"
		for dev in /sys/class/net/*; do
			read -r have <"$dev/address" 2>/dev/null || continue
			[ "$have" = "$mac" ] || continue
			name="${dev##*/}"
			if [ "$addr" = dhcp ]; then
				udhcpc -i "$name" -b -q -t 5 -T 2 >/dev/null 2>&1 &
			else
				ip addr add "$addr" dev "$name" && ip link set "$name" up
			fi
		done
		;;
	esac
done

# virtio-9p shared folders: every tag the 9P transport found is mounted at /mnt/TAG (the
# machine's default tag is "host", so /mnt/host), or where ringside.9p=TAG,PATH says.
# Only globbing and builtins unless a share exists: one mount (a fork) per share.
for tagfile in /sys/bus/virtio/drivers/9pnet_virtio/virtio*/mount_tag; do
	[ -r "$tagfile" ] || continue
	read -r tag <"$tagfile"
	dir="/mnt/$tag"
	for arg in $cmdline; do
		case "$arg" in ringside.9p="$tag",/*) dir="${arg#ringside.9p=$tag,}" ;; esac
	done
	mkdir -p "$dir" 2>/dev/null
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 "$tag" "$dir" ||
		echo "rc.boot: cannot mount the shared folder '$tag' at $dir" >/dev/console
done
