// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the 8254 PIT model (arch/x86/kvm/i8254.c), through its
 * ports with explicit times.  A tick is 1/1193182 s; the ns constants
 * below are the first ns at which that many whole ticks have elapsed
 * (floor(ns * 1193182 / 10^9)), worked out by hand:
 *   1 tick: 839 ns, 10: 8381, 49: 41067, 50: 41905, 99: 82972,
 *   100: 83810, 101: 84648, 1000: 838096, 4095: 3432000, 4096: 3432838,
 *   4097: 3433676.
 */
#include "kselftest_harness.h"
#include "i8254.h"

/* Deterministic pseudo-random bytes (64-bit LCG, Knuth's MMIX constants). */
static u64 rng_state = 0x2545f4914f6cdd1dULL;

static u32 rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

static void rnd_fill(void *p, size_t n)
{
	u8 *b = p;

	while (n--)
		*b++ = rnd();
}

#define T0	1000000000LL	/* load time used by the tests */

FIXTURE(pit) {
	struct kvm_pit pit;
};

FIXTURE_SETUP(pit)
{
	kvm_pit_reset(&self->pit, 0);
}

FIXTURE_TEARDOWN(pit)
{
}

static int out(struct kvm_pit *pit, u16 port, u8 val, s64 now)
{
	int r = kvm_pit_ioport_write(pit, port, val, now);

	if (r < 0)
		abort();
	return r;
}

static u8 in(struct kvm_pit *pit, u16 port, s64 now)
{
	u8 v = 0x5a;

	if (kvm_pit_ioport_read(pit, port, now, &v))
		abort();
	return v;
}

/* Control word for channel 0..2, LSB then MSB, mode m. */
static u8 cw(unsigned int ch, unsigned int m)
{
	return (ch << 6) | (3 << 4) | (m << 1);
}

static void load(struct kvm_pit *pit, unsigned int ch, unsigned int mode,
		 u16 count, s64 now)
{
	out(pit, 0x43, cw(ch, mode), now);
	out(pit, 0x40 + ch, count & 0xff, now);
	out(pit, 0x40 + ch, count >> 8, now);
}

static u16 read16(struct kvm_pit *pit, unsigned int ch, s64 now)
{
	u8 lo = in(pit, 0x40 + ch, now);

	return lo | (in(pit, 0x40 + ch, now) << 8);
}

TEST_F(pit, reset_state)
{
	struct kvm_pit_timer t;

	EXPECT_EQ(0xff, self->pit.state.channels[0].mode);
	EXPECT_EQ(0x10000U, self->pit.state.channels[0].count);
	EXPECT_EQ(1, self->pit.state.channels[0].gate);
	EXPECT_EQ(1, self->pit.state.channels[1].gate);
	EXPECT_EQ(0, self->pit.state.channels[2].gate);
	kvm_pit_timer(&self->pit, &t);
	EXPECT_FALSE(t.armed);
}

TEST_F(pit, control_word)
{
	out(&self->pit, 0x43, 0xb7, 0);	/* ch2, LSB/MSB, mode 3, BCD */
	EXPECT_EQ(3, self->pit.state.channels[2].mode);
	EXPECT_EQ(3, self->pit.state.channels[2].rw_mode);
	EXPECT_EQ(1, self->pit.state.channels[2].bcd);
	out(&self->pit, 0x43, 0x6c, 0);	/* ch1, MSB, mode 6 = 2 */
	EXPECT_EQ(2, self->pit.state.channels[1].mode);
	EXPECT_EQ(2, self->pit.state.channels[1].rw_mode);
	out(&self->pit, 0x43, 0x1e, 0);	/* ch0, LSB, mode 7 = 3 */
	EXPECT_EQ(3, self->pit.state.channels[0].mode);
	EXPECT_EQ(1, self->pit.state.channels[0].rw_mode);
	out(&self->pit, 0x43, 0x1a, 0);	/* mode 5 */
	EXPECT_EQ(5, self->pit.state.channels[0].mode);
}

TEST_F(pit, write_returns_reload_for_channel0_only)
{
	out(&self->pit, 0x43, cw(0, 2), T0);
	EXPECT_EQ(0, out(&self->pit, 0x40, 0x34, T0));	/* LSB: not yet */
	EXPECT_EQ(KVM_PIT_TIMER_RELOAD, out(&self->pit, 0x40, 0x12, T0));
	EXPECT_EQ(0x1234U, self->pit.state.channels[0].count);
	out(&self->pit, 0x43, cw(2, 2), T0);
	out(&self->pit, 0x42, 0x34, T0);
	EXPECT_EQ(0, out(&self->pit, 0x42, 0x12, T0));
	EXPECT_EQ(0x1234U, self->pit.state.channels[2].count);
}

TEST_F(pit, mode0_counts_down_and_out_rises)
{
	load(&self->pit, 0, 0, 0x1000, T0);
	EXPECT_EQ(0x1000, read16(&self->pit, 0, T0));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 0, T0));
	EXPECT_EQ(0x1000 - 1000, read16(&self->pit, 0, T0 + 838096));
	EXPECT_EQ(0x1000 - 999, read16(&self->pit, 0, T0 + 838095));
	EXPECT_EQ(1, read16(&self->pit, 0, T0 + 3432000));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 0, T0 + 3432000));
	EXPECT_EQ(0, read16(&self->pit, 0, T0 + 3432838));
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 0, T0 + 3432838));
	/* Wraps to 0xffff and keeps counting; OUT stays high. */
	EXPECT_EQ(0xffff, read16(&self->pit, 0, T0 + 3433676));
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 0, T0 + 3433676));
	/* Before the load time (clock from userspace): as at load. */
	EXPECT_EQ(0x1000, read16(&self->pit, 0, T0 - 5000));
}

TEST_F(pit, mode2_rate_generator)
{
	load(&self->pit, 0, 2, 100, T0);
	EXPECT_EQ(100U, kvm_pit_get_count(&self->pit, 0, T0));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 0, T0));
	EXPECT_EQ(99U, kvm_pit_get_count(&self->pit, 0, T0 + 839));
	EXPECT_EQ(1U, kvm_pit_get_count(&self->pit, 0, T0 + 82972));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 0, T0 + 82972));
	/* Reload: OUT high (KVM's polarity) on the tick the count expires. */
	EXPECT_EQ(100U, kvm_pit_get_count(&self->pit, 0, T0 + 83810));
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 0, T0 + 83810));
	EXPECT_EQ(99U, kvm_pit_get_count(&self->pit, 0, T0 + 84648));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 0, T0 + 84648));
}

TEST_F(pit, mode3_square_wave)
{
	load(&self->pit, 0, 3, 100, T0);
	EXPECT_EQ(100U, kvm_pit_get_count(&self->pit, 0, T0));
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 0, T0));
	/* Counts by two. */
	EXPECT_EQ(80U, kvm_pit_get_count(&self->pit, 0, T0 + 8381));
	EXPECT_EQ(2U, kvm_pit_get_count(&self->pit, 0, T0 + 41067));
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 0, T0 + 41067));
	/* Second half: low, counting down from the count again. */
	EXPECT_EQ(100U, kvm_pit_get_count(&self->pit, 0, T0 + 41905));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 0, T0 + 41905));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 0, T0 + 82972));
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 0, T0 + 83810));
}

TEST_F(pit, mode3_odd_count_high_half_longer)
{
	load(&self->pit, 1, 3, 5, T0);
	/* (5 + 1) / 2 = 3 ticks high, 2 low. */
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 1, T0 + 2 * 839));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 1, T0 + 3 * 839));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 1, T0 + 4 * 839));
}

TEST_F(pit, mode1_mode4_mode5_out)
{
	load(&self->pit, 1, 4, 100, T0);
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 1, T0 + 82972));
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 1, T0 + 83810));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 1, T0 + 84648));
	EXPECT_EQ(0xffffU, kvm_pit_get_count(&self->pit, 1, T0 + 84648));
	load(&self->pit, 1, 1, 100, T0);
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 1, T0 + 82972));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 1, T0 + 83810));
	load(&self->pit, 1, 5, 100, T0);
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 1, T0 + 83810));
}

TEST_F(pit, lsb_only_and_msb_only)
{
	out(&self->pit, 0x43, 0x50, T0);		/* ch1, LSB, mode 0 */
	out(&self->pit, 0x41, 0x34, T0);
	EXPECT_EQ(0x34U, self->pit.state.channels[1].count);
	EXPECT_EQ(0x34, in(&self->pit, 0x41, T0));
	EXPECT_EQ(0x34, in(&self->pit, 0x41, T0));	/* no flip-flop */
	out(&self->pit, 0x43, 0x60, T0);		/* ch1, MSB, mode 0 */
	out(&self->pit, 0x41, 0x12, T0);
	EXPECT_EQ(0x1200U, self->pit.state.channels[1].count);
	EXPECT_EQ(0x12, in(&self->pit, 0x41, T0));
	EXPECT_EQ(0x0e, in(&self->pit, 0x41, T0 + 838096));	/* 0x0e18 */
}

TEST_F(pit, flip_flop)
{
	load(&self->pit, 1, 2, 0x1234, T0);
	EXPECT_EQ(0x34, in(&self->pit, 0x41, T0));
	EXPECT_EQ(0x12, in(&self->pit, 0x41, T0));
	EXPECT_EQ(0x34, in(&self->pit, 0x41, T0));
	/* A control word resets the flip-flop to LSB. */
	out(&self->pit, 0x43, cw(1, 2), T0);
	out(&self->pit, 0x41, 0x78, T0);
	out(&self->pit, 0x43, cw(1, 2), T0);
	out(&self->pit, 0x41, 0x00, T0);
	out(&self->pit, 0x41, 0x01, T0);
	EXPECT_EQ(0x100U, self->pit.state.channels[1].count);
	EXPECT_EQ(0x00, in(&self->pit, 0x41, T0));
}

TEST_F(pit, counter_latch)
{
	load(&self->pit, 0, 2, 0x1000, T0);
	out(&self->pit, 0x43, 0x00, T0 + 838096);	/* latch ch0: 0x1000 - 1000 */
	/* A second latch before the read changes nothing. */
	out(&self->pit, 0x43, 0x00, T0 + 3432000);
	EXPECT_EQ(0x18, in(&self->pit, 0x40, T0 + 3432838));
	EXPECT_EQ(0x0c, in(&self->pit, 0x40, T0 + 3432838));
	/* Latch consumed: live count again. */
	EXPECT_EQ(0x1000, read16(&self->pit, 0, T0 + 3432838));
}

TEST_F(pit, read_back_status_and_count)
{
	load(&self->pit, 0, 0, 0x1000, T0);
	load(&self->pit, 2, 3, 100, T0);
	/* Read-back count + status of counters 0 and 2. */
	out(&self->pit, 0x43, 0xca, T0 + 838096);
	EXPECT_EQ(0x30, in(&self->pit, 0x40, T0 + 3432838));	/* OUT low */
	EXPECT_EQ(0x18, in(&self->pit, 0x40, T0 + 3432838));
	EXPECT_EQ(0x0c, in(&self->pit, 0x40, T0 + 3432838));
	EXPECT_EQ(0xb6, in(&self->pit, 0x42, T0));		/* OUT high, mode 3 */
	/* Status only: count stays live. */
	out(&self->pit, 0x43, 0xe2, T0 + 3432838);
	EXPECT_EQ(0xb0, in(&self->pit, 0x40, T0));
	EXPECT_EQ(0x00, in(&self->pit, 0x40, T0 + 3432838));
	EXPECT_EQ(0x00, in(&self->pit, 0x40, T0 + 3432838));
	/* Count only (bit 4 set): no status byte first. */
	out(&self->pit, 0x43, 0xd2, T0);
	EXPECT_EQ(0x00, in(&self->pit, 0x40, T0 + 838096));
	EXPECT_EQ(0x10, in(&self->pit, 0x40, T0 + 838096));
}

TEST_F(pit, gate_and_speaker_port)
{
	u8 v;

	load(&self->pit, 2, 0, 1000, T0);
	/* Gate low, speaker data off, OUT2 low. */
	EXPECT_EQ(0x00, in(&self->pit, 0x61, T0) & 0x23);
	out(&self->pit, 0x61, 0x03, T0);
	EXPECT_EQ(1, self->pit.state.channels[2].gate);
	EXPECT_EQ((u32)KVM_PIT_FLAGS_SPEAKER_DATA_ON, self->pit.state.flags);
	/* Mode 0: the gate does not restart; OUT2 high after 1000 ticks. */
	v = in(&self->pit, 0x61, T0 + 838096);
	EXPECT_EQ(0x20, v & 0x20);
	EXPECT_EQ(0x03, v & 0x03);
	out(&self->pit, 0x61, 0x00, T0);
	EXPECT_EQ(0U, self->pit.state.flags);
	EXPECT_EQ(0x20, in(&self->pit, 0x61, T0 + 838096) & 0x23);
}

TEST_F(pit, speaker_refresh_toggles)
{
	EXPECT_EQ(0x00, in(&self->pit, 0x61, 0) & 0x10);
	EXPECT_EQ(0x10, in(&self->pit, 0x61, 1 << 14) & 0x10);
	EXPECT_EQ(0x00, in(&self->pit, 0x61, 2 << 14) & 0x10);
}

TEST_F(pit, gate_rising_edge_restarts_mode2)
{
	load(&self->pit, 2, 2, 100, T0);
	EXPECT_EQ(50U, kvm_pit_get_count(&self->pit, 2, T0 + 41905));
	out(&self->pit, 0x61, 0x01, T0 + 41905);		/* rising edge */
	EXPECT_EQ(100U, kvm_pit_get_count(&self->pit, 2, T0 + 41905));
	EXPECT_EQ(99U, kvm_pit_get_count(&self->pit, 2, T0 + 41905 + 839));
	/* Staying high is not an edge. */
	out(&self->pit, 0x61, 0x01, T0 + 83810);
	EXPECT_EQ(50U, kvm_pit_get_count(&self->pit, 2, T0 + 83810));
}

TEST_F(pit, timer_for_channel0)
{
	struct kvm_pit_timer t;

	load(&self->pit, 0, 2, 100, T0);
	kvm_pit_timer(&self->pit, &t);
	EXPECT_TRUE(t.armed);
	EXPECT_TRUE(t.periodic);
	EXPECT_EQ(83809, t.period_ns);
	EXPECT_EQ(T0 + 83809, t.expires_ns);

	load(&self->pit, 0, 0, 0x1000, T0);
	kvm_pit_timer(&self->pit, &t);
	EXPECT_TRUE(t.armed);
	EXPECT_FALSE(t.periodic);
	EXPECT_EQ(3432837, t.period_ns);

	load(&self->pit, 0, 4, 0, T0);		/* 0 is 65536 */
	kvm_pit_timer(&self->pit, &t);
	EXPECT_TRUE(t.armed);
	EXPECT_EQ(54925401, t.period_ns);

	load(&self->pit, 0, 5, 100, T0);
	kvm_pit_timer(&self->pit, &t);
	EXPECT_FALSE(t.armed);

	load(&self->pit, 0, 3, 100, T0);
	self->pit.state.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	kvm_pit_timer(&self->pit, &t);
	EXPECT_FALSE(t.armed);
}

TEST_F(pit, long_elapsed_time_no_overflow)
{
	/* Ten days: 864000 s = 1030909248000 ticks, = 2 mod 7. */
	load(&self->pit, 1, 2, 7, T0);
	EXPECT_EQ(5U, kvm_pit_get_count(&self->pit, 1, T0 + 864000LL * 1000000000LL));
	load(&self->pit, 1, 0, 7, T0);
	EXPECT_TRUE(kvm_pit_get_out(&self->pit, 1, 0x7fffffffffffffffLL));
}

TEST_F(pit, ports)
{
	u8 v = 0x5a;

	EXPECT_EQ(-EOPNOTSUPP, kvm_pit_ioport_read(&self->pit, 0x44, 0, &v));
	EXPECT_EQ(-EOPNOTSUPP, kvm_pit_ioport_write(&self->pit, 0x60, 0, 0));
	EXPECT_EQ(0, kvm_pit_ioport_read(&self->pit, 0x43, 0, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0U, kvm_pit_get_count(&self->pit, 3, 0));
	EXPECT_FALSE(kvm_pit_get_out(&self->pit, 3, 0));
}

TEST_F(pit, state_round_trip_and_garbage)
{
	struct kvm_pit_state2 st;
	struct kvm_pit_timer t;
	unsigned int i;

	load(&self->pit, 0, 2, 100, T0);
	kvm_pit_get_state(&self->pit, &st);
	EXPECT_EQ(100U, st.channels[0].count);
	EXPECT_EQ(T0, st.channels[0].count_load_time);
	EXPECT_EQ(2, st.channels[0].mode);

	memset(&st, 0xff, sizeof(st));
	st.channels[1].count = 0;
	kvm_pit_set_state(&self->pit, st.channels, 0, T0);
	/* Counts reloaded at now: 0 becomes 65536; load times replaced. */
	EXPECT_EQ(0xffffffffU, self->pit.state.channels[0].count);
	EXPECT_EQ(0x10000U, self->pit.state.channels[1].count);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(T0, self->pit.state.channels[i].count_load_time);
		/* Any stored state reads without harm. */
		in(&self->pit, 0x40 + i, T0 + 1000);
		in(&self->pit, 0x40 + i, T0 + 1000);
		in(&self->pit, 0x40 + i, T0 + 1000);
		out(&self->pit, 0x40 + i, 0x55, T0);
	}
	in(&self->pit, 0x61, T0);
	kvm_pit_timer(&self->pit, &t);
	EXPECT_FALSE(t.armed);			/* mode 0xff */
	kvm_pit_get_state(&self->pit, &st);
	EXPECT_EQ(0U, st.reserved[0]);
	EXPECT_EQ(0U, st.reserved[8]);
}

/* Any state from KVM_SET_PIT2, any time and any port input is safe. */
TEST_F(pit, random_state_and_inputs_are_safe)
{
	static const u16 ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61, 0x44 };
	struct kvm_pit_state2 st;
	struct kvm_pit_timer t;
	unsigned int i;
	s64 now;
	u8 v;

	for (i = 0; i < 200000; i++) {
		now = ((s64)rnd() << 32 | rnd()) >> (rnd() % 64);
		switch (rnd() % 5) {
		case 0:
			if (rnd() % 64)
				break;
			rnd_fill(&st, sizeof(st));
			kvm_pit_set_state(&self->pit, st.channels, st.flags, now);
			break;
		case 1:
			kvm_pit_ioport_write(&self->pit, ports[rnd() % 6], rnd(),
					     now);
			break;
		case 2:
			kvm_pit_ioport_read(&self->pit, ports[rnd() % 6], now, &v);
			break;
		case 3:
			kvm_pit_timer(&self->pit, &t);
			if (t.armed)
				ASSERT_LT(0, t.period_ns);
			break;
		default:
			kvm_pit_get_count(&self->pit, rnd() % 4, now);
			kvm_pit_get_out(&self->pit, rnd() % 4, now);
			break;
		}
		ASSERT_NE(0U, self->pit.state.channels[rnd() % 3].count);
	}
}

TEST_HARNESS_MAIN
