#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make demo` shows inside the emulated host.
echo "== Kestrel demo on $(uname -r), $(nproc) CPUs"
echo "== the module's load line:"
grep 'kestrel: ' /tmp/boot.kmsg
echo "== /dev/kvm:"
ls -l /dev/kvm
echo "== asking /dev/kvm, then running a small guest:"
/tests/kvm_info
echo "== unloading:"
rmmod kestrel && echo "kestrel unloaded; /dev/kvm present: $(test -e /dev/kvm && echo yes || echo no)"
