#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make bench` runs inside the emulated host: the same benchmarks on
# Kestrel, then on the stock kvm + kvm-amd (kvm-intel) modules, in one boot.  A
# benchmark that fails prints "bench-fail ..."; bench-report fails the run.
stock=${KESTREL_STOCK_MODULE:-kvm_amd}	# /init picks it by CPU vendor
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
if modprobe "$stock"; then
	run stock
	modprobe -r "$stock"
else
	echo "bench-fail stock: $stock does not load"
fi
