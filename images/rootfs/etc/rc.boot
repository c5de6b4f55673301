#!/bin/sh
# One-time setup before the shell starts. Kept short: every command here costs boot time
# under emulation.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
hostname ringside
ifconfig lo 127.0.0.1 up
