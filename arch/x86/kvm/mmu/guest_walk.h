/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page-table walker: guest-virtual to guest-physical translation with
 * the guest's own paging structures, as the guest CPU would do it.
 *
 * Pure logic (see <kestrel/pure.h>): the module uses it to fetch the guest
 * instruction at RIP and to translate memory operands of emulated MMIO
 * instructions; tools/testing/unit/guest_walk_test.c tests it in user space.
 *
 * Supported: paging off, 32-bit paging (4 KiB; 4 MiB with CR4.PSE, PSE-36),
 * PAE paging (4 KiB, 2 MiB), 4-level and 5-level paging (4 KiB, 2 MiB,
 * 1 GiB), reserved-bit checks, R/W, U/S, XD, CR0.WP, SMEP and SMAP.
 * Not modelled: protection keys (PFERR_PK is never reported), shadow-stack
 * and SGX accesses, LAM, HLAT, and the MTRR/PAT memory type.  The walker
 * never sets Accessed/Dirty bits (see guest_walk.c).
 */
#ifndef KESTREL_GUEST_WALK_H
#define KESTREL_GUEST_WALK_H

#include <kestrel/pure.h>

/* Architectural #PF error code bits (SDM vol. 3A, 4.7). */
#define PFERR_PRESENT	BIT(0)
#define PFERR_WRITE	BIT(1)
#define PFERR_USER	BIT(2)
#define PFERR_RSVD	BIT(3)
#define PFERR_FETCH	BIT(4)
#define PFERR_PK	BIT(5)

/*
 * Not an error code bit: set in @access of guest_walk_gva() for an implicit
 * supervisor-mode access (GDT/LDT/IDT/TSS, SDM vol. 3A, 4.6), for which
 * SMAP ignores RFLAGS.AC.  Supervisor accesses at CPL 3 are implicit anyway.
 * Never appears in guest_walk.error_code.
 */
#define GUEST_WALK_IMPLICIT	BIT(31)

/* guest_paging.flags: properties of the guest CPU model. */
/* AMD: bit 8 of PML4Es and PML5Es is reserved (APM vol. 2, ch. 5, "MBZ"). */
#define GUEST_PAGING_AMD	BIT(0)
/* Guest CPUID 8000_0001h:EDX[26] (Page1GB) clear: PS=1 in a PDPTE is reserved. */
#define GUEST_PAGING_NO_1G	BIT(1)

struct guest_paging {
	u64 cr0, cr3, cr4, efer;	/* the guest's, as the vCPU has them */
	u64 rflags;			/* AC matters for SMAP */
	u8 cpl;				/* 0..3 */
	u8 maxphyaddr;			/* guest MAXPHYADDR; clamped to 32..52 */
	u8 flags;			/* GUEST_PAGING_* */
};

struct guest_walk {
	u64 gpa;		/* on success */
	u32 error_code;		/* on fault: the #PF error code to inject */
	/*
	 * On success the level of the leaf (1 = 4K; 2 = 2M/4M; 3 = 1G), 0 with
	 * paging off.  On a fault, the level of the entry that was not present
	 * or had a reserved bit set, or the leaf level for a protection fault.
	 */
	u8 level;
};

/*
 * Read guest-physical memory; return 0 or a negative errno (gpa not backed
 * by RAM).  Entry reads are naturally aligned, 4 or 8 bytes, little endian.
 */
typedef int (*guest_read_phys_t)(void *opaque, u64 gpa, void *buf,
				 unsigned int len);

/*
 * access: PFERR_WRITE / PFERR_USER / PFERR_FETCH bits describing the access
 * (PFERR_USER = the access is a user-mode access, normally cpl == 3; implicit
 * supervisor accesses leave it clear), at most one of WRITE and FETCH, plus
 * GUEST_WALK_IMPLICIT if it applies.  Other bits are ignored.
 *
 * Returns 0 (w->gpa set), -EFAULT (a guest page fault: w->error_code set,
 * the caller injects #PF with CR2 = gva), -EINVAL (a non-canonical gva in
 * long mode: the caller injects #GP(0), or #SS(0) for a stack access), or
 * the read callback's error.  A callback returning -EFAULT (as
 * kvm_read_guest() does for an unbacked gpa) is reported as -EIO, so that
 * -EFAULT always means "inject #PF"; a positive return is reported as -EIO.
 *
 * In modes other than long mode the gva is truncated to 32 bits: linear
 * addresses are 32 bits wide there.  In compatibility mode the caller passes
 * the 32-bit linear address zero-extended, which is canonical.
 */
int guest_walk_gva(const struct guest_paging *p, u64 gva, u32 access,
		   guest_read_phys_t read, void *opaque, struct guest_walk *w);

#endif /* KESTREL_GUEST_WALK_H */
