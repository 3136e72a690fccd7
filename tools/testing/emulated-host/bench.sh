#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make bench` runs inside the emulated host: the same benchmark on
# Kestrel, then on the stock kvm + kvm-amd modules, in one boot.
iters=${BENCH_ITERS:-2000}
echo "KESTREL-BENCH-BEGIN kestrel"
/tests/kvm_bench "$iters"
echo "KESTREL-BENCH-END kestrel"
rmmod kestrel
if modprobe kvm_amd; then
	echo "KESTREL-BENCH-BEGIN stock"
	/tests/kvm_bench "$iters"
	echo "KESTREL-BENCH-END stock"
	modprobe -r kvm_amd
fi
