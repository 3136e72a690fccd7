#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make bench` runs inside the emulated host: the same benchmarks on
# Kestrel, then on the stock kvm + kvm-amd modules, in one boot.  A
# benchmark that fails prints "bench-fail ..."; bench-report fails the run.
iters=${BENCH_ITERS:-2000}
irq_iters=${BENCH_IRQ_ITERS:-$iters}

run() {
	echo "KESTREL-BENCH-BEGIN $1"
	/tests/kvm_bench "$iters" || echo "bench-fail kvm_bench: exit status $?"
	/tests/irq_bench "$irq_iters" || echo "bench-fail irq_bench: exit status $?"
	echo "KESTREL-BENCH-END $1"
}

run kestrel
rmmod kestrel
if modprobe kvm_amd; then
	run stock
	modprobe -r kvm_amd
else
	echo "bench-fail stock: kvm_amd does not load"
fi
