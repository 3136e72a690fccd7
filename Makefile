# SPDX-License-Identifier: GPL-2.0
#
# Kestrel: build the module, check it, and test it in an emulated host.
# `make help` lists the targets.

KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),$(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1))
KVER ?= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
LINUX_SOURCE_TAR ?= $(shell ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)

BUILD ?= $(CURDIR)/build
LSRC := $(BUILD)/linux-source
TESTS_OUT := $(BUILD)/selftests
EHOST := tools/testing/emulated-host

KBUILD_ARGS := -C $(KDIR) M=$(CURDIR) W=1
ifneq ($(KESTREL_WERROR),)
KBUILD_ARGS += KESTREL_WERROR=y
endif

# Files extracted from the Debian linux-source tarball (never committed).
LSRC_FILES := scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch \
	tools/testing/selftests/kselftest_harness.h \
	tools/testing/selftests/kselftest.h

C_SOURCES = $(shell git ls-files -co --exclude-standard -- '*.c' '*.h')

.PHONY: all modules clean deps check sparse checkpatch selftests initramfs unit \
	test demo bench qemu-boot qemu-payload qemu-boot-image upstream-build upstream-build-noirqchip \
	upstream-selftests help

all: modules

modules:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR): no kernel headers; run 'make deps'"; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

clean:
	-$(MAKE) $(KBUILD_ARGS) clean 2>/dev/null
	rm -rf $(BUILD)

deps:
	scripts/deps.sh

$(LSRC)/.stamp: $(LINUX_SOURCE_TAR)
	@test -n "$(LINUX_SOURCE_TAR)" || { echo "no /usr/src/linux-source-6.1.tar.*; run 'make deps'"; exit 1; }
	rm -rf $(LSRC) && mkdir -p $(LSRC)
	tar -xf $(LINUX_SOURCE_TAR) -C $(LSRC) --strip-components=1 \
		$(addprefix linux-source-6.1/,$(LSRC_FILES))
	touch $@

check: sparse checkpatch

# Every source file through sparse (C=2 checks even what is up to date), W=1.
sparse:
	@mkdir -p $(BUILD)
	$(MAKE) $(KBUILD_ARGS) C=2 modules 2>&1 | tee $(BUILD)/sparse.log
	@! grep -E 'warning:|error:' $(BUILD)/sparse.log || \
		{ echo "sparse/W=1: warnings above"; exit 1; }

# compat.h is the one file allowed to test LINUX_VERSION_CODE.
CHECKPATCH = perl $(LSRC)/scripts/checkpatch.pl --strict --no-tree --terse \
	--show-types --ignore SPDX_LICENSE_TAG
COMPAT_H := include/kestrel/compat.h

checkpatch: $(LSRC)/.stamp
	$(CHECKPATCH) -f $(filter-out $(COMPAT_H),$(C_SOURCES))
	$(CHECKPATCH) --ignore LINUX_VERSION_CODE -f $(COMPAT_H)

selftests: $(LSRC)/.stamp
	$(MAKE) -C tools/testing/selftests/kvm OUTPUT=$(TESTS_OUT) \
		KSFT_DIR=$(LSRC)/tools/testing/selftests

# TARGET=stock runs the tests that are not Kestrel-specific against the
# stock kvm/kvm-amd modules instead: the reference for what KVM does.
TARGET ?= kestrel
INITRAMFS := $(BUILD)/initramfs-$(TARGET).cpio
UNIT_OUT := $(BUILD)/unit

initramfs: modules selftests
	$(EHOST)/mkinitramfs --kver $(KVER) --module kestrel.ko \
		--tests $(TESTS_OUT) --target $(TARGET) --out $(INITRAMFS)

unit: $(LSRC)/.stamp
	$(MAKE) -C tools/testing/unit OUTPUT=$(UNIT_OUT) \
		KSFT_DIR=$(LSRC)/tools/testing/selftests

# All tests: the log judge's own tests, the runner canaries, the suite in
# each variant of the emulated host, then the upstream 6.1 KVM selftests
# (stock vs Kestrel, one boot of about a minute).  VARIANTS and SMP narrow
# it, e.g. `make test VARIANTS=svm-npt SMP=1 CANARIES=0 UPSTREAM=0`;
# VARIANTS=vmx-ept/1 is the Intel VMX host (Bochs), BOCHS_FULL=1 runs the
# tests /init skips there as too slow.
# CANARIES=0 skips the runner's own checks, UPSTREAM=0 the upstream tests
# (never run with TARGET=stock: they compare both anyway).
WITH_UPSTREAM := $(if $(filter 0,$(UPSTREAM)),,$(filter kestrel,$(TARGET)))

# QEMU booting Linux on Kestrel in every configuration of qemu_boot, then
# a few on stock kvm-amd for the times (see qemu-boot); QEMU_BOOT=0 skips.
WITH_QEMU_BOOT := $(if $(filter 0,$(QEMU_BOOT)),,$(filter kestrel,$(TARGET)))

# Both upstream builds: as shipped, and without KVM_CREATE_IRQCHIP.
UPSTREAM_OUT_NOIRQ := $(BUILD)/upstream-selftests-noirqchip

upstream-build-noirqchip:
	@$(MAKE) --no-print-directory upstream-build UPSTREAM_NO_IRQCHIP=1

test: initramfs unit $(if $(WITH_UPSTREAM),upstream-build upstream-build-noirqchip) \
	$(if $(WITH_QEMU_BOOT),qemu-boot-image)
	$(EHOST)/run-tests --kver $(KVER) --module kestrel.ko \
		--tests $(TESTS_OUT) --initramfs $(INITRAMFS) --unit $(UNIT_OUT) \
		--logdir $(BUILD)/logs/$(TARGET) \
		$(if $(VARIANTS),--variants "$(VARIANTS)") \
		$(if $(SMP),--smp $(SMP)) $(if $(filter 0,$(CANARIES)),--no-canaries) \
		$(if $(filter 1,$(BOCHS_FULL)),--bochs-full) \
		$(if $(WITH_UPSTREAM),--upstream $(UPSTREAM_OUT) \
			--upstream-noirqchip $(UPSTREAM_OUT_NOIRQ) \
			$(if $(UPSTREAM_TESTS),--upstream-tests "$(UPSTREAM_TESTS)")) \
		$(if $(WITH_QEMU_BOOT),--qemu-boot $(QEMU_BOOT_IMAGE))

demo: modules selftests
	$(EHOST)/mkinitramfs --kver $(KVER) --module kestrel.ko \
		--tests $(TESTS_OUT) --demo --out $(BUILD)/demo.cpio
	$(EHOST)/boot --kver $(KVER) --initramfs $(BUILD)/demo.cpio \
		--log $(BUILD)/logs/demo.log --echo

# QEMU (the build machine's own) boots a Linux guest with -accel kvm inside
# the emulated host: every configuration of qemu_boot on Kestrel, then on
# stock kvm-amd in the same boot, and a table of boot-to-init times.  `make
# test` runs the gating configurations on Kestrel and a few on stock.
QEMU_PAYLOAD := $(BUILD)/qemu-payload
QEMU_BOOT_IMAGE := $(BUILD)/qemu-boot-test.cpio

qemu-payload: modules
	$(EHOST)/qemu-payload --kver $(KVER) --out $(QEMU_PAYLOAD)

qemu-boot-image: qemu-payload
	$(EHOST)/mkinitramfs --kver $(KVER) --module kestrel.ko \
		--extra $(EHOST)/qemu_boot --overlay $(QEMU_PAYLOAD) \
		--test-timeout 2700 --out $(QEMU_BOOT_IMAGE)

qemu-boot: qemu-payload
	cp $(EHOST)/qemu_boot $(BUILD)/qemu_boot_compare
	$(EHOST)/mkinitramfs --kver $(KVER) --module kestrel.ko \
		--extra $(BUILD)/qemu_boot_compare \
		--overlay $(QEMU_PAYLOAD) --test-timeout 5400 \
		--out $(BUILD)/qemu-boot.cpio
	$(EHOST)/boot --kver $(KVER) \
		--initramfs $(BUILD)/qemu-boot.cpio --timeout 6000 \
		--log $(BUILD)/logs/qemu-boot.log --stall 600 \
		$(if $(SMP),--smp $(SMP))
	python3 $(EHOST)/scan_log.py $(BUILD)/logs/qemu-boot.log

# Benchmarks: Kestrel and the stock modules in one boot, side by side.
BENCH_BIN := $(TESTS_OUT)/kvm_bench

$(BENCH_BIN): tools/testing/bench/kvm_bench.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -static -o $@ $<

# irq_bench's guests are its own C functions: the selftests' guest library,
# static and not position independent (see x86_64/processor.h there).
KSELFTEST := tools/testing/selftests/kvm
IRQ_BENCH_BIN := $(TESTS_OUT)/irq_bench
IRQ_BENCH_LIB := $(addprefix $(KSELFTEST)/lib/,kvm_util.c ucall.c x86_64/processor.c)

$(IRQ_BENCH_BIN): tools/testing/bench/irq_bench.c $(IRQ_BENCH_LIB) \
		$(wildcard $(KSELFTEST)/include/*.h $(KSELFTEST)/include/x86_64/*.h)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
		-fno-stack-protector -I$(KSELFTEST)/include \
		-I$(KSELFTEST)/include/x86_64 -o $@ $< $(IRQ_BENCH_LIB) \
		-static -no-pie -pthread

bench: modules selftests $(BENCH_BIN) $(IRQ_BENCH_BIN)
	$(EHOST)/mkinitramfs --kver $(KVER) --module kestrel.ko \
		--tests $(TESTS_OUT) --bench --out $(BUILD)/bench.cpio
	$(EHOST)/boot --kver $(KVER) --initramfs $(BUILD)/bench.cpio \
		--log $(BUILD)/logs/bench.log $(if $(SMP),--smp $(SMP))
	$(EHOST)/bench-report $(BUILD)/logs/bench.log

# The upstream Linux 6.1 KVM selftests, built from the Debian tarball, run
# on stock kvm-amd and on Kestrel in one boot; UPSTREAM_TESTS="x86_64/a b"
# picks tests.  Fails if a test in upstream-expected fails on Kestrel.
# UPSTREAM_NO_IRQCHIP=1: the diagnostic build without the library's
# KVM_CREATE_IRQCHIP (see upstream-selftests), in its own directory.
UPSTREAM_OUT := $(BUILD)/upstream-selftests$(if $(UPSTREAM_NO_IRQCHIP),-noirqchip)

upstream-build:
	@test -n "$(LINUX_SOURCE_TAR)" || { echo "no /usr/src/linux-source-6.1.tar.*; run 'make deps'"; exit 1; }
	$(EHOST)/upstream-selftests build --tarball $(LINUX_SOURCE_TAR) \
		--src $(BUILD)/upstream-src --out $(UPSTREAM_OUT) \
		$(if $(UPSTREAM_NO_IRQCHIP),--no-irqchip)

upstream-selftests: modules upstream-build
	$(EHOST)/upstream-selftests run --out $(UPSTREAM_OUT) \
		--kver $(KVER) --module kestrel.ko --log $(BUILD)/logs/upstream.log \
		$(if $(UPSTREAM_TESTS),--tests "$(UPSTREAM_TESTS)")

help:
	@echo "make deps       install build and test dependencies (Debian 12 packages)"
	@echo "make            build kestrel.ko against KDIR=$(KDIR)"
	@echo "make check      sparse (C=2, W=1) and checkpatch --strict"
	@echo "make test       unit tests, then all tests in the emulated host"
	@echo "                (VARIANTS=..., SMP=..., CANARIES=0, UPSTREAM=0, TARGET=stock;"
	@echo "                VARIANTS=vmx-ept/1: Intel VMX host in Bochs, BOCHS_FULL=1: with"
	@echo "                the tests it skips as too slow)"
	@echo "make demo       boot the emulated host, load Kestrel, show /dev/kvm"
	@echo "make qemu-boot  QEMU -accel kvm boots Linux on Kestrel, then on stock kvm-amd,"
	@echo "                in one emulated host; a table of boot times"
	@echo "make bench      benchmarks on Kestrel and stock KVM in one boot, with ratios"
	@echo "make upstream-selftests"
	@echo "                upstream 6.1 KVM selftests on stock kvm-amd, then on Kestrel,"
	@echo "                in one boot; a stock/kestrel table (UPSTREAM_TESTS=...,"
	@echo "                UPSTREAM_NO_IRQCHIP=1: diagnostic, without KVM_CREATE_IRQCHIP)"
