#!/bin/sh
# One-time setup before the shell starts. Every process started here costs boot time
# under emulation (a fork is slow), so this uses one `mount -a` and shell builtins where
# it can: mkdir and echo run inside the shell.
mount -a
mkdir /dev/pts
mount -t devpts devpts /dev/pts
echo ringside >/proc/sys/kernel/hostname
ifconfig lo 127.0.0.1 up
