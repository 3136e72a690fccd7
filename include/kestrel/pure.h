/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic (instruction decoder/emulator, guest page walker, LAPIC register
 * model, interrupt controllers, GSI routing) includes only this header for its basic types and
 * helpers, so the same source builds into the module and into user-space
 * unit tests and fuzz targets (tools/testing/unit, tools/testing/fuzz).
 */
#ifndef KESTREL_PURE_H
#define KESTREL_PURE_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Exactly the kernel's types (asm-generic/int-ll64.h), so formats agree. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

#ifndef BIT
#define BIT(n)		(1UL << (n))
#endif
#ifndef BIT_ULL
#define BIT_ULL(n)	(1ULL << (n))
#endif
#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif
#ifndef unlikely
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#endif /* __KERNEL__ */

/*
 * The KVM UAPI structures (struct kvm_ioapic_state, kvm_pic_state,
 * kvm_pit_state2, kvm_irq_routing_entry...) are the state of the interrupt
 * controller models, so that KVM_GET/SET_IRQCHIP and friends are copies.
 * <linux/kvm.h> is a UAPI header: the same file in the kernel tree and in
 * user space (linux-libc-dev), with only __u8.. types.
 */
#include <linux/kvm.h>

#endif /* KESTREL_PURE_H */
