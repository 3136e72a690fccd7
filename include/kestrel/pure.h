/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic (instruction decoder/emulator, guest page walker, LAPIC register
 * model, GSI routing) includes only this header for its basic types and
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

/* The compiler's own fixed-width types, as <stdint.h> defines them. */
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT8_TYPE__ s8;
typedef __INT16_TYPE__ s16;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;

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

#endif /* KESTREL_PURE_H */
