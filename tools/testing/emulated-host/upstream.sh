#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What `make upstream-selftests` runs inside the emulated host: each upstream
# 6.1 KVM selftest in /upstream/tests.list on the stock kvm + kvm-amd
# (kvm-intel on Intel) modules, then the same tests on Kestrel, in one boot.  upstream-report
# reads the markers below from the serial log and prints the table:
#
#   KESTREL-UPSTREAM-BEGIN PHASE TEST
#   PHASE TEST| ...the test's stdout and stderr...
#   KESTREL-UPSTREAM-END PHASE TEST
#   KESTREL-KMSG-BEGIN/END ...kernel messages logged meanwhile...
#   KESTREL-UPSTREAM-RESULT PHASE TEST rc=N VERDICT SECONDs
#
# The test output sits between markers of its own so that scan_log neither
# takes it for kernel messages nor judges its TAP lines: failing upstream
# tests are expected on Kestrel, and upstream-report judges them against
# upstream-expected.  Kernel messages stay outside, where scan_log looks
# for splats.

TEST_TIMEOUT=120
. /etc/kestrel.conf
kver=$(uname -r)
stock=${KESTREL_STOCK_MODULE:-kvm_amd}	# /init picks it by CPU vendor

verdict() {	# kselftest exit codes; 124 is our own time limit
	case "$1" in
	0) echo PASS ;;
	4) echo SKIP ;;
	124) echo TIMEOUT ;;
	*) echo FAIL ;;
	esac
}

run_one() {	# PHASE TEST
	phase=$1 t=$2
	echo "KESTREL-UPSTREAM-BEGIN $phase $t"
	start=$(cut -d' ' -f1 /proc/uptime)
	rm -f /tmp/timed-out
	# A session of its own, so that the time limit kills every process
	# the test forked, not just the first one.
	setsid /upstream/"$t" </dev/null >/tmp/out 2>&1 &
	pid=$!
	(
		sleep "$TEST_TIMEOUT"
		if kill -0 "$pid" 2>/dev/null; then
			: >/tmp/timed-out
			kill -KILL "-$pid"	# busybox kill takes no "--"
		fi
	) &
	dog=$!
	wait "$pid"
	rc=$?
	kill "$dog" 2>/dev/null
	[ -e /tmp/timed-out ] && rc=124
	end=$(cut -d' ' -f1 /proc/uptime)
	sed "s|^|$phase $t\| |" /tmp/out
	echo "KESTREL-UPSTREAM-END $phase $t"
	echo "KESTREL-KMSG-BEGIN $phase/$t"
	dmesg -c
	echo "KESTREL-KMSG-END $phase/$t"
	secs=$(awk "BEGIN { printf \"%.1f\", $end - $start }")
	echo "KESTREL-UPSTREAM-RESULT $phase $t rc=$rc $(verdict $rc) ${secs}s"
}

run_all() {	# PHASE
	while read -r t; do
		[ -n "$t" ] || continue
		run_one "$1" "$t"
	done </upstream/tests.list
}

# Kestrel's module parameters where the tests look for kvm_amd's (the
# library's kvm_is_tdp_enabled() reads /sys/module/kvm_amd/parameters/npt):
# in a mount namespace of its own, a tmpfs over /sys/module holds every
# module's real directory bind-mounted back, and kvm_amd as a bind mount of
# /sys/module/kestrel, so the values read are Kestrel's own.  Run as
# `unshare -m upstream.sh --kestrel-ns`; the host's mounts are untouched.
kestrel_ns() {
	mount --make-rprivate / || return 1
	mkdir -p /run/sys-module || return 1
	mount --bind /sys/module /run/sys-module || return 1
	mount -t tmpfs -o mode=0755 sysmodule /sys/module || return 1
	for m in /run/sys-module/*; do
		mkdir "/sys/module/${m##*/}" &&
			mount --bind "$m" "/sys/module/${m##*/}" || return 1
	done
	# kvm_intel's "ept" on Intel hosts, kvm_amd's "npt" on AMD ones.
	mkdir "/sys/module/$stock" &&
		mount --bind /run/sys-module/kestrel "/sys/module/$stock" || return 1
	echo "KESTREL-HOST: /sys/module/$stock/parameters shows Kestrel's:" \
		"$(cd "/sys/module/$stock/parameters" && grep . -- * | tr '\n' ' ')"
}

if [ "${1:-}" = --kestrel-ns ]; then
	if kestrel_ns; then
		run_all kestrel
	else
		echo "KESTREL-HOST: cannot show Kestrel's parameters as kvm_amd's; running without"
		# Whatever of the tmpfs over /sys/module got mounted goes first.
		umount -l /sys/module 2>/dev/null
		run_all kestrel
	fi
	exit 0
fi

echo "KESTREL-UPSTREAM-TESTS $(tr '\n' ' ' </upstream/tests.list)"
if modprobe "$stock"; then
	echo "KESTREL-HOST: stock $stock loaded"
	echo "KESTREL-KMSG-BEGIN stock-load"
	dmesg -c
	echo "KESTREL-KMSG-END stock-load"
	run_all stock
else
	echo "KESTREL-HOST: stock $stock refused to load; no stock results"
fi
# irqbypass and ccp may stay: Kestrel only needs /dev/kvm to be free.
rmmod "$stock" kvm

if insmod /lib/modules/"$kver"/extra/kestrel.ko; then
	echo "KESTREL-HOST: kestrel loaded"
	echo "KESTREL-KMSG-BEGIN kestrel-load"
	dmesg -c
	echo "KESTREL-KMSG-END kestrel-load"
	unshare -m /bin/sh /upstream.sh --kestrel-ns
	rmmod kestrel
else
	echo "KESTREL-HOST: kestrel refused to load; no Kestrel results"
fi
