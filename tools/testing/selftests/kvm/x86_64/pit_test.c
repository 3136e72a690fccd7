// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 PIT (api.rst 4.xx KVM_CREATE_PIT2, KVM_GET/SET_PIT2,
 * KVM_GET/SET_PIT, KVM_REINJECT_CONTROL) as KVM 6.1 has it: the errno
 * cases of the ioctls; state round trips; a count loaded by KVM_SET_PIT2
 * counting down as the guest sees it through the counter latch command
 * (8254 datasheet, "Counter Latch Command"); port 0x61 in the kernel only
 * with KVM_PIT_SPEAKER_DUMMY; and the guest calibrating its TSC against
 * channel 2 as Linux's pit_calibrate_tsc() does (gate via port 0x61, mode
 * 0, polling OUT2 in port 0x61 bit 5).
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

#define PIT_HZ		1193182ULL
#define PIT_CH0		0x40
#define PIT_CH1		0x41
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PORT_B		0x61		/* speaker / gate 2 / OUT2 */

#define PORTB_GATE2	0x01
#define PORTB_SPEAKER	0x02
#define PORTB_OUT2	0x20

/* Control word (datasheet figure 6): SC1-0, RW1-0, M2-M0, BCD. */
#define CW(sc, rw, mode)	(((sc) << 6) | ((rw) << 4) | ((mode) << 1))
#define RW_LATCH	0
#define RW_LSB_MSB	3

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int create_pit2(struct kvm_vm *vm, u32 flags)
{
	struct kvm_pit_config config = { .flags = flags };

	return ioctl(vm->fd, KVM_CREATE_PIT2, &config);
}

static void run_sync(struct __test_metadata *_metadata,
		     struct kvm_vcpu *vcpu, struct ucall *uc, u64 stage)
{
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, uc));
	ASSERT_EQ(stage, uc->args[0]);
}

static void run_done(struct __test_metadata *_metadata,
		     struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

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
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_REINJECT_CONTROL));
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

static void fill_channel(struct kvm_pit_channel_state *c, u32 count,
			 u8 mode)
{
	memset(c, 0, sizeof(*c));
	c->count = count;
	c->mode = mode;
	c->rw_mode = RW_LSB_MSB;
	c->read_state = RW_LSB_MSB;
	c->write_state = RW_LSB_MSB;
	c->gate = 1;
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

TEST_HARNESS_MAIN
