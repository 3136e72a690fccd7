// SPDX-License-Identifier: GPL-2.0
/*
 * Intel 8254 PIT model (see i8254.h for the API).
 *
 * Reference: Intel 8254 Programmable Interval Timer datasheet (order
 * 231164-005): control word format (figure 6), counter latch command,
 * read-back command (figures 10-12), status byte, modes 0-5 (figure 8),
 * reading and writing counts LSB/MSB.  KVM 6.1's model is followed where
 * it simplifies, since guests and VMMs ran against it:
 *
 * - A count is loaded the moment it is written (no CLK pulse to wait for),
 *   so NULL COUNT (status bit 6) is always 0, and writing the first byte
 *   of a two-byte count does not stop counting in mode 0.
 * - The gate only restarts counting on a rising edge in modes 1, 2, 3
 *   and 5; it does not pause counting in modes 0 and 4, nor force OUT.
 * - BCD counting is not done: the BCD bit is stored and reported in the
 *   status byte, counts are binary.
 * - OUT is KVM's: as the datasheet in modes 0 and 3; in modes 2, 4 and 5
 *   it is high only on the tick the count expires, and in mode 1 high
 *   while counting (the datasheet has these the other way round).  Port
 *   0x61 and the read-back status show it, as on KVM.
 * - Mode 3 counts down by two from the count, twice per period, whatever
 *   its parity.
 *
 * One departure: channel 0 counts with the time elapsed since its load,
 * like channels 1 and 2.  KVM derives it from its hrtimer, so there a
 * channel 0 without a running timer (mode 5, HPET legacy) does not count,
 * and a periodic one clamped to min_timer_period_us counts slower.
 */
#include <kestrel/pure.h>

#include "i8254.h"

/* Control word (port 0x43). */
#define CW_BCD		BIT(0)
#define CW_MODE(v)	(((v) >> 1) & 7)
#define CW_RW(v)	(((v) >> 4) & 3)
#define CW_COUNTER(v)	((v) >> 6)
#define CW_READ_BACK	3		/* counter field 11b */
#define RB_NO_COUNT	BIT(5)		/* read-back: do not latch count */
#define RB_NO_STATUS	BIT(4)		/* read-back: do not latch status */

/* Port 0x61 (PC/AT system control port B). */
#define SPK_GATE2	BIT(0)
#define SPK_DATA	BIT(1)
#define SPK_REFRESH	BIT(4)
#define SPK_OUT2	BIT(5)

#define PIT_MAX_COUNT	0x10000U	/* a count of 0 */

static struct kvm_pit_channel_state *chan(struct kvm_pit *pit, unsigned int i)
{
	return &pit->state.channels[i];
}

/* Whole PIT clock ticks in t ns, without overflowing 64 bits. */
static u64 ns_to_ticks(u64 t)
{
	return (t / PIT_NSEC_PER_SEC) * PIT_FREQ_HZ +
	       (t % PIT_NSEC_PER_SEC) * PIT_FREQ_HZ / PIT_NSEC_PER_SEC;
}

/* Ticks since the count was loaded; 0 if that is in the future. */
static u64 pit_ticks(const struct kvm_pit_channel_state *c, s64 now_ns)
{
	if (now_ns <= c->count_load_time)
		return 0;
	return ns_to_ticks((u64)now_ns - (u64)c->count_load_time);
}

/* The loaded count: never 0, whatever userspace stored. */
static u32 pit_count(const struct kvm_pit_channel_state *c)
{
	return c->count ? c->count : PIT_MAX_COUNT;
}

static u32 pit_count_at(const struct kvm_pit_channel_state *c, u64 d)
{
	u32 count = pit_count(c);

	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		/* One-shot modes wrap around to 0xffff and keep counting. */
		return (u32)(count - d) & 0xffff;
	case 3:
		return count - (u32)((2 * d) % count);
	default:
		return count - (u32)(d % count);
	}
}

static bool pit_out_at(const struct kvm_pit_channel_state *c, u64 d)
{
	u32 count = pit_count(c);

	switch (c->mode) {
	case 1:
		return d < count;
	case 2:
		return d && d % count == 0;
	case 3:
		return d % count < (count + 1) / 2;
	case 4:
	case 5:
		return d == count;
	default:
		return d >= count;
	}
}

u32 kvm_pit_get_count(const struct kvm_pit *pit, unsigned int channel,
		      s64 now_ns)
{
	const struct kvm_pit_channel_state *c;

	if (channel > 2)
		return 0;
	c = &pit->state.channels[channel];
	return pit_count_at(c, pit_ticks(c, now_ns));
}

bool kvm_pit_get_out(const struct kvm_pit *pit, unsigned int channel,
		     s64 now_ns)
{
	const struct kvm_pit_channel_state *c;

	if (channel > 2)
		return false;
	c = &pit->state.channels[channel];
	return pit_out_at(c, pit_ticks(c, now_ns));
}

static void pit_load_count(struct kvm_pit *pit, unsigned int channel, u32 val,
			   s64 now_ns)
{
	chan(pit, channel)->count = val ? val : PIT_MAX_COUNT;
	chan(pit, channel)->count_load_time = now_ns;
}

void kvm_pit_reset(struct kvm_pit *pit, s64 now_ns)
{
	unsigned int i;

	memset(pit, 0, sizeof(*pit));
	for (i = 0; i < 3; i++) {
		chan(pit, i)->mode = 0xff;
		chan(pit, i)->gate = i != 2;
		pit_load_count(pit, i, 0, now_ns);
	}
}

/* Counter latch command: the first latch holds until read. */
static void pit_latch_count(struct kvm_pit *pit, unsigned int channel,
			    s64 now_ns)
{
	struct kvm_pit_channel_state *c = chan(pit, channel);

	if (c->count_latched)
		return;
	c->latched_count = kvm_pit_get_count(pit, channel, now_ns);
	c->count_latched = c->rw_mode;
}

/* Status byte: OUT, NULL COUNT (0), RW1-0, M2-M0, BCD. */
static void pit_latch_status(struct kvm_pit *pit, unsigned int channel,
			     s64 now_ns)
{
	struct kvm_pit_channel_state *c = chan(pit, channel);

	if (c->status_latched)
		return;
	c->status = (kvm_pit_get_out(pit, channel, now_ns) << 7) |
		    ((c->rw_mode & 3) << 4) | ((c->mode & 7) << 1) |
		    (c->bcd & 1);
	c->status_latched = 1;
}

static void pit_read_back(struct kvm_pit *pit, u8 val, s64 now_ns)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (!(val & (2 << i)))
			continue;
		if (!(val & RB_NO_COUNT))
			pit_latch_count(pit, i, now_ns);
		if (!(val & RB_NO_STATUS))
			pit_latch_status(pit, i, now_ns);
	}
}

static void pit_write_control(struct kvm_pit *pit, u8 val, s64 now_ns)
{
	unsigned int channel = CW_COUNTER(val);
	struct kvm_pit_channel_state *c;

	if (channel == CW_READ_BACK) {
		pit_read_back(pit, val, now_ns);
		return;
	}
	c = chan(pit, channel);
	if (!CW_RW(val)) {
		pit_latch_count(pit, channel, now_ns);
		return;
	}
	c->rw_mode = CW_RW(val);
	c->read_state = c->rw_mode;
	c->write_state = c->rw_mode;
	/* Modes 6 and 7 are modes 2 and 3 (X10, X11 in the datasheet). */
	c->mode = CW_MODE(val);
	if (c->mode > 5)
		c->mode -= 4;
	c->bcd = val & CW_BCD;
}

/* Returns true when a count was loaded. */
static bool pit_write_count(struct kvm_pit *pit, unsigned int channel, u8 val,
			    s64 now_ns)
{
	struct kvm_pit_channel_state *c = chan(pit, channel);

	switch (c->write_state) {
	case RW_STATE_MSB:
		pit_load_count(pit, channel, (u32)val << 8, now_ns);
		return true;
	case RW_STATE_WORD0:
		c->write_latch = val;
		c->write_state = RW_STATE_WORD1;
		return false;
	case RW_STATE_WORD1:
		pit_load_count(pit, channel, c->write_latch | ((u32)val << 8),
			       now_ns);
		c->write_state = RW_STATE_WORD0;
		return true;
	default:	/* RW_STATE_LSB, or anything userspace stored */
		pit_load_count(pit, channel, val, now_ns);
		return true;
	}
}

static u8 pit_read_latched_count(struct kvm_pit_channel_state *c)
{
	switch (c->count_latched) {
	case RW_STATE_MSB:
		c->count_latched = 0;
		return c->latched_count >> 8;
	case RW_STATE_WORD0:
		c->count_latched = RW_STATE_MSB;
		return c->latched_count & 0xff;
	default:
		c->count_latched = 0;
		return c->latched_count & 0xff;
	}
}

static u8 pit_read_counter(struct kvm_pit *pit, unsigned int channel,
			   s64 now_ns)
{
	struct kvm_pit_channel_state *c = chan(pit, channel);
	u32 count;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched)
		return pit_read_latched_count(c);

	count = kvm_pit_get_count(pit, channel, now_ns);
	switch (c->read_state) {
	case RW_STATE_MSB:
		return (count >> 8) & 0xff;
	case RW_STATE_WORD0:
		c->read_state = RW_STATE_WORD1;
		return count & 0xff;
	case RW_STATE_WORD1:
		c->read_state = RW_STATE_WORD0;
		return (count >> 8) & 0xff;
	default:
		return count & 0xff;
	}
}

/* Gate of channel 2: a rising edge restarts counting in modes 1-3, 5. */
static void pit_set_gate(struct kvm_pit *pit, unsigned int channel, u8 gate,
			 s64 now_ns)
{
	struct kvm_pit_channel_state *c = chan(pit, channel);

	switch (c->mode) {
	case 1:
	case 2:
	case 3:
	case 5:
		if (c->gate < gate)
			c->count_load_time = now_ns;
		break;
	}
	c->gate = gate;
}

static u8 pit_read_speaker(struct kvm_pit *pit, s64 now_ns)
{
	/* DRAM refresh toggles every ~15 us: KVM takes bit 14 of the ns clock. */
	bool refresh = ((u64)now_ns >> 14) & 1;
	u8 val = pit->state.channels[2].gate ? SPK_GATE2 : 0;

	if (pit->state.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON)
		val |= SPK_DATA;
	if (refresh)
		val |= SPK_REFRESH;
	if (kvm_pit_get_out(pit, 2, now_ns))
		val |= SPK_OUT2;
	return val;
}

static void pit_write_speaker(struct kvm_pit *pit, u8 val, s64 now_ns)
{
	if (val & SPK_DATA)
		pit->state.flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		pit->state.flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	pit_set_gate(pit, 2, val & SPK_GATE2, now_ns);
}

int kvm_pit_ioport_read(struct kvm_pit *pit, u16 port, s64 now_ns, u8 *val)
{
	switch (port) {
	case PIT_PORT_COUNTER0:
	case PIT_PORT_COUNTER1:
	case PIT_PORT_COUNTER2:
		*val = pit_read_counter(pit, port - PIT_PORT_COUNTER0, now_ns);
		return 0;
	case PIT_PORT_CONTROL:
		/* Write-only; KVM leaves the buffer as it was. */
		*val = 0;
		return 0;
	case PIT_PORT_SPEAKER:
		*val = pit_read_speaker(pit, now_ns);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

int kvm_pit_ioport_write(struct kvm_pit *pit, u16 port, u8 val, s64 now_ns)
{
	switch (port) {
	case PIT_PORT_COUNTER0:
		return pit_write_count(pit, 0, val, now_ns) ?
		       KVM_PIT_TIMER_RELOAD : 0;
	case PIT_PORT_COUNTER1:
	case PIT_PORT_COUNTER2:
		pit_write_count(pit, port - PIT_PORT_COUNTER0, val, now_ns);
		return 0;
	case PIT_PORT_CONTROL:
		pit_write_control(pit, val, now_ns);
		return 0;
	case PIT_PORT_SPEAKER:
		pit_write_speaker(pit, val, now_ns);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

void kvm_pit_timer(const struct kvm_pit *pit, struct kvm_pit_timer *t)
{
	const struct kvm_pit_channel_state *c = &pit->state.channels[0];

	memset(t, 0, sizeof(*t));
	/* The HPET drives IRQ 0 instead (KVM_PIT_FLAGS_HPET_LEGACY). */
	if (pit->state.flags & KVM_PIT_FLAGS_HPET_LEGACY)
		return;
	switch (c->mode) {
	case 0:
	case 1:
	case 4:
		break;
	case 2:
	case 3:
		t->periodic = true;
		break;
	default:
		return;
	}
	t->armed = true;
	/* At most 2^32 * 10^9: fits in 64 bits. */
	t->period_ns = (u64)pit_count(c) * PIT_NSEC_PER_SEC / PIT_FREQ_HZ;
	/* Wrapping, not overflowing, on a load time from userspace. */
	t->expires_ns = (s64)((u64)c->count_load_time + (u64)t->period_ns);
}

void kvm_pit_get_state(const struct kvm_pit *pit, struct kvm_pit_state2 *state)
{
	*state = pit->state;
	memset(state->reserved, 0, sizeof(state->reserved));
}

void kvm_pit_set_state(struct kvm_pit *pit,
		       const struct kvm_pit_channel_state channels[3],
		       u32 flags, s64 now_ns)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		pit->state.channels[i] = channels[i];
		pit_load_count(pit, i, channels[i].count, now_ns);
	}
	pit->state.flags = flags;
}
