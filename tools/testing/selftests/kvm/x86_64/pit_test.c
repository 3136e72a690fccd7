// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 PIT (api.rst 4.71-4.73 KVM_CREATE_PIT2,
 * KVM_GET/SET_PIT2, the obsolete KVM_GET/SET_PIT, 4.99
 * KVM_REINJECT_CONTROL) as KVM 6.1 has it: the errno cases of the
 * ioctls; state round trips; a count loaded by KVM_SET_PIT2 counting down
 * as the guest sees it through the counter latch command (8254 datasheet,
 * "Counter Latch Command"); port 0x61 in the kernel only with
 * KVM_PIT_SPEAKER_DUMMY; and the guest calibrating its TSC against
 * channel 2 as Linux's pit_calibrate_tsc() does (gate via port 0x61, mode
 * 0, polling OUT2 in port 0x61 bit 5).  With KVM_CREATE_IRQCHIP,
 * channel 0 interrupts through IOAPIC pin 0 at 100 Hz (mode 2) and once
 * (mode 0); with reinjection (the default) ticks the guest missed with
 * interrupts off are delivered later, without it they are lost; and a VM
 * closed while its PIT ticks fast frees cleanly.  Tick counts are bounded
 * by the time measured, never fixed, since the emulated host is slow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"
#include "pit_guest.h"

/*
 * ioctl errors
 */

TEST(create_twice_is_eexist)
{
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_PIT2));
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_PIT_STATE2));
	vm = vm_create();
	EXPECT_EQ(0, create_pit2(vm, 0));
	EXPECT_EQ(-1, create_pit2(vm, 0));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, create_pit2(vm, KVM_PIT_SPEAKER_DUMMY));
	EXPECT_EQ(EEXIST, errno);
	/* The old KVM_CREATE_PIT is the same with a dummy speaker. */
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_PIT, 0));
	EXPECT_EQ(EEXIST, errno);
	vm_free(vm);

	vm = vm_create();
	EXPECT_EQ(0, ioctl(vm->fd, KVM_CREATE_PIT, 0));
	EXPECT_EQ(-1, create_pit2(vm, 0));
	EXPECT_EQ(EEXIST, errno);
	vm_free(vm);
}

/*
 * KVM 6.1 ignores unknown flags (later kernels refuse them), and needs no
 * irqchip: without an in-kernel IOAPIC the PIT simply has no IRQ 0 timer.
 */
TEST(unknown_flags_are_ignored_as_in_6_1)
{
	struct kvm_pit_state2 s;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	EXPECT_EQ(0, create_pit2(vm, ~0u));
	EXPECT_EQ(0, ioctl(vm->fd, KVM_GET_PIT2, &s));
	EXPECT_EQ(0u, s.flags);
	vm_free(vm);
}

TEST(bad_pointers_are_efault)
{
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_PIT2, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* GET_PIT, SET_PIT, SET_PIT2, REINJECT read the argument first. */
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_PIT, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_PIT, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_PIT2, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_REINJECT_CONTROL, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* GET_PIT2 looks for the PIT first. */
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_PIT2, NULL));
	EXPECT_EQ(ENXIO, errno);

	ASSERT_EQ(0, create_pit2(vm, 0));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_PIT2, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_PIT, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_PIT2, NULL));
	EXPECT_EQ(EFAULT, errno);
	vm_free(vm);
}

TEST(no_pit_is_enxio)
{
	struct kvm_reinject_control rc = { .pit_reinject = 0 };
	struct kvm_pit_state2 s2;
	struct kvm_pit_state s;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	memset(&s, 0, sizeof(s));
	memset(&s2, 0, sizeof(s2));
	vm = vm_create();
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_PIT2, &s2));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_PIT2, &s2));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_PIT, &s));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_PIT, &s));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc));
	EXPECT_EQ(ENXIO, errno);
	vm_free(vm);
}

TEST(reinject_control)
{
	struct kvm_reinject_control rc;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	/*
	 * Not KVM_CAP_REINJECT_CONTROL: Kestrel does not report it until
	 * reinjection survives a masked pin (pit_mask_test).
	 */
	vm = vm_create();
	ASSERT_EQ(0, create_pit2(vm, 0));
	memset(&rc, 0, sizeof(rc));
	EXPECT_EQ(0, ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc));
	EXPECT_EQ(0, ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc));
	/* Any non-zero value is "on"; the reserved bytes are not checked. */
	rc.pit_reinject = 0x80;
	memset(rc.reserved, 0xff, sizeof(rc.reserved));
	EXPECT_EQ(0, ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc));
	EXPECT_EQ(0, ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc));
	vm_free(vm);
}

/*
 * State
 */

/* The power-on state: no mode, count 65536, gates 1, 1, 0. */
TEST(initial_state)
{
	struct kvm_pit_state2 s;
	struct kvm_vm *vm;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	ASSERT_EQ(0, create_pit2(vm, KVM_PIT_SPEAKER_DUMMY));
	memset(&s, 0xa5, sizeof(s));
	ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_PIT2, &s));
	EXPECT_EQ(0u, s.flags);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0x10000u, s.channels[i].count);
		EXPECT_EQ(0xff, s.channels[i].mode);
		EXPECT_EQ(i != 2, s.channels[i].gate);
	}
	for (i = 0; i < 9; i++)
		EXPECT_EQ(0u, s.reserved[i]);
	vm_free(vm);
}

TEST(set_get_round_trip)
{
	struct kvm_pit_state2 in, out;
	struct kvm_pit_state old;
	struct kvm_vm *vm;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	ASSERT_EQ(0, create_pit2(vm, 0));
	memset(&in, 0, sizeof(in));
	fill_channel(&in.channels[0], 0x1234, 2);
	fill_channel(&in.channels[1], 0, 0);	/* 0 stands for 65536 */
	fill_channel(&in.channels[2], 0x10, 3);
	in.channels[2].bcd = 1;
	in.channels[1].latched_count = 0x4321;
	in.channels[1].count_latched = RW_LSB_MSB;
	in.flags = KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_PIT2, &in));
	ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_PIT2, &out));
	EXPECT_EQ(in.flags, out.flags);
	in.channels[1].count = 0x10000;
	for (i = 0; i < 3; i++) {
		/* The count is loaded again at SET time. */
		in.channels[i].count_load_time = 0;
		out.channels[i].count_load_time = 0;
		EXPECT_EQ(0, memcmp(&in.channels[i], &out.channels[i],
				    sizeof(in.channels[i])))
			TH_LOG("channel %d", i);
	}

	/* KVM_SET_PIT: the channels only, the flags stay. */
	memset(&old, 0, sizeof(old));
	fill_channel(&old.channels[0], 0x100, 0);
	fill_channel(&old.channels[1], 0x200, 4);
	fill_channel(&old.channels[2], 0x300, 1);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_PIT, &old));
	ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_PIT2, &out));
	EXPECT_EQ(in.flags, out.flags);
	memset(&old, 0, sizeof(old));
	ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_PIT, &old));
	EXPECT_EQ(0, memcmp(&old.channels, &out.channels,
			    sizeof(old.channels)));
	EXPECT_EQ(0x100u, old.channels[0].count);
	EXPECT_EQ(4, old.channels[1].mode);
	EXPECT_EQ(0x300u, old.channels[2].count);
	vm_free(vm);
}

/*
 * The guest
 */

/* Counter latch command, then LSB and MSB of the latched count. */
static u16 guest_latch_read(u8 channel)
{
	u8 lo, hi;

	guest_outb(PIT_CMD, CW(channel, RW_LATCH, 0));
	lo = guest_inb(PIT_CH0 + channel);
	hi = guest_inb(PIT_CH0 + channel);
	return lo | (hi << 8);
}

static void guest_latch_twice(void)
{
	u16 wide;

	GUEST_SYNC_ARGS(1, guest_latch_read(1), 0, 0);
	GUEST_SYNC_ARGS(2, guest_latch_read(1), 0, 0);
	/* A 16-bit read gives one byte, zero-extended, as in KVM. */
	guest_outb(PIT_CMD, CW(1, RW_LATCH, 0));
	wide = guest_inw(PIT_CH1);
	GUEST_SYNC_ARGS(3, wide, guest_inb(PIT_CH1), 0);
	GUEST_DONE();
}

#define LATCH_COUNT	0xffffu		/* 54.9 ms */
#define LATCH_SLEEP_US	5000

/*
 * Channel 1, loaded by KVM_SET_PIT2 in mode 0, counts down from there at
 * 1.193182 MHz as time passes, whatever the guest does meanwhile.
 */
TEST(set_pit2_count_counts_down)
{
	struct kvm_pit_state2 s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 t0, t1, t2, v1, v2, max;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_latch_twice), &vcpu);
	ASSERT_EQ(0, create_pit2(vm, 0));
	ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_PIT2, &s));
	fill_channel(&s.channels[1], LATCH_COUNT, 0);
	t0 = now_ns();
	ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_PIT2, &s));
	run_sync(_metadata, vcpu, &uc, 1);
	t1 = now_ns();
	v1 = uc.args[1];
	usleep(LATCH_SLEEP_US);
	run_sync(_metadata, vcpu, &uc, 2);
	t2 = now_ns();
	v2 = uc.args[1];
	TH_LOG("latched %#llx after %llu us, %#llx after %llu us",
	       (unsigned long long)v1, (unsigned long long)(t1 - t0) / 1000,
	       (unsigned long long)v2, (unsigned long long)(t2 - t0) / 1000);
	/* Counted, and not more than the time that passed allows. */
	EXPECT_LT(v1, LATCH_COUNT);
	max = (t1 - t0) * PIT_HZ / 1000000000ULL + 2;
	EXPECT_LE(LATCH_COUNT - v1, max);
	if (t2 - t0 < LATCH_COUNT * 1000000000ULL / PIT_HZ) {
		/* No wrap yet: the host's sleep lies between the reads. */
		EXPECT_LT(v2, v1);
		EXPECT_GE(v1 - v2, LATCH_SLEEP_US * PIT_HZ / 1000000 - 2);
		max = (t2 - t0) * PIT_HZ / 1000000000ULL + 2;
		EXPECT_LE(LATCH_COUNT - v2, max);
	} else {
		TH_LOG("the count may have wrapped: order not checked");
	}
	run_sync(_metadata, vcpu, &uc, 3);
	EXPECT_EQ(0u, uc.args[1] >> 8);
	run_done(_metadata, vcpu);
	vm_free(vm);
}

/* Port 0x61 is the kernel's only with KVM_PIT_SPEAKER_DUMMY (as KVM). */
static void guest_read_port_b(void)
{
	GUEST_SYNC_ARGS(1, guest_inb(PORT_B), 0, 0);
	GUEST_DONE();
}

static void port_b_case(struct __test_metadata *_metadata, u32 flags,
			bool in_kernel)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_read_port_b), &vcpu);
	ASSERT_EQ(0, create_pit2(vm, flags));
	if (!in_kernel) {
		vcpu_run(vcpu);
		ASSERT_EQ((u32)KVM_EXIT_IO, vcpu->run->exit_reason);
		ASSERT_EQ(PORT_B, vcpu->run->io.port);
		ASSERT_EQ(KVM_EXIT_IO_IN, vcpu->run->io.direction);
		*((u8 *)vcpu->run + vcpu->run->io.data_offset) = 0x5a;
		run_sync(_metadata, vcpu, &uc, 1);
		EXPECT_EQ(0x5au, uc.args[1]);
	} else {
		run_sync(_metadata, vcpu, &uc, 1);
		/* Gate 2 low, speaker off, OUT2 low after power-on. */
		EXPECT_EQ(0u, uc.args[1] & (PORTB_GATE2 | PORTB_SPEAKER));
	}
	run_done(_metadata, vcpu);
	vm_free(vm);
}

TEST(port_b_needs_speaker_dummy)
{
	TEST_REQUIRE_KVM();
	port_b_case(_metadata, 0, false);
	port_b_case(_metadata, KVM_PIT_SPEAKER_DUMMY, true);
}

/*
 * TSC calibration as Linux's pit_calibrate_tsc(): gate 2 up and speaker
 * off through port 0x61, channel 2 in mode 0 with a count of @ms
 * milliseconds, then read the TSC until OUT2 (port 0x61 bit 5) rises.
 * Reports the TSC ticks between loading the count and the last read
 * before OUT2 was seen high, the longest gap between two reads (the
 * error bound of that), and the number of polls.
 */
static void guest_calibrate(u64 ms)
{
	u64 latch = PIT_HZ * ms / 1000, t1, t2, t, gap = 0, polls = 0;

	guest_outb(PORT_B, (guest_inb(PORT_B) & ~PORTB_SPEAKER) | PORTB_GATE2);
	guest_outb(PIT_CMD, CW(2, RW_LSB_MSB, 0));
	guest_outb(PIT_CH2, latch & 0xff);
	guest_outb(PIT_CH2, latch >> 8);
	t1 = rdtsc();
	t2 = t1;
	while (!(guest_inb(PORT_B) & PORTB_OUT2)) {
		t = rdtsc();
		if (t - t2 > gap)
			gap = t - t2;
		t2 = t;
		polls++;
	}
	GUEST_SYNC_ARGS(1, t2 - t1, gap, polls);
	GUEST_DONE();
}

#define CAL_MS	50ULL

TEST(guest_calibrates_tsc)
{
	u64 khz, delta, gap, measured, slack;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_calibrate), &vcpu);
	ASSERT_EQ(0, create_pit2(vm, KVM_PIT_SPEAKER_DUMMY));
	vcpu_args_set(vcpu, 1, CAL_MS);
	run_sync(_metadata, vcpu, &uc, 1);
	delta = uc.args[1];
	gap = uc.args[2];
	khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, (long)khz);
	measured = delta / CAL_MS;
	slack = gap / CAL_MS;
	TH_LOG("TSC %llu kHz by the PIT (%llu polls, longest gap %llu ticks), KVM_GET_TSC_KHZ %llu",
	       (unsigned long long)measured, (unsigned long long)uc.args[3],
	       (unsigned long long)gap, (unsigned long long)khz);
	/*
	 * OUT2 rises no sooner than the count allows, and is seen at most
	 * one poll late: within a quarter, plus that poll's gap.
	 */
	EXPECT_GE(measured + slack, khz - khz / 4);
	EXPECT_LE(measured, khz + khz / 4 + slack);
	EXPECT_LT(0u, uc.args[3]);
	run_done(_metadata, vcpu);
	vm_free(vm);
}

/*
 * IRQ 0 through the in-kernel IOAPIC (KVM_CREATE_IRQCHIP)
 */

static void guest_periodic(u64 want)
{
	u64 t0;

	guest_route_irq0();
	guest_load_ch0(2, PERIOD_COUNT);
	t0 = rdtsc();
	while (guest_ticks() < want)
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
	GUEST_SYNC_ARGS(1, guest_ticks(), rdtsc() - t0, 0);
	/* Mode 0 with nothing more to count: no further ticks. */
	guest_load_ch0(0, 0);
	GUEST_DONE();
}

#define WANT_TICKS	10ULL

TEST(irq0_periodic_100hz)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 t0, wall, ticks;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_periodic));
	vcpu_args_set(vcpu, 1, WANT_TICKS);
	t0 = now_ns();
	/* A PIT that never ticks leaves the guest in HLT: the harness's timeout. */
	run_sync(_metadata, vcpu, &uc, 1);
	wall = now_ns() - t0;
	ticks = uc.args[1];
	TH_LOG("%llu ticks in %llu us",
	       (unsigned long long)ticks, (unsigned long long)wall / 1000);
	EXPECT_LE(WANT_TICKS, ticks);
	/* Never more ticks than periods elapsed, nor sooner. */
	EXPECT_LE(ticks, wall / PERIOD_NS + 1);
	EXPECT_GE(wall, WANT_TICKS * PERIOD_NS - PERIOD_NS / 2);
	run_done(_metadata, vcpu);
	vm_free(vm);
}

/* Mode 0: one interrupt when the count runs out, then none. */
static void guest_oneshot(u64 quiet_tsc)
{
	u64 t0;

	guest_route_irq0();
	guest_load_ch0(0, PERIOD_COUNT);
	while (guest_ticks() < 1)
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
	t0 = rdtsc();
	__asm__ __volatile__("sti" : : : "memory");
	while (rdtsc() - t0 < quiet_tsc)
		guest_pause();
	__asm__ __volatile__("cli" : : : "memory");
	GUEST_SYNC_ARGS(1, guest_ticks(), 0, 0);
	GUEST_DONE();
}

TEST(irq0_oneshot_mode0)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	long khz;

	TEST_REQUIRE_KVM();
	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_oneshot));
	khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, khz);
	/* Five periods with interrupts open after the one tick. */
	vcpu_args_set(vcpu, 1, (u64)khz * 50);
	run_sync(_metadata, vcpu, &uc, 1);
	EXPECT_EQ(1u, uc.args[1]);
	run_done(_metadata, vcpu);
	vm_free(vm);
}

/*
 * Reinjection: the guest keeps interrupts off for @block_tsc while the PIT
 * ticks at 100 Hz, then opens them until it counted @target ticks (or
 * @max_tsc passed).  Reports the ticks and the TSC the open window took.
 */
static void guest_missed(u64 block_tsc, u64 target, u64 max_tsc)
{
	u64 t0;

	guest_route_irq0();
	guest_load_ch0(2, PERIOD_COUNT);
	t0 = rdtsc();
	while (rdtsc() - t0 < block_tsc)
		guest_pause();
	t0 = rdtsc();
	__asm__ __volatile__("sti" : : : "memory");
	while (guest_ticks() < target && rdtsc() - t0 < max_tsc)
		guest_pause();
	__asm__ __volatile__("cli" : : : "memory");
	GUEST_SYNC_ARGS(1, guest_ticks(), rdtsc() - t0, 0);
	guest_load_ch0(0, 0);
	GUEST_DONE();
}

#define BLOCK_MS	400ULL		/* 40 periods missed */
#define TARGET_TICKS	30ULL
#define MAX_WINDOW_MS	3000ULL

static void missed_case(struct __test_metadata *_metadata, bool reinject)
{
	struct kvm_reinject_control rc = { .pit_reinject = reinject };
	u64 ticks, window_ns, limit;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	long khz;

	vcpu = irqchip_guest(_metadata, &vm, GUEST_ENTRY(guest_missed));
	ASSERT_EQ(0, ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc));
	khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, khz);
	vcpu_args_set(vcpu, 3, (u64)khz * BLOCK_MS, TARGET_TICKS,
		      (u64)khz * MAX_WINDOW_MS);
	run_sync(_metadata, vcpu, &uc, 1);
	ticks = uc.args[1];
	window_ns = uc.args[2] * 1000000ULL / (u64)khz;
	limit = window_ns / PERIOD_NS + 2;
	TH_LOG("reinject %d: %llu ticks in a %llu us window (%llu periods)",
	       reinject, (unsigned long long)ticks,
	       (unsigned long long)window_ns / 1000,
	       (unsigned long long)(window_ns / PERIOD_NS));
	if (reinject) {
		/* The missed ticks come after the window opens, at once. */
		EXPECT_LE(TARGET_TICKS, ticks);
		EXPECT_LT(limit, ticks);
	} else {
		/* Missed ticks are lost: one period, one tick at most. */
		EXPECT_GE(limit, ticks);
	}
	run_done(_metadata, vcpu);
	vm_free(vm);
}

TEST(irq0_reinject_delivers_missed_ticks)
{
	TEST_REQUIRE_KVM();
	missed_case(_metadata, true);
}

TEST(irq0_no_reinject_drops_missed_ticks)
{
	TEST_REQUIRE_KVM();
	missed_case(_metadata, false);
}

/*
 * A VM closed while its PIT ticks at the fastest rate (count 1 is
 * clamped to 200 us) into a masked pin: nothing may fire after the free.
 */
TEST(destroy_while_ticking)
{
	struct kvm_reinject_control rc = { .pit_reinject = 0 };
	struct kvm_pit_state2 s;
	struct kvm_vm *vm;
	int i;

	TEST_REQUIRE_KVM();
	for (i = 0; i < 20; i++) {
		vm = vm_create();
		ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
		ASSERT_EQ(0, create_pit2(vm, 0));
		if (i & 1)
			ASSERT_EQ(0, ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc));
		ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_PIT2, &s));
		fill_channel(&s.channels[0], 1, 2);
		ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_PIT2, &s));
		usleep(2000);
		vm_free(vm);
	}
}

TEST_HARNESS_MAIN
