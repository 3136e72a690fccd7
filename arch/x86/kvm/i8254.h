/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model of the Intel 8254 programmable interval timer (counters 0-2) and
 * the speaker port 0x61, as KVM presents them.
 *
 * Pure logic: no kernel or libc dependency beyond <kestrel/pure.h>, so the
 * same source builds into kestrel.ko and into the user-space unit tests.
 *
 * The state is struct kvm_pit_state2 (UAPI) itself, so KVM_GET/SET_PIT2
 * (and the older KVM_GET/SET_PIT, channels only) are kvm_pit_get_state()
 * and kvm_pit_set_state().  Any value in it is safe to use.
 *
 * Time is not read by the model: every call that needs it takes now_ns,
 * the host's monotonic clock in ns (ktime_get_ns()), and count_load_time
 * holds that clock.  A counter's value and OUT are functions of the time
 * elapsed since its count was loaded (or its gate rose).
 *
 * What the glue does around it:
 * - One lock around every call (KVM: a mutex).
 * - Port I/O: ports 0x40-0x43 and 0x61 go to kvm_pit_ioport_read/write,
 *   one byte at a time (KVM uses the low byte of wider writes and returns
 *   the byte zero-extended on wider reads).
 * - The IRQ 0 timer: when kvm_pit_ioport_write() returns
 *   KVM_PIT_TIMER_RELOAD, or after kvm_pit_set_state()/kvm_pit_reset(),
 *   cancel the hrtimer and re-arm it from kvm_pit_timer().  At each expiry
 *   raise and lower GSI 0 with the PIT's own irq source id (KVM: from a
 *   kthread, then NMI to LAPICs whose LVT0 is in NMI mode).  KVM clamps a
 *   periodic period to min_timer_period_us (200 us by default), and with
 *   KVM_REINJECT_CONTROL on (the default) counts missed ticks and injects
 *   the next only after the guest acked the last (ack notifier on GSI 0),
 *   resetting the count when the pin is unmasked.
 * - KVM arms no timer unless the IOAPIC is in the kernel.
 */
#ifndef KESTREL_X86_I8254_H
#define KESTREL_X86_I8254_H

#include <kestrel/pure.h>

/*
 * The 8254's input clock on a PC: 14.31818 MHz / 12 = 1193181.8 Hz.
 * KVM 6.1 uses 1193181; the difference (under 1 ppm) is not visible to
 * guests within one count period.
 */
#define PIT_FREQ_HZ		1193182U
#define PIT_NSEC_PER_SEC	1000000000ULL

#define PIT_PORT_COUNTER0	0x40
#define PIT_PORT_COUNTER1	0x41
#define PIT_PORT_COUNTER2	0x42
#define PIT_PORT_CONTROL	0x43
#define PIT_PORT_SPEAKER	0x61

/* kvm_pit_channel_state.read_state/write_state/rw_mode/count_latched. */
#define RW_STATE_LSB		1
#define RW_STATE_MSB		2
#define RW_STATE_WORD0		3	/* LSB then MSB: LSB next */
#define RW_STATE_WORD1		4	/* LSB then MSB: MSB next */

/* The channel-0 count was (re)loaded: the glue re-arms its timer. */
#define KVM_PIT_TIMER_RELOAD	1

struct kvm_pit {
	struct kvm_pit_state2 state;	/* UAPI layout: KVM_GET/SET_PIT2 */
};

/* The channel-0 timer the glue runs (IRQ 0). */
struct kvm_pit_timer {
	/* false: no timer (mode 5, never programmed, or HPET legacy mode) */
	bool armed;
	bool periodic;		/* modes 2, 3: every period_ns; else once */
	s64 expires_ns;		/* first expiry, on the now_ns clock */
	s64 period_ns;		/* count in ns, before any clamping */
};

/*
 * Power-on state as KVM: no flags, every channel in mode 0xff (no mode
 * programmed: no timer) with count 65536 loaded at now_ns; gate high on
 * channels 0 and 1, low on channel 2 (port 0x61 bit 0).
 */
void kvm_pit_reset(struct kvm_pit *pit, s64 now_ns);

/*
 * Byte accesses.  Returns -EOPNOTSUPP for other ports; for a write,
 * KVM_PIT_TIMER_RELOAD if the channel-0 count was loaded, else 0.
 */
int kvm_pit_ioport_read(struct kvm_pit *pit, u16 port, s64 now_ns, u8 *val);
int kvm_pit_ioport_write(struct kvm_pit *pit, u16 port, u8 val, s64 now_ns);

/*
 * Current count of channel (0..2) as KVM computes it (the guest reads its
 * low 16 bits: 65536 reads 0), and OUT.  Other channels: 0, false.
 */
u32 kvm_pit_get_count(const struct kvm_pit *pit, unsigned int channel,
		      s64 now_ns);
bool kvm_pit_get_out(const struct kvm_pit *pit, unsigned int channel,
		     s64 now_ns);

void kvm_pit_timer(const struct kvm_pit *pit, struct kvm_pit_timer *t);

/* KVM_GET_PIT2; reserved zeroed.  KVM_GET_PIT is its channels[]. */
void kvm_pit_get_state(const struct kvm_pit *pit, struct kvm_pit_state2 *state);

/*
 * KVM_SET_PIT2 (channels and flags) or KVM_SET_PIT (channels; pass the
 * current flags): every channel's count is loaded again at now_ns, as in
 * KVM, so the count_load_time given is not kept.  Then re-arm the timer.
 */
void kvm_pit_set_state(struct kvm_pit *pit,
		       const struct kvm_pit_channel_state channels[3],
		       u32 flags, s64 now_ns);

#endif /* KESTREL_X86_I8254_H */
