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
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

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
