// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the guest page-table walker (arch/x86/kvm/mmu/guest_walk.c).
 *
 * Page tables are built in a fake guest memory with a bump allocator; the
 * read callback logs every entry read so that tests check the exact entry
 * addresses, not only the result.  Leaf frames need no backing: the walker
 * never reads them.  Expected values are written out by hand from the SDM,
 * not computed with the walker's own formulas.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "mmu/guest_walk.h"

#define MEM_SIZE	(4ULL << 20)
#define MAX_READS	8

#define CR0_PE		BIT_ULL(0)
#define CR0_WP		BIT_ULL(16)
#define CR0_PG		BIT_ULL(31)
#define CR3_PWT		BIT_ULL(3)
#define CR3_PCD		BIT_ULL(4)
#define CR4_PSE		BIT_ULL(4)
#define CR4_PAE		BIT_ULL(5)
#define CR4_LA57	BIT_ULL(12)
#define CR4_SMEP	BIT_ULL(20)
#define CR4_SMAP	BIT_ULL(21)
#define EFER_LME	BIT_ULL(8)
#define EFER_LMA	BIT_ULL(10)
#define EFER_NXE	BIT_ULL(11)
#define RFLAGS_AC	BIT_ULL(18)

#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_US		BIT_ULL(2)
#define PTE_A		BIT_ULL(5)
#define PTE_D		BIT_ULL(6)
#define PTE_PS		BIT_ULL(7)
#define PTE_G		BIT_ULL(8)
#define PTE_PAT_LARGE	BIT_ULL(12)
#define PTE_XD		BIT_ULL(63)
#define PTE_RWU		(PTE_P | PTE_RW | PTE_US)

#define R	0U
#define W	PFERR_WRITE
#define U	PFERR_USER
#define F	PFERR_FETCH
#define P	PFERR_PRESENT
#define RSVD	PFERR_RSVD

enum mode { MODE_32, MODE_PAE, MODE_4LVL, MODE_5LVL };

struct vm {
	u8 *mem;
	u64 brk;
	u64 root;
	unsigned int levels, entry_size, index_bits;
	/* read log */
	unsigned int nreads;
	u64 read_gpa[MAX_READS];
	unsigned int read_len[MAX_READS];
	bool bad_read;		/* not 4/8 bytes, or not naturally aligned */
	/* make read number fail_read (1-based) return fail_ret */
	unsigned int fail_read;
	int fail_ret;
};

/* gpa of the entry at each level (1..5) that map() wrote or went through */
struct map {
	u64 entry[6];
};

struct env {
	enum mode mode;
	struct vm vm;
	struct guest_paging p;
	struct guest_walk w;
	struct map mp;
};

static char ctx[128];
#define CTX(...) snprintf(ctx, sizeof(ctx), __VA_ARGS__)

static int read_phys(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	struct vm *vm = opaque;

	if (vm->nreads < MAX_READS) {
		vm->read_gpa[vm->nreads] = gpa;
		vm->read_len[vm->nreads] = len;
	}
	vm->nreads++;
	if ((len != 4 && len != 8) || gpa % len)
		vm->bad_read = true;
	if (vm->fail_read == vm->nreads)
		return vm->fail_ret;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -ENOENT;
	memcpy(buf, vm->mem + gpa, len);
	return 0;
}

static u64 get_entry(struct vm *vm, u64 gpa)
{
	u64 v = 0;
	int i;

	for (i = vm->entry_size - 1; i >= 0; i--)
		v = v << 8 | vm->mem[gpa + i];
	return v;
}

static void set_entry(struct vm *vm, u64 gpa, u64 v)
{
	unsigned int i;

	for (i = 0; i < vm->entry_size; i++, v >>= 8)
		vm->mem[gpa + i] = v & 0xff;
}

static u64 alloc_page(struct vm *vm)
{
	u64 gpa = vm->brk;

	vm->brk += 4096;
	if (vm->brk > MEM_SIZE)
		abort();
	return gpa;
}

static void setup_mode(struct env *e, enum mode mode)
{
	struct vm *vm = &e->vm;
	struct guest_paging *p = &e->p;

	if (!vm->mem) {
		vm->mem = calloc(1, MEM_SIZE);
		if (!vm->mem)
			abort();
	}
	memset(vm->mem, 0, MEM_SIZE);
	vm->brk = 0x1000;
	vm->fail_read = 0;
	memset(p, 0, sizeof(*p));
	e->mode = mode;

	p->cr0 = CR0_PE | CR0_WP | CR0_PG;
	p->maxphyaddr = 48;
	vm->entry_size = 8;
	vm->index_bits = 9;
	switch (mode) {
	case MODE_32:
		vm->levels = 2;
		vm->entry_size = 4;
		vm->index_bits = 10;
		vm->root = alloc_page(vm);
		p->cr4 = CR4_PSE;
		break;
	case MODE_PAE:
		vm->levels = 3;
		/* 32-byte aligned, not page aligned: CR3 bits 11:5 matter */
		vm->root = alloc_page(vm) + 0x7e0;
		p->cr4 = CR4_PAE;
		p->efer = EFER_NXE;
		break;
	case MODE_4LVL:
		vm->levels = 4;
		vm->root = alloc_page(vm);
		p->cr4 = CR4_PAE;
		p->efer = EFER_LME | EFER_LMA | EFER_NXE;
		break;
	case MODE_5LVL:
		vm->levels = 5;
		vm->root = alloc_page(vm);
		p->cr4 = CR4_PAE | CR4_LA57;
		p->efer = EFER_LME | EFER_LMA | EFER_NXE;
		break;
	}
	/* Cache-control bits in CR3 are not address bits. */
	p->cr3 = vm->root | CR3_PWT | CR3_PCD;
}

/*
 * Map @gva to @gpa with a leaf at @leaf_level with @flags (PS added above
 * level 1).  Missing tables are allocated; their entries are P|RW|US (a PAE
 * PDPTE: P only, its other low bits are reserved).
 */
static void map(struct vm *vm, u64 gva, u64 gpa, unsigned int leaf_level,
		u64 flags, struct map *mp)
{
	u64 table = vm->root, e, egpa;
	unsigned int level, shift;

	if (vm->levels < 4)
		gva = (u32)gva;
	memset(mp, 0, sizeof(*mp));
	for (level = vm->levels; ; level--) {
		shift = 12 + vm->index_bits * (level - 1);
		egpa = table + ((gva >> shift) &
				((1ULL << vm->index_bits) - 1)) * vm->entry_size;
		mp->entry[level] = egpa;
		if (level == leaf_level) {
			set_entry(vm, egpa,
				  gpa | flags | (level > 1 ? PTE_PS : 0));
			return;
		}
		e = get_entry(vm, egpa);
		if (!(e & PTE_P)) {
			e = alloc_page(vm);
			e |= vm->levels == 3 && level == 3 ? PTE_P : PTE_RWU;
			set_entry(vm, egpa, e);
		}
		table = e & 0x000ffffffffff000ULL;
	}
}

/* Set then clear bits of the entry at @level of @mp; returns the old one. */
static u64 poke(struct env *e, unsigned int level, u64 set, u64 clear)
{
	u64 old = get_entry(&e->vm, e->mp.entry[level]);

	set_entry(&e->vm, e->mp.entry[level], (old | set) & ~clear);
	return old;
}

static void restore(struct env *e, unsigned int level, u64 old)
{
	set_entry(&e->vm, e->mp.entry[level], old);
}

static int do_walk(struct env *e, u64 gva, u32 access)
{
	e->vm.nreads = 0;
	e->vm.bad_read = false;
	/* Garbage in, so that a field the walker forgets to set shows. */
	memset(&e->w, 0xa5, sizeof(e->w));
	return guest_walk_gva(&e->p, gva, access, read_phys, &e->vm, &e->w);
}

static void check_ok(struct __test_metadata *_metadata, struct env *e,
		     u64 gva, u32 access, u64 gpa, u8 level, int line)
{
	int ret = do_walk(e, gva, access);

	ASSERT_EQ(0, ret)
		TH_LOG("line %d %s: gva %#llx access %#x: ec %#x level %u",
		       line, ctx, gva, access, e->w.error_code, e->w.level);
	EXPECT_EQ(gpa, e->w.gpa)
		TH_LOG("line %d %s: gva %#llx", line, ctx, gva);
	EXPECT_EQ(level, e->w.level)
		TH_LOG("line %d %s: gva %#llx", line, ctx, gva);
	EXPECT_FALSE(e->vm.bad_read) TH_LOG("line %d", line);
}

static void check_fault(struct __test_metadata *_metadata, struct env *e,
			u64 gva, u32 access, u32 ec, u8 level, int line)
{
	int ret = do_walk(e, gva, access);

	ASSERT_EQ(-EFAULT, ret)
		TH_LOG("line %d %s: gva %#llx access %#x: gpa %#llx",
		       line, ctx, gva, access, e->w.gpa);
	EXPECT_EQ(ec, e->w.error_code)
		TH_LOG("line %d %s: gva %#llx access %#x",
		       line, ctx, gva, access);
	EXPECT_EQ(level, e->w.level)
		TH_LOG("line %d %s: gva %#llx access %#x",
		       line, ctx, gva, access);
	EXPECT_FALSE(e->vm.bad_read) TH_LOG("line %d", line);
}

static void check_ret(struct __test_metadata *_metadata, struct env *e,
		      u64 gva, u32 access, int expected, int line)
{
	int ret = do_walk(e, gva, access);

	ASSERT_EQ(expected, ret)
		TH_LOG("line %d %s: gva %#llx access %#x", line, ctx, gva,
		       access);
}

/* The walk read exactly the entries of e->mp, root first. */
static void check_reads(struct __test_metadata *_metadata, struct env *e,
			unsigned int leaf_level, int line)
{
	unsigned int i, n = e->vm.levels - leaf_level + 1;

	ASSERT_EQ(n, e->vm.nreads) TH_LOG("line %d %s", line, ctx);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(e->mp.entry[e->vm.levels - i], e->vm.read_gpa[i])
			TH_LOG("line %d %s: read %u", line, ctx, i);
		EXPECT_EQ(e->vm.entry_size, e->vm.read_len[i])
			TH_LOG("line %d %s: read %u", line, ctx, i);
	}
}

#define OK(gva, acc, gpa, lvl) \
	check_ok(_metadata, E, (gva), (acc), (gpa), (lvl), __LINE__)
#define FAULT(gva, acc, ec, lvl) \
	check_fault(_metadata, E, (gva), (acc), (ec), (lvl), __LINE__)
#define RET(gva, acc, ret) \
	check_ret(_metadata, E, (gva), (acc), (ret), __LINE__)
#define READS(leaf) check_reads(_metadata, E, (leaf), __LINE__)
#define E (&self->e)

/* Fixture for tests of one paging mode, which each test chooses. */
FIXTURE(gw) {
	struct env e;
};

FIXTURE_SETUP(gw)
{
	memset(&self->e, 0, sizeof(self->e));
	ctx[0] = 0;
}

FIXTURE_TEARDOWN(gw)
{
	free(self->e.vm.mem);
}

/* Fixture for rules common to every paging mode, run in each. */
FIXTURE(any) {
	struct env e;
};

FIXTURE_VARIANT(any) {
	enum mode mode;
};

FIXTURE_VARIANT_ADD(any, bits32) { .mode = MODE_32 };
FIXTURE_VARIANT_ADD(any, pae) { .mode = MODE_PAE };
FIXTURE_VARIANT_ADD(any, level4) { .mode = MODE_4LVL };
FIXTURE_VARIANT_ADD(any, level5) { .mode = MODE_5LVL };

FIXTURE_SETUP(any)
{
	memset(&self->e, 0, sizeof(self->e));
	ctx[0] = 0;
	setup_mode(&self->e, variant->mode);
}

FIXTURE_TEARDOWN(any)
{
	free(self->e.vm.mem);
}

/* A gva and a gpa valid in every mode. */
#define GVA	0xc0801abcULL
#define GPA	0x34567000ULL
#define OFF	0xabcULL

/* Whether the entry at @level holds access rights (a PAE PDPTE does not). */
static bool has_rights(struct env *e, unsigned int level)
{
	return !(e->mode == MODE_PAE && level == 3);
}

/* SDM 4.7: I/D is reported only with SMEP, or with PAE and NXE. */
static u32 fetch_ec(struct env *e)
{
	if ((e->p.cr4 & CR4_SMEP) ||
	    (e->mode != MODE_32 && (e->p.efer & EFER_NXE)))
		return F;
	return 0;
}

/* ---- every mode ---- */

TEST_F(any, translate_4k)
{
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	OK(GVA, R, GPA | OFF, 1);
	READS(1);
	OK(GVA & ~0xfffULL, W | U, GPA, 1);
	OK(GVA | 0xfff, F, GPA | 0xfff, 1);
	/* The next page is not mapped: the walk must use the gva's bits. */
	FAULT(GVA + 0x1000, R, 0, 1);
}

TEST_F(any, not_present_at_each_level)
{
	static const u32 acc[] = { R, W, U, W | U, F, U | F };
	unsigned int level, i;
	u64 old;

	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	for (level = E->vm.levels; level >= 1; level--) {
		/* An entry with P = 0 is not checked for anything else. */
		old = poke(E, level, 0xfffffffffffffffeULL >>
			   (E->vm.entry_size == 4 ? 32 : 0), PTE_P);
		for (i = 0; i < ARRAY_SIZE(acc); i++) {
			CTX("level %u", level);
			FAULT(GVA, acc[i], (acc[i] & (W | U)) |
			      ((acc[i] & F) ? fetch_ec(E) : 0), level);
			EXPECT_EQ(E->vm.levels - level + 1, E->vm.nreads);
		}
		restore(E, level, old);
	}
	OK(GVA, R, GPA | OFF, 1);
}

TEST_F(any, read_only_at_each_level)
{
	unsigned int level;
	u64 old;

	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	for (level = E->vm.levels; level >= 1; level--) {
		if (!has_rights(E, level))
			continue;
		CTX("level %u", level);
		old = poke(E, level, 0, PTE_RW);
		E->p.cr0 |= CR0_WP;
		OK(GVA, R, GPA | OFF, 1);
		OK(GVA, U, GPA | OFF, 1);
		FAULT(GVA, W, P | W, 1);
		FAULT(GVA, W | U, P | W | U, 1);
		/* CR0.WP = 0 lets supervisor writes through, not user ones. */
		E->p.cr0 &= ~CR0_WP;
		OK(GVA, W, GPA | OFF, 1);
		FAULT(GVA, W | U, P | W | U, 1);
		restore(E, level, old);
	}
	E->p.cr0 |= CR0_WP;
	OK(GVA, W | U, GPA | OFF, 1);
}

TEST_F(any, supervisor_at_each_level)
{
	unsigned int level;
	u64 old;

	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	E->p.cr4 |= CR4_SMEP | CR4_SMAP;
	for (level = E->vm.levels; level >= 1; level--) {
		if (!has_rights(E, level))
			continue;
		CTX("level %u", level);
		old = poke(E, level, 0, PTE_US);
		FAULT(GVA, U, P | U, 1);
		FAULT(GVA, U | W, P | U | W, 1);
		FAULT(GVA, U | F, P | U | F, 1);
		/* A supervisor page: SMEP and SMAP do not apply. */
		OK(GVA, R, GPA | OFF, 1);
		OK(GVA, W, GPA | OFF, 1);
		OK(GVA, F, GPA | OFF, 1);
		restore(E, level, old);
	}
	OK(GVA, U, GPA | OFF, 1);
}

TEST_F(any, smep)
{
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	OK(GVA, F, GPA | OFF, 1);
	E->p.cr4 |= CR4_SMEP;
	FAULT(GVA, F, P | F, 1);
	/* Data accesses and user fetches are not SMEP's business. */
	OK(GVA, R, GPA | OFF, 1);
	OK(GVA, W, GPA | OFF, 1);
	OK(GVA, U | F, GPA | OFF, 1);
	/* Nor is AC. */
	E->p.rflags |= RFLAGS_AC;
	FAULT(GVA, F, P | F, 1);
}

TEST_F(any, smap)
{
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	E->p.cr4 |= CR4_SMAP;
	FAULT(GVA, R, P, 1);
	FAULT(GVA, W, P | W, 1);
	/* Fetches are SMEP's, user accesses are not concerned. */
	OK(GVA, F, GPA | OFF, 1);
	OK(GVA, U, GPA | OFF, 1);
	OK(GVA, U | W, GPA | OFF, 1);

	/* Explicit accesses with RFLAGS.AC = 1 are allowed... */
	E->p.rflags |= RFLAGS_AC;
	OK(GVA, R, GPA | OFF, 1);
	OK(GVA, W, GPA | OFF, 1);
	/* ...implicit ones are not (and the flag is no error code bit)... */
	FAULT(GVA, R | GUEST_WALK_IMPLICIT, P, 1);
	FAULT(GVA, W | GUEST_WALK_IMPLICIT, P | W, 1);
	/* ...and supervisor accesses at CPL 3 are implicit. */
	E->p.cpl = 3;
	FAULT(GVA, R, P, 1);
	E->p.cpl = 2;
	OK(GVA, R, GPA | OFF, 1);

	/* SMAP off: AC and implicitness do not matter. */
	E->p.cr4 &= ~CR4_SMAP;
	E->p.rflags = 0;
	OK(GVA, R | GUEST_WALK_IMPLICIT, GPA | OFF, 1);
}

TEST_F(any, smap_read_only_user_page)
{
	map(&E->vm, GVA, GPA, 1, PTE_P | PTE_US, &E->mp);
	E->p.cr4 |= CR4_SMAP;
	E->p.rflags |= RFLAGS_AC;
	/* AC lifts SMAP, then CR0.WP still decides for the read-only page. */
	OK(GVA, R, GPA | OFF, 1);
	FAULT(GVA, W, P | W, 1);
	E->p.cr0 &= ~CR0_WP;
	OK(GVA, W, GPA | OFF, 1);
	/* Without AC, SMAP forbids even with CR0.WP = 0. */
	E->p.rflags = 0;
	FAULT(GVA, W, P | W, 1);
}

TEST_F(any, callback_error_at_each_level)
{
	unsigned int n;

	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	for (n = 1; n <= E->vm.levels; n++) {
		CTX("read %u", n);
		E->vm.fail_read = n;
		E->vm.fail_ret = -EIO;
		RET(GVA, R, -EIO);
		EXPECT_EQ(n, E->vm.nreads);
		E->vm.fail_ret = -ENOENT;
		RET(GVA, W | U, -ENOENT);
		E->vm.fail_ret = -E2BIG;
		RET(GVA, F, -E2BIG);
		/* -EFAULT would read as "inject #PF", positive is no errno. */
		E->vm.fail_ret = -EFAULT;
		RET(GVA, R, -EIO);
		E->vm.fail_ret = 1;
		RET(GVA, R, -EIO);
	}
	E->vm.fail_read = 0;
	OK(GVA, R, GPA | OFF, 1);
}

TEST_F(any, table_outside_ram)
{
	unsigned int level;
	u64 old;

	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	for (level = E->vm.levels; level >= 2; level--) {
		CTX("level %u", level);
		/* Point the table address past the fake RAM (4 MiB). */
		old = poke(E, level, 0x80000000ULL, 0);
		RET(GVA, R, -ENOENT);
		EXPECT_EQ(E->vm.levels - level + 2, E->vm.nreads);
		restore(E, level, old);
	}
}

TEST_F(any, error_code_ignores_other_access_bits)
{
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	poke(E, 1, 0, PTE_P);
	FAULT(GVA, W | P | RSVD | PFERR_PK | BIT(15) | GUEST_WALK_IMPLICIT,
	      W, 1);
}

TEST_F(any, paging_off)
{
	/* No paging: the 32-bit linear address is the physical address. */
	E->p.cr0 = CR0_PE | CR0_WP;
	E->p.efer &= ~EFER_LMA;
	OK(0xfedcba9876543210ULL, R, 0x76543210, 0);
	EXPECT_EQ(0U, E->vm.nreads);
	OK(0xffffffffULL, W | U, 0xffffffff, 0);
	OK(0x100000000ULL, F, 0, 0);
	/* Real mode, and SMEP/SMAP do not apply without paging. */
	E->p.cr0 = 0;
	E->p.cr4 |= CR4_SMEP | CR4_SMAP;
	OK(0x12345, F, 0x12345, 0);
	EXPECT_EQ(0U, E->vm.nreads);
}

/* ---- 32-bit paging (SDM 4.3) ---- */

TEST_F(gw, bits32_4k)
{
	setup_mode(E, MODE_32);
	E->p.cr4 = 0;
	map(&E->vm, 0x08048000, 0xfffff000, 1, PTE_RWU, &E->mp);
	OK(0x08048abc, R, 0xfffffabc, 1);
	READS(1);
	/* Linear addresses are 32 bits: bits 63:32 of the gva are dropped. */
	OK(0xdead000008048abcULL, R, 0xfffffabc, 1);
	/* PAT, G and the available bits of a 4-byte PTE are not reserved. */
	E->p.maxphyaddr = 32;
	poke(E, 1, 0xf80, 0);
	OK(0x08048abc, R, 0xfffffabc, 1);
}

TEST_F(gw, bits32_ps_ignored_without_pse)
{
	setup_mode(E, MODE_32);
	E->p.cr4 = 0;
	map(&E->vm, 0x00403000, 0x5000, 1, PTE_RWU, &E->mp);
	poke(E, 2, PTE_PS, 0);
	/* CR4.PSE = 0: PS is ignored, the PDE still points to a table. */
	OK(0x00403123, R, 0x5123, 1);
	READS(1);
}

TEST_F(gw, bits32_4m)
{
	setup_mode(E, MODE_32);
	map(&E->vm, 0xc0000000, 0x01c00000, 2, PTE_RWU | PTE_PAT_LARGE,
	    &E->mp);
	OK(0xc02abcde, R, 0x01eabcde, 2);
	READS(2);
	OK(0xc03fffff, W | U, 0x01ffffff, 2);
	FAULT(0xc0400000, R, 0, 2);
}

TEST_F(gw, bits32_pse36)
{
	setup_mode(E, MODE_32);
	/* PDE bits 20:13 are physical bits 39:32 (M = 40). */
	map(&E->vm, 0xc0000000, 0xffc00000 | (0xffULL << 13), 2, PTE_RWU,
	    &E->mp);
	E->p.maxphyaddr = 40;
	OK(0xc0123456, R, 0xffffd23456ULL, 2);
	/* M = min(MAXPHYADDR, 40): bit 21 stays reserved at 52. */
	E->p.maxphyaddr = 52;
	OK(0xc0123456, R, 0xffffd23456ULL, 2);
	poke(E, 2, BIT(21), 0);
	FAULT(0xc0123456, R, RSVD | P, 2);
	FAULT(0xc0123456, W | U, RSVD | P | W | U, 2);
}

TEST_F(gw, bits32_pse36_maxphyaddr36)
{
	unsigned int bit;
	u64 old;

	setup_mode(E, MODE_32);
	E->p.maxphyaddr = 36;
	/* Bits 16:13 are physical bits 35:32, bits 21:17 are reserved. */
	map(&E->vm, 0x80000000, 0x00400000 | (0xfULL << 13), 2, PTE_RWU,
	    &E->mp);
	OK(0x80012345, R, 0xf00412345ULL, 2);
	for (bit = 17; bit <= 21; bit++) {
		CTX("bit %u", bit);
		old = poke(E, 2, BIT(bit), 0);
		FAULT(0x80012345, R, RSVD | P, 2);
		restore(E, 2, old);
	}
	/* Reserved bits win over rights: a user page would not help. */
	poke(E, 2, BIT(17), PTE_US);
	FAULT(0x80012345, U, RSVD | P | U, 2);
}

TEST_F(gw, bits32_pse36_maxphyaddr32)
{
	unsigned int bit;
	u64 old;

	setup_mode(E, MODE_32);
	map(&E->vm, 0x80000000, 0x00400000, 2, PTE_RWU, &E->mp);
	/* MAXPHYADDR 32 (and below, clamped): no high bits, 21:13 reserved. */
	E->p.maxphyaddr = 32;
	OK(0x80012345, R, 0x00412345, 2);
	for (bit = 13; bit <= 21; bit++) {
		CTX("bit %u", bit);
		old = poke(E, 2, BIT(bit), 0);
		E->p.maxphyaddr = 32;
		FAULT(0x80012345, R, RSVD | P, 2);
		E->p.maxphyaddr = 0;
		FAULT(0x80012345, R, RSVD | P, 2);
		restore(E, 2, old);
	}
	/* Bit 12 is PAT, neither reserved nor an address bit. */
	poke(E, 2, PTE_PAT_LARGE, 0);
	OK(0x80012345, R, 0x00412345, 2);
}

TEST_F(gw, bits32_no_xd)
{
	setup_mode(E, MODE_32);
	/* EFER.NXE means nothing to 4-byte entries. */
	E->p.efer = EFER_NXE;
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	OK(GVA, F, GPA | OFF, 1);
	/* I/D: only with SMEP in 32-bit paging (SDM 4.7). */
	poke(E, 1, 0, PTE_P);
	FAULT(GVA, F, 0, 1);
	FAULT(GVA, U | F, U, 1);
	E->p.cr4 |= CR4_SMEP;
	FAULT(GVA, F, F, 1);
	FAULT(GVA, U | F, U | F, 1);
}

/* ---- PAE paging (SDM 4.4) ---- */

TEST_F(gw, pae_4k)
{
	setup_mode(E, MODE_PAE);
	map(&E->vm, 0xc0801000, 0xabcdef5000ULL, 1, PTE_RWU, &E->mp);
	OK(0xc0801234, R, 0xabcdef5234ULL, 1);
	READS(1);
	/* The PDPT is at CR3 bits 31:5 (0x7e0 into its page, here). */
	EXPECT_EQ(E->vm.root + 3 * 8, E->vm.read_gpa[0]);
	OK(0x77777777c0801234ULL, W | U, 0xabcdef5234ULL, 1);
	/* Another PDPTE (index 2) is not present. */
	FAULT(0x80801234, W, W, 3);
	/* CR4.LA57 means nothing outside long mode. */
	E->p.cr4 |= CR4_LA57;
	OK(0xc0801234, R, 0xabcdef5234ULL, 1);
}

TEST_F(gw, pae_2m)
{
	setup_mode(E, MODE_PAE);
	map(&E->vm, 0x40200000, 0x1234400000ULL, 2,
	    PTE_RWU | PTE_PAT_LARGE, &E->mp);
	/* PAE honours PS whatever CR4.PSE. */
	E->p.cr4 &= ~CR4_PSE;
	OK(0x402abcde, R, 0x12344abcdeULL, 2);
	READS(2);
	OK(0x403fffff, R, 0x12345fffffULL, 2);
}

TEST_F(gw, pae_pdpte_has_no_rights)
{
	setup_mode(E, MODE_PAE);
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	/* The PDPTE is just P: bits 2:1 are reserved, not R/W and U/S. */
	EXPECT_EQ(PTE_P, get_entry(&E->vm, E->mp.entry[3]) & 0xfff);
	E->p.cr4 |= CR4_SMAP | CR4_SMEP;
	OK(GVA, W | U, GPA | OFF, 1);
	OK(GVA, U | F, GPA | OFF, 1);
	FAULT(GVA, R, P, 1);
	FAULT(GVA, F, P | F, 1);
}

TEST_F(gw, pae_pdpte_reserved)
{
	static const unsigned int bits[] = {
		1, 2, 5, 6, 7, 8, 36, 40, 51, 52, 60, 62, 63
	};
	unsigned int i;
	u64 old;

	setup_mode(E, MODE_PAE);
	E->p.maxphyaddr = 36;
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	OK(GVA, R, GPA | OFF, 1);
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		CTX("bit %u", bits[i]);
		old = poke(E, 3, BIT_ULL(bits[i]), 0);
		FAULT(GVA, R, RSVD | P, 3);
		EXPECT_EQ(1U, E->vm.nreads);
		FAULT(GVA, W | U, RSVD | P | W | U, 3);
		FAULT(GVA, F, RSVD | P | F, 3);
		/* Not present: reserved bits are not looked at. */
		poke(E, 3, 0, PTE_P);
		FAULT(GVA, R, 0, 3);
		restore(E, 3, old);
	}
	/* Bits 3, 4 (PWT, PCD) and 11:9 are not reserved. */
	poke(E, 3, 0xe18, 0);
	OK(GVA, R, GPA | OFF, 1);
}

TEST_F(gw, pae_high_reserved)
{
	static const unsigned int bits[] = { 36, 44, 51, 52, 58, 62 };
	unsigned int level, i;
	u64 old;

	setup_mode(E, MODE_PAE);
	E->p.maxphyaddr = 36;
	map(&E->vm, GVA, 0x800000000ULL, 1, PTE_RWU, &E->mp);
	/* Bit 35 is an address bit with MAXPHYADDR 36. */
	OK(GVA, R, 0x800000000ULL | OFF, 1);
	/* PAE reserves 62:M in PDEs and PTEs, unlike 4-level paging. */
	for (level = 2; level >= 1; level--) {
		for (i = 0; i < ARRAY_SIZE(bits); i++) {
			CTX("level %u bit %u", level, bits[i]);
			old = poke(E, level, BIT_ULL(bits[i]), 0);
			FAULT(GVA, R, RSVD | P, level);
			restore(E, level, old);
		}
	}
}

TEST_F(gw, pae_2m_low_reserved)
{
	unsigned int bit;
	u64 old;

	setup_mode(E, MODE_PAE);
	map(&E->vm, 0x40200000, 0x1234400000ULL, 2, PTE_RWU, &E->mp);
	for (bit = 13; bit <= 20; bit++) {
		CTX("bit %u", bit);
		old = poke(E, 2, BIT(bit), 0);
		FAULT(0x40212345, W, RSVD | P | W, 2);
		restore(E, 2, old);
	}
	poke(E, 2, PTE_PAT_LARGE, 0);
	OK(0x40212345, W, 0x1234412345ULL, 2);
}

TEST_F(gw, pae_xd)
{
	unsigned int level;
	u64 old;

	setup_mode(E, MODE_PAE);
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	for (level = 2; level >= 1; level--) {
		CTX("level %u", level);
		old = poke(E, level, PTE_XD, 0);
		E->p.efer = EFER_NXE;
		OK(GVA, R, GPA | OFF, 1);
		OK(GVA, W | U, GPA | OFF, 1);
		FAULT(GVA, F, P | F, 1);
		FAULT(GVA, U | F, P | U | F, 1);
		/* Without NXE bit 63 is reserved, and I/D is not reported. */
		E->p.efer = 0;
		FAULT(GVA, R, RSVD | P, level);
		FAULT(GVA, F, RSVD | P, level);
		E->p.cr4 |= CR4_SMEP;
		FAULT(GVA, F, RSVD | P | F, level);
		E->p.cr4 &= ~CR4_SMEP;
		restore(E, level, old);
	}
	OK(GVA, F, GPA | OFF, 1);
}

/* ---- 4-level paging (SDM 4.5) ---- */

TEST_F(gw, level4_4k)
{
	setup_mode(E, MODE_4LVL);
	map(&E->vm, 0x00007f1234567000ULL, 0xfedcba000ULL, 1, PTE_RWU,
	    &E->mp);
	OK(0x00007f1234567abcULL, R, 0xfedcbaabcULL, 1);
	READS(1);
	/* PML4 index 0xfe, PDPT 0x48, PD 0x1a2, PT 0x167. */
	EXPECT_EQ(E->vm.root + 0xfe * 8, E->vm.read_gpa[0]);
	EXPECT_EQ(0x167ULL * 8, E->vm.read_gpa[3] & 0xfff);
	/* PCID in CR3 bits 11:0 is not an address. */
	E->p.cr3 |= 0xfff;
	OK(0x00007f1234567abcULL, R, 0xfedcbaabcULL, 1);
	/* A neighbour in every index differs. */
	FAULT(0x00007f1234568abcULL, R, 0, 1);
	FAULT(0x00007f1234767abcULL, R, 0, 2);
	FAULT(0x00007f1274567abcULL, R, 0, 3);
	FAULT(0x00007e1234567abcULL, R, 0, 4);
}

TEST_F(gw, level4_2m_and_1g)
{
	setup_mode(E, MODE_4LVL);
	map(&E->vm, 0xffff888000200000ULL, 0x123400000ULL, 2,
	    PTE_RWU | PTE_PAT_LARGE | PTE_G, &E->mp);
	OK(0xffff8880003abcdeULL, R, 0x1235abcdeULL, 2);
	READS(2);
	map(&E->vm, 0xffffffffc0000000ULL, 0x4000000000ULL, 3,
	    PTE_RWU | PTE_PAT_LARGE | PTE_G, &E->mp);
	OK(0xffffffffebcdef12ULL, W, 0x402bcdef12ULL, 3);
	READS(3);
	OK(0xffffffffffffffffULL, W, 0x403fffffffULL, 3);
}

TEST_F(gw, level4_1g_unsupported)
{
	setup_mode(E, MODE_4LVL);
	map(&E->vm, 0x40000000, 0x80000000, 3, PTE_RWU, &E->mp);
	OK(0x40001234, R, 0x80001234, 3);
	E->p.flags = GUEST_PAGING_NO_1G;
	FAULT(0x40001234, R, RSVD | P, 3);
	FAULT(0x40001234, U | W, RSVD | P | U | W, 3);
	/* 2 MiB pages do not depend on it. */
	map(&E->vm, 0x200000, 0x400000, 2, PTE_RWU, &E->mp);
	OK(0x212345, R, 0x412345, 2);
}

TEST_F(gw, level4_ps_in_pml4e)
{
	setup_mode(E, MODE_4LVL);
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	poke(E, 4, PTE_PS, 0);
	FAULT(GVA, R, RSVD | P, 4);
	EXPECT_EQ(1U, E->vm.nreads);
	FAULT(GVA, U | F, RSVD | P | U | F, 4);
}

TEST_F(gw, level4_amd_bit8)
{
	setup_mode(E, MODE_4LVL);
	map(&E->vm, GVA, GPA, 1, PTE_RWU | PTE_G, &E->mp);
	/* Ignored in non-leaf PDPTEs and PDEs, even on AMD. */
	poke(E, 3, BIT(8), 0);
	poke(E, 2, BIT(8), 0);
	E->p.flags = GUEST_PAGING_AMD;
	OK(GVA, R, GPA | OFF, 1);
	/* In a PML4E: ignored on Intel, reserved on AMD. */
	poke(E, 4, BIT(8), 0);
	FAULT(GVA, R, RSVD | P, 4);
	E->p.flags = 0;
	OK(GVA, R, GPA | OFF, 1);
}

TEST_F(gw, level4_high_reserved)
{
	static const unsigned int rsvd[] = { 40, 45, 51 };
	static const unsigned int ignored[] = { 52, 55, 58, 62 };
	unsigned int level, i;
	u64 old;

	setup_mode(E, MODE_4LVL);
	E->p.maxphyaddr = 40;
	map(&E->vm, GVA, 0x8000000000ULL - 0x1000, 1, PTE_RWU, &E->mp);
	OK(GVA, R, 0x7ffffff000ULL | OFF, 1);
	for (level = 4; level >= 1; level--) {
		for (i = 0; i < ARRAY_SIZE(rsvd); i++) {
			CTX("level %u bit %u", level, rsvd[i]);
			old = poke(E, level, BIT_ULL(rsvd[i]), 0);
			FAULT(GVA, W, RSVD | P | W, level);
			restore(E, level, old);
		}
		/* 62:52 are ignored, and are no address bits. */
		for (i = 0; i < ARRAY_SIZE(ignored); i++) {
			CTX("level %u bit %u", level, ignored[i]);
			old = poke(E, level, BIT_ULL(ignored[i]), 0);
			OK(GVA, W, 0x7ffffff000ULL | OFF, 1);
			restore(E, level, old);
		}
	}
	/* With MAXPHYADDR 52, bit 51 is an address bit. */
	E->p.maxphyaddr = 52;
	poke(E, 1, BIT_ULL(51), 0);
	OK(GVA, R, BIT_ULL(51) | 0x7ffffff000ULL | OFF, 1);
}

TEST_F(gw, level4_large_low_reserved)
{
	unsigned int bit;
	u64 old;

	setup_mode(E, MODE_4LVL);
	map(&E->vm, 0x40000000, 0x80000000, 3, PTE_RWU, &E->mp);
	for (bit = 13; bit <= 29; bit++) {
		CTX("1G bit %u", bit);
		old = poke(E, 3, BIT(bit), 0);
		FAULT(0x40001234, R, RSVD | P, 3);
		restore(E, 3, old);
	}
	poke(E, 3, PTE_PAT_LARGE, 0);
	OK(0x40001234, R, 0x80001234, 3);

	map(&E->vm, 0x200000, 0x400000, 2, PTE_RWU, &E->mp);
	for (bit = 13; bit <= 20; bit++) {
		CTX("2M bit %u", bit);
		old = poke(E, 2, BIT(bit), 0);
		FAULT(0x212345, R, RSVD | P, 2);
		restore(E, 2, old);
	}
	poke(E, 2, PTE_PAT_LARGE, 0);
	OK(0x212345, R, 0x412345, 2);
}

TEST_F(gw, level4_xd)
{
	unsigned int level;
	u64 old;

	setup_mode(E, MODE_4LVL);
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	for (level = 4; level >= 1; level--) {
		CTX("level %u", level);
		old = poke(E, level, PTE_XD, 0);
		E->p.efer |= EFER_NXE;
		OK(GVA, R, GPA | OFF, 1);
		OK(GVA, U | W, GPA | OFF, 1);
		FAULT(GVA, F, P | F, 1);
		FAULT(GVA, U | F, P | U | F, 1);
		E->p.efer &= ~EFER_NXE;
		FAULT(GVA, R, RSVD | P, level);
		/* I/D needs NXE or SMEP (SDM 4.7). */
		FAULT(GVA, F, RSVD | P, level);
		E->p.cr4 |= CR4_SMEP;
		FAULT(GVA, F, RSVD | P | F, level);
		E->p.cr4 &= ~CR4_SMEP;
		restore(E, level, old);
	}
	OK(GVA, F, GPA | OFF, 1);
	/* Not present, NXE = 0, no SMEP: a fetch fault has I/D = 0. */
	poke(E, 1, 0, PTE_P);
	FAULT(GVA, F, 0, 1);
	E->p.efer |= EFER_NXE;
	FAULT(GVA, F, F, 1);
}

TEST_F(gw, level4_ignored_bits)
{
	setup_mode(E, MODE_4LVL);
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	/* Available bits, A, D, PWT/PCD: never reserved, never addresses. */
	poke(E, 4, 0x7ff0000000000e78ULL & ~PTE_PS, 0);
	poke(E, 3, 0x7ff0000000000e78ULL & ~PTE_PS, 0);
	poke(E, 2, 0x7ff0000000000e78ULL & ~PTE_PS, 0);
	poke(E, 1, 0x7ff0000000000ff8ULL, 0);
	OK(GVA, R, GPA | OFF, 1);
}

TEST_F(gw, level4_canonical)
{
	static const u64 bad[] = {
		0x0000800000000000ULL, 0xffff7fffffffffffULL,
		0x0100000000000000ULL, 0x8000000000000000ULL,
		0x00ff800000000000ULL, 0x7fffffffffffffffULL,
	};
	unsigned int i;

	setup_mode(E, MODE_4LVL);
	map(&E->vm, 0x00007ffffffff000ULL, 0x5000, 1, PTE_RWU, &E->mp);
	map(&E->vm, 0xffff800000000000ULL, 0x6000, 1, PTE_RWU, &E->mp);
	OK(0x00007fffffffffffULL, R, 0x5fff, 1);
	OK(0xffff800000000000ULL, R, 0x6000, 1);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		CTX("gva %#llx", bad[i]);
		RET(bad[i], R, -EINVAL);
		EXPECT_EQ(0U, E->vm.nreads);
		RET(bad[i], U | F, -EINVAL);
	}
}

/* ---- 5-level paging (SDM 4.5) ---- */

TEST_F(gw, level5_4k)
{
	setup_mode(E, MODE_5LVL);
	map(&E->vm, 0x00abcdef12345000ULL, 0xfedcba000ULL, 1, PTE_RWU,
	    &E->mp);
	OK(0x00abcdef12345678ULL, R, 0xfedcba678ULL, 1);
	READS(1);
	/* PML5 index is gva bits 56:48. */
	EXPECT_EQ(E->vm.root + 0xab * 8, E->vm.read_gpa[0]);
	FAULT(0x00accdef12345678ULL, R, 0, 5);
	FAULT(0x00ab4def12345678ULL, R, 0, 4);
}

TEST_F(gw, level5_large)
{
	setup_mode(E, MODE_5LVL);
	map(&E->vm, 0xff11000040000000ULL, 0x40000000, 3, PTE_RWU, &E->mp);
	OK(0xff1100007fffffffULL, R, 0x7fffffff, 3);
	READS(3);
	map(&E->vm, 0xff11000080200000ULL, 0x600000, 2, PTE_RWU, &E->mp);
	OK(0xff11000080234567ULL, R, 0x634567, 2);
	READS(2);
}

TEST_F(gw, level5_canonical)
{
	static const u64 bad[] = {
		0x0100000000000000ULL, 0xfeffffffffffffffULL,
		0x8000000000000000ULL, 0x7f00000000000000ULL,
	};
	unsigned int i;

	setup_mode(E, MODE_5LVL);
	map(&E->vm, 0x00fffffffffff000ULL, 0x5000, 1, PTE_RWU, &E->mp);
	map(&E->vm, 0xff00000000000000ULL, 0x6000, 1, PTE_RWU, &E->mp);
	/* Non-canonical with 4 levels, canonical with 5. */
	map(&E->vm, 0x0000800000000000ULL, 0x7000, 1, PTE_RWU, &E->mp);
	OK(0x00ffffffffffffffULL, R, 0x5fff, 1);
	OK(0xff00000000000000ULL, R, 0x6000, 1);
	OK(0x0000800000000001ULL, R, 0x7001, 1);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		CTX("gva %#llx", bad[i]);
		RET(bad[i], R, -EINVAL);
		EXPECT_EQ(0U, E->vm.nreads);
	}
	/* The same tables without LA57: bit 47 must now be sign-extended. */
	E->p.cr4 &= ~CR4_LA57;
	RET(0x0000800000000001ULL, R, -EINVAL);
}

TEST_F(gw, level5_pml5e)
{
	u64 old;

	setup_mode(E, MODE_5LVL);
	E->p.maxphyaddr = 46;
	map(&E->vm, GVA, GPA, 1, PTE_RWU, &E->mp);
	OK(GVA, R, GPA | OFF, 1);
	old = poke(E, 5, 0, PTE_P);
	FAULT(GVA, W | U, W | U, 5);
	restore(E, 5, old);
	old = poke(E, 5, PTE_PS, 0);
	FAULT(GVA, R, RSVD | P, 5);
	restore(E, 5, old);
	old = poke(E, 5, BIT_ULL(46), 0);
	FAULT(GVA, R, RSVD | P, 5);
	restore(E, 5, old);
	old = poke(E, 5, BIT_ULL(8), 0);
	OK(GVA, R, GPA | OFF, 1);
	E->p.flags = GUEST_PAGING_AMD;
	FAULT(GVA, R, RSVD | P, 5);
	E->p.flags = 0;
	restore(E, 5, old);
	old = poke(E, 5, PTE_XD, 0);
	FAULT(GVA, F, P | F, 1);
	E->p.efer &= ~EFER_NXE;
	FAULT(GVA, R, RSVD | P, 5);
	restore(E, 5, old);
	old = poke(E, 5, 0, PTE_US);
	FAULT(GVA, U, P | U, 1);
}

TEST_HARNESS_MAIN
