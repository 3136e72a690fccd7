// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walker (see guest_walk.h).
 *
 * References: Intel SDM vol. 3A, chapter 4 "Paging" (4.3 32-bit paging,
 * 4.4 PAE paging, 4.5 4-level and 5-level paging, 4.6 access rights,
 * 4.7 page-fault exceptions), and AMD APM vol. 2, chapter 5 "Page
 * Translation and Protection".  Where the two differ the guest is modelled
 * as an AMD CPU only if guest_paging.flags has GUEST_PAGING_AMD.
 *
 * Choices, and why:
 *
 * - The walker only reads: it never sets Accessed/Dirty bits (SDM 4.8).
 *   The usual caller walks for an access the guest already executed and
 *   that faulted on NPT (MMIO): the CPU set A (and D for a write) in the
 *   guest's entries during that access's own guest walk, before the nested
 *   fault.  An emulated access the CPU never made itself (e.g. a second
 *   memory operand) leaves A/D as they are; a guest would see that only if
 *   it cleared them and counted on that access to set them again.
 *
 * - A PAE PDPTE with a reserved bit set (bits 2:1, 8:5, 63:MAXPHYADDR) is a
 *   #GP at MOV CR3 time on Intel (SDM 4.4.1), so a guest never walks
 *   through one there.  SVM has no PDPTE registers in the VMCB: with nested
 *   paging the CPU reads the PDPTEs as part of the walk (APM vol. 2, 15.25,
 *   nested paging), so the walker reads them from memory on every walk and
 *   reports a reserved bit as a page fault with PFERR_RSVD | PFERR_PRESENT,
 *   like a reserved bit at any other level.
 *
 * - A non-canonical address in long mode is a #GP (or #SS for stack
 *   references) before any page walk (SDM vol. 3A, 3.3.7.1), so it is
 *   -EINVAL here, not a #PF.
 *
 * - Protection keys are not modelled: with CR4.PKE/PKS a real CPU could
 *   fault where this walker allows the access (never the reverse), and
 *   PFERR_PK is never reported.
 *
 * - PSE-36 is assumed present (every CPU that has PAE has it), so a 4 MiB
 *   page can reach physical bits 39:32.
 */
#include <kestrel/pure.h>
#include "guest_walk.h"

#define GW_CR0_WP	BIT_ULL(16)
#define GW_CR0_PG	BIT_ULL(31)
#define GW_CR4_PSE	BIT_ULL(4)
#define GW_CR4_PAE	BIT_ULL(5)
#define GW_CR4_LA57	BIT_ULL(12)
#define GW_CR4_SMEP	BIT_ULL(20)
#define GW_CR4_SMAP	BIT_ULL(21)
#define GW_EFER_LMA	BIT_ULL(10)
#define GW_EFER_NXE	BIT_ULL(11)
#define GW_RFLAGS_AC	BIT_ULL(18)

#define GW_PTE_P	BIT_ULL(0)
#define GW_PTE_RW	BIT_ULL(1)
#define GW_PTE_US	BIT_ULL(2)
#define GW_PTE_PS	BIT_ULL(7)
#define GW_PTE_XD	BIT_ULL(63)

#define GW_ACCESS_MASK	(PFERR_WRITE | PFERR_USER | PFERR_FETCH | \
			 GUEST_WALK_IMPLICIT)

enum gw_kind { GW_32BIT, GW_PAE, GW_LONG };

/* What the paging mode decides, computed once per walk. */
struct gw_mode {
	u64 high_rsvd;		/* reserved high bits of every 8-byte entry */
	u64 addr_mask;		/* address bits of a table or 4 KiB frame */
	enum gw_kind kind;
	unsigned int levels;	/* number of levels, root first */
	unsigned int entry_size;	/* bytes */
	unsigned int index_bits;	/* gva bits per level */
	int maxpa;		/* MAXPHYADDR, clamped to 32..52 */
	int pse36_maxpa;	/* min(maxpa, 40), SDM 4.3 */
	bool nx;		/* XD bits are honoured */
	bool pse;		/* 32-bit paging: CR4.PSE, 4 MiB pages */
	bool amd;
	bool gbpages;
};

/* Bits hi:lo set; empty if hi < lo. */
static u64 gw_bits(int hi, int lo)
{
	if (hi < lo)
		return 0;
	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

/*
 * Reserved bits of @pte, a present entry at @level; *@leaf tells whether it
 * maps a page.  Reserved bits are checked only in present entries, and only
 * after P (SDM 4.7: RSVD implies P).
 */
static u64 gw_entry_rsvd(const struct gw_mode *m, unsigned int level,
			 u64 pte, bool *leaf)
{
	bool ps = pte & GW_PTE_PS;

	*leaf = level == 1;

	switch (m->kind) {
	case GW_32BIT:
		/* SDM 4.3: PS is ignored unless CR4.PSE = 1. */
		if (level != 2 || !ps || !m->pse)
			return 0;
		*leaf = true;
		/*
		 * SDM 4.3, PDE mapping a 4 MiB page, with M = min(MAXPHYADDR,
		 * 40): bits (M-20):13 are physical bits (M-1):32, bits
		 * 21:(M-19) are reserved.  Nothing else in a 4-byte entry is
		 * reserved.
		 */
		return gw_bits(21, m->pse36_maxpa - 19);
	case GW_PAE:
		/*
		 * SDM 4.4.1, PDPTE format: no access-right bits;
		 * 2:1, 8:5 (PS included) and 63:MAXPHYADDR (XD included, even
		 * with EFER.NXE = 1) are reserved.
		 */
		if (level == 3)
			return gw_bits(63, m->maxpa) | gw_bits(8, 5) |
			       gw_bits(2, 1);
		break;
	case GW_LONG:
		/*
		 * SDM 4.5: PS must be 0 in a PML5E and a PML4E.  AMD also
		 * reserves bit 8 there (APM vol. 2, ch. 5, long-mode PML4E and
		 * PML5E formats: bits 8:7 MBZ), but not in a non-leaf PDPTE
		 * or PDE, where it is ignored.
		 */
		if (level >= 4)
			return m->high_rsvd | GW_PTE_PS |
			       (m->amd ? BIT_ULL(8) : 0);
		if (level == 3 && ps) {
			/* Without 1 GiB pages, PS in a PDPTE is reserved. */
			if (!m->gbpages)
				return m->high_rsvd | GW_PTE_PS;
			*leaf = true;
			/* Bit 12 is PAT; 29:13 are reserved (SDM 4.5). */
			return m->high_rsvd | gw_bits(29, 13);
		}
		break;
	}

	/* PAE and long-mode PDE: PS always honoured, CR4.PSE is not used. */
	if (level == 2 && ps) {
		*leaf = true;
		/* Bit 12 is PAT; 20:13 are reserved (SDM 4.4.2, 4.5). */
		return m->high_rsvd | gw_bits(20, 13);
	}
	return m->high_rsvd;
}

/*
 * SDM 4.6.1, for the rights combined over all levels: @writable (R/W = 1
 * everywhere), @user_page (U/S = 1 everywhere: a "user-mode address") and
 * @xd (XD = 1 somewhere, with XD honoured).
 */
static bool gw_access_denied(const struct guest_paging *p, u32 access,
			     bool writable, bool user_page, bool xd)
{
	bool write = access & PFERR_WRITE;
	bool fetch = access & PFERR_FETCH;
	bool smap_override;

	/* User-mode accesses: CR0.WP, SMEP and SMAP do not apply. */
	if (access & PFERR_USER)
		return !user_page || (write && !writable) || (fetch && xd);

	/* Supervisor fetches: SMEP forbids user pages, SMAP does not apply. */
	if (fetch)
		return xd || (user_page && (p->cr4 & GW_CR4_SMEP));

	/*
	 * Supervisor data accesses to a user page under SMAP: allowed only
	 * for an explicit access with RFLAGS.AC = 1.  A supervisor access at
	 * CPL 3 can only be implicit: SDM 4.6 calls explicit only those made
	 * while CPL < 3.
	 */
	if (user_page && (p->cr4 & GW_CR4_SMAP)) {
		smap_override = (p->rflags & GW_RFLAGS_AC) && p->cpl < 3 &&
				!(access & GUEST_WALK_IMPLICIT);
		if (!smap_override)
			return true;
	}

	/* Read-only pages stop supervisor writes only with CR0.WP = 1. */
	return write && !writable && (p->cr0 & GW_CR0_WP);
}

/* Read one entry, little endian, whatever the host's byte order. */
static int gw_read_entry(guest_read_phys_t read, void *opaque, u64 gpa,
			 unsigned int size, u64 *pte)
{
	u8 buf[8];
	u64 v = 0;
	int ret, i;

	ret = read(opaque, gpa, buf, size);
	if (ret)
		/* -EFAULT is reserved for "inject #PF" (guest_walk.h). */
		return ret > 0 || ret == -EFAULT ? -EIO : ret;

	for (i = size - 1; i >= 0; i--)
		v = v << 8 | buf[i];
	*pte = v;
	return 0;
}

static int gw_fault(struct guest_walk *w, u32 error_code)
{
	w->error_code = error_code;
	return -EFAULT;
}

int guest_walk_gva(const struct guest_paging *p, u64 gva, u32 access,
		   guest_read_phys_t read, void *opaque, struct guest_walk *w)
{
	struct gw_mode m = { 0 };
	bool writable = true, user_page = true, xd = false, leaf;
	unsigned int level, shift = 12;
	u64 table, pte, rsvd, offset;
	u32 ec;
	int ret;

	w->gpa = 0;
	w->error_code = 0;
	w->level = 0;
	access &= GW_ACCESS_MASK;

	/* CR0.PG = 0 implies long mode is inactive: 32-bit linear = physical. */
	if (!(p->cr0 & GW_CR0_PG)) {
		w->gpa = (u32)gva;
		return 0;
	}

	m.maxpa = p->maxphyaddr < 32 ? 32 :
		  p->maxphyaddr > 52 ? 52 : p->maxphyaddr;
	m.amd = p->flags & GUEST_PAGING_AMD;
	m.gbpages = !(p->flags & GUEST_PAGING_NO_1G);
	m.entry_size = 8;
	m.index_bits = 9;
	m.addr_mask = gw_bits(m.maxpa - 1, 12);

	if (p->efer & GW_EFER_LMA) {
		/*
		 * SDM 4.5: 5-level paging with CR4.LA57, linear addresses of
		 * 57 bits, else 48; bits 63:(width-1) must be equal.
		 */
		unsigned int top = (p->cr4 & GW_CR4_LA57) ? 56 : 47;
		u64 high = gva >> top;

		if (high != 0 && high != ~0ULL >> top)
			return -EINVAL;
		m.kind = GW_LONG;
		m.levels = top == 56 ? 5 : 4;
		/* Bits 62:52 are ignored (or PK in leaves), 51:M reserved. */
		m.high_rsvd = gw_bits(51, m.maxpa);
		table = p->cr3 & m.addr_mask;
	} else if (p->cr4 & GW_CR4_PAE) {
		/* SDM 4.4: CR3 bits 31:5 locate the 32-byte PDPT. */
		gva = (u32)gva;
		m.kind = GW_PAE;
		m.levels = 3;
		/* Unlike 4-level paging, PAE reserves bits 62:M (4.4.2). */
		m.high_rsvd = gw_bits(62, m.maxpa);
		table = (u32)p->cr3 & ~0x1fU;
	} else {
		/* SDM 4.3: two levels of 1024 4-byte entries, CR3 bits 31:12. */
		gva = (u32)gva;
		m.kind = GW_32BIT;
		m.levels = 2;
		m.entry_size = 4;
		m.index_bits = 10;
		m.pse = p->cr4 & GW_CR4_PSE;
		m.pse36_maxpa = m.maxpa < 40 ? m.maxpa : 40;
		m.addr_mask = gw_bits(31, 12);
		table = (u32)p->cr3 & ~0xfffU;
	}

	/* XD exists only in 8-byte entries, and is reserved without NXE. */
	if (m.kind != GW_32BIT) {
		m.nx = p->efer & GW_EFER_NXE;
		if (!m.nx)
			m.high_rsvd |= GW_PTE_XD;
	}

	/*
	 * SDM 4.7: W and U/S describe the access, whatever the fault.  I/D is
	 * set for a fetch only if CR4.SMEP = 1 or (CR4.PAE = 1 and
	 * EFER.NXE = 1); it is 0 for fetches otherwise.
	 */
	ec = access & (PFERR_WRITE | PFERR_USER);
	if ((access & PFERR_FETCH) && (m.nx || (p->cr4 & GW_CR4_SMEP)))
		ec |= PFERR_FETCH;

	for (level = m.levels; ; level--) {
		shift = 12 + m.index_bits * (level - 1);
		offset = (gva >> shift) & gw_bits(m.index_bits - 1, 0);
		ret = gw_read_entry(read, opaque, table + offset * m.entry_size,
				    m.entry_size, &pte);
		if (ret)
			return ret;

		w->level = level;
		if (!(pte & GW_PTE_P))
			return gw_fault(w, ec);

		rsvd = gw_entry_rsvd(&m, level, pte, &leaf);
		if (pte & rsvd)
			return gw_fault(w, ec | PFERR_RSVD | PFERR_PRESENT);

		/* A PAE PDPTE carries no access rights (SDM 4.4.1). */
		if (m.kind != GW_PAE || level != 3) {
			writable &= !!(pte & GW_PTE_RW);
			user_page &= !!(pte & GW_PTE_US);
			xd |= m.nx && (pte & GW_PTE_XD);
		}

		if (leaf)
			break;
		table = pte & m.addr_mask;
	}

	/* Rights are checked only once the whole walk succeeded. */
	if (gw_access_denied(p, access, writable, user_page, xd))
		return gw_fault(w, ec | PFERR_PRESENT);

	offset = gw_bits(shift - 1, 0);
	w->gpa = (pte & m.addr_mask & ~offset) | (gva & offset);
	/* PSE-36: a 4 MiB PDE's bits (M-20):13 are physical bits (M-1):32. */
	if (m.kind == GW_32BIT && level == 2)
		w->gpa |= ((pte >> 13) & gw_bits(m.pse36_maxpa - 33, 0)) << 32;
	return 0;
}
