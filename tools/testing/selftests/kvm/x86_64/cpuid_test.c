// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID through the KVM API: KVM_GET_SUPPORTED_CPUID and
 * KVM_GET_EMULATED_CPUID on /dev/kvm, KVM_SET_CPUID/KVM_SET_CPUID2/
 * KVM_GET_CPUID2 on a vCPU, and what the guest's CPUID instruction returns
 * from the table userspace set (Documentation/virt/kvm/api.rst; lookup
 * rules of KVM 6.1's kvm_cpuid()).
 *
 * The supported feature set differs between Kestrel and stock KVM by
 * design, so those tests check properties (ranges, flags, signature, no
 * feature the host lacks), not exact values.
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define MAX_ENTRIES	256		/* KVM_MAX_CPUID_ENTRIES */

#define LEAF1_ECX_OSXSAVE	BIT(27)
#define LEAF1_ECX_XSAVE		BIT(26)
#define LEAF1_ECX_X2APIC	BIT(21)
#define LEAF1_ECX_VMX		BIT(5)
#define LEAF1_ECX_HYPERVISOR	BIT(31)
#define LEAF1_EDX_APIC		BIT(9)
#define LEAF7_ECX_OSPKE		BIT(4)
#define EXT1_ECX_SVM		BIT(2)
#define X86_CR4_OSXSAVE		BIT(18)

struct cpuid2 {
	struct kvm_cpuid2 h;
	struct kvm_cpuid_entry2 e[MAX_ENTRIES + 8];
};

static struct cpuid2 *cpuid2_alloc(void)
{
	struct cpuid2 *c = calloc(1, sizeof(*c));

	TEST_ASSERT(c, "calloc");
	return c;
}

static int dev_get_cpuid(int fd, unsigned long ioctl_nr, struct cpuid2 *c,
			 u32 nent)
{
	c->h.nent = nent;
	return ioctl(fd, ioctl_nr, c) ? -errno : 0;
}

static struct cpuid2 *supported_cpuid(void)
{
	struct cpuid2 *c = cpuid2_alloc();
	int fd = kvm_open();

	TEST_ASSERT(!dev_get_cpuid(fd, KVM_GET_SUPPORTED_CPUID, c, MAX_ENTRIES),
		    "KVM_GET_SUPPORTED_CPUID");
	close(fd);
	return c;
}

static struct kvm_cpuid_entry2 *find(struct cpuid2 *c, u32 function,
				     u32 index)
{
	u32 i;

	for (i = 0; i < c->h.nent; i++)
		if (c->e[i].function == function && c->e[i].index == index)
			return &c->e[i];
	return NULL;
}

static bool is_indexed(u32 function)
{
	switch (function) {
	case 4: case 7: case 0xb: case 0xd: case 0xf: case 0x10: case 0x12:
	case 0x14: case 0x17: case 0x18: case 0x1d: case 0x1e: case 0x1f:
	case 0x8000001d:
		return true;
	default:
		return false;
	}
}

static int vcpu_set_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid_entry2 *e,
			   u32 nent)
{
	struct cpuid2 *c = cpuid2_alloc();
	int r;

	c->h.nent = nent;
	memcpy(c->e, e, nent * sizeof(*e));
	r = ioctl(vcpu->fd, KVM_SET_CPUID2, c) ? -errno : 0;
	free(c);
	return r;
}

static int vcpu_get_cpuid2(struct kvm_vcpu *vcpu, struct cpuid2 *c, u32 nent)
{
	c->h.nent = nent;
	return ioctl(vcpu->fd, KVM_GET_CPUID2, c) ? -errno : 0;
}

/* The dynamic bits KVM keeps in step with guest state. */
static void clear_dynamic(struct kvm_cpuid_entry2 *e)
{
	if (e->function == 1) {
		e->ecx &= ~LEAF1_ECX_OSXSAVE;
		e->edx &= ~LEAF1_EDX_APIC;
	} else if (e->function == 7 && e->index == 0) {
		e->ecx &= ~LEAF7_ECX_OSPKE;
	}
}

static bool entries_equal(const struct kvm_cpuid_entry2 *a,
			  const struct kvm_cpuid_entry2 *b, u32 nent)
{
	u32 i;

	for (i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 x = a[i], y = b[i];

		clear_dynamic(&x);
		clear_dynamic(&y);
		if (x.function != y.function || x.index != y.index ||
		    x.flags != y.flags || x.eax != y.eax || x.ebx != y.ebx ||
		    x.ecx != y.ecx || x.edx != y.edx)
			return false;
	}
	return true;
}

TEST(supported_cpuid_e2big)
{
	struct cpuid2 *c = cpuid2_alloc();
	u32 needed;
	int fd;

	TEST_REQUIRE_KVM();
	fd = kvm_open();
	EXPECT_EQ(-E2BIG, dev_get_cpuid(fd, KVM_GET_SUPPORTED_CPUID, c, 0));
	EXPECT_EQ(0U, c->h.nent);
	/* Too small: -E2BIG, and (as in KVM 6.1) nent is left alone. */
	EXPECT_EQ(-E2BIG, dev_get_cpuid(fd, KVM_GET_SUPPORTED_CPUID, c, 1));
	EXPECT_EQ(1U, c->h.nent);

	ASSERT_EQ(0, dev_get_cpuid(fd, KVM_GET_SUPPORTED_CPUID, c,
				   MAX_ENTRIES));
	needed = c->h.nent;
	EXPECT_LT(1U, needed);
	EXPECT_GE((u32)MAX_ENTRIES, needed);
	EXPECT_EQ(-E2BIG, dev_get_cpuid(fd, KVM_GET_SUPPORTED_CPUID, c,
					needed - 1));
	EXPECT_EQ(needed - 1, c->h.nent);
	/* Exactly enough works; more than KVM_MAX_CPUID_ENTRIES is capped. */
	EXPECT_EQ(0, dev_get_cpuid(fd, KVM_GET_SUPPORTED_CPUID, c, needed));
	EXPECT_EQ(needed, c->h.nent);
	EXPECT_EQ(0, dev_get_cpuid(fd, KVM_GET_SUPPORTED_CPUID, c,
				   MAX_ENTRIES + 8));
	EXPECT_EQ(needed, c->h.nent);
	close(fd);
	free(c);
}

TEST(supported_cpuid_sane)
{
	u32 a, b, cx, d, i, max_basic, max_ext, limit;
	bool svm;
	struct kvm_cpuid_entry2 *e;
	struct cpuid2 *c;
	char sig[13] = { 0 };

	TEST_REQUIRE_KVM();
	c = supported_cpuid();

	e = find(c, 0, 0);
	ASSERT_NE(NULL, e);
	max_basic = e->eax;
	EXPECT_LE(1U, max_basic);
	EXPECT_GE(0x1fU, max_basic);
	/* The vendor is the host's. */
	__cpuid(0, a, b, cx, d);
	EXPECT_EQ(b, e->ebx);
	EXPECT_EQ(cx, e->ecx);
	EXPECT_EQ(d, e->edx);

	e = find(c, 0x80000000, 0);
	ASSERT_NE(NULL, e);
	max_ext = e->eax;
	EXPECT_LE(0x80000008U, max_ext);
	EXPECT_GE(0x80000021U, max_ext);

	for (i = 0; i < c->h.nent; i++) {
		e = &c->e[i];
		/* Every leaf in its range; indexed leaves flagged so. */
		limit = e->function < 0x40000000 ? max_basic :
			e->function >= 0x80000000 ? max_ext : 0x40000001;
		EXPECT_GE(limit, e->function);
		if (is_indexed(e->function)) {
			EXPECT_EQ((u32)KVM_CPUID_FLAG_SIGNIFCANT_INDEX, e->flags)
				TH_LOG("leaf %#x.%u", e->function, e->index);
		} else {
			EXPECT_EQ(0U, e->flags)
				TH_LOG("leaf %#x", e->function);
			EXPECT_EQ(0U, e->index);
		}
		EXPECT_EQ(0U, e->padding[0] | e->padding[1] | e->padding[2]);
	}
	/* Every basic and extended leaf up to the maximum, once. */
	for (i = 0; i <= max_basic; i++)
		EXPECT_NE(NULL, find(c, i, 0)) TH_LOG("leaf %#x", i);
	for (i = 0x80000000; i <= max_ext; i++)
		EXPECT_NE(NULL, find(c, i, 0)) TH_LOG("leaf %#x", i);

	/* Leaf 4: subleaves up to and including the null cache type. */
	if (max_basic >= 4) {
		for (i = 0; (e = find(c, 4, i)) && (e->eax & 0x1f); i++)
			;
		EXPECT_NE(NULL, e);
	}

	/* KVM's paravirtual signature leaf. */
	e = find(c, 0x40000000, 0);
	ASSERT_NE(NULL, e);
	EXPECT_LE(0x40000001U, e->eax);
	memcpy(sig, &e->ebx, 4);
	memcpy(sig + 4, &e->ecx, 4);
	memcpy(sig + 8, &e->edx, 4);
	EXPECT_EQ(0, memcmp(sig, "KVMKVMKVM\0\0\0", 12));
	EXPECT_NE(NULL, find(c, 0x40000001, 0));

	/*
	 * No nesting: Kestrel offers no VMX; stock kvm-intel does (nested=1
	 * by default), kvm-amd not on an AMD host.  OSXSAVE is guest state;
	 * leaf 1 from the host.
	 */
	e = find(c, 1, 0);
	ASSERT_NE(NULL, e);
	__cpuid(1, a, b, cx, d);
	EXPECT_EQ(0U, e->ecx & LEAF1_ECX_OSXSAVE);
	if (!kmod_loaded("kvm_intel"))
		EXPECT_EQ(0U, e->ecx & LEAF1_ECX_VMX);
	EXPECT_EQ(0U, e->ecx & ~(cx | LEAF1_ECX_X2APIC | LEAF1_ECX_HYPERVISOR));
	EXPECT_EQ(0U, e->edx & ~d);
	EXPECT_EQ(a, e->eax);
	e = find(c, 0x80000001, 0);
	ASSERT_NE(NULL, e);
	/*
	 * Stock kvm-amd offers nested SVM (nested=1), Kestrel does not:
	 * either way, leaf 0x8000000a is empty exactly when SVM is hidden,
	 * and absent where the extended leaves end before it.
	 */
	svm = e->ecx & EXT1_ECX_SVM;
	e = find(c, 0x8000000a, 0);
	if (max_ext >= 0x8000000a) {
		ASSERT_NE(NULL, e);
		EXPECT_EQ(svm, !!(e->eax | e->ebx | e->ecx | e->edx));
	} else {
		/* Intel hosts (Bochs: 0x80000008) end before the SVM leaf. */
		EXPECT_FALSE(svm);
	}
	/* No PMU on AMD hosts: leaf 0xa is empty. */
	e = find(c, 0xa, 0);
	EXPECT_TRUE(!e || !(e->eax | e->ebx | e->ecx | e->edx));
	/* MAXPHYADDR: the host's; linear address bits 48 or 57. */
	e = find(c, 0x80000008, 0);
	ASSERT_NE(NULL, e);
	__cpuid(0x80000008, a, b, cx, d);
	EXPECT_EQ(a & 0xff, e->eax & 0xff);
	EXPECT_TRUE(((e->eax >> 8) & 0xff) == 48 || ((e->eax >> 8) & 0xff) == 57);
	free(c);
}

TEST(emulated_cpuid)
{
	struct cpuid2 *c = cpuid2_alloc();
	u32 i;
	int fd;

	TEST_REQUIRE_KVM();
	if (!kvm_check_cap(KVM_CAP_EXT_EMUL_CPUID))
		SKIP(return, "no KVM_CAP_EXT_EMUL_CPUID");
	fd = kvm_open();
	EXPECT_EQ(-E2BIG, dev_get_cpuid(fd, KVM_GET_EMULATED_CPUID, c, 0));
	/* Padding must be zero in this ioctl. */
	c->e[3].padding[1] = 1;
	EXPECT_EQ(-EINVAL, dev_get_cpuid(fd, KVM_GET_EMULATED_CPUID, c, 8));
	c->e[3].padding[1] = 0;
	ASSERT_EQ(0, dev_get_cpuid(fd, KVM_GET_EMULATED_CPUID, c, 8));
	EXPECT_GE(8U, c->h.nent);
	/* Only instructions: leaves 0, 1 and 7 at most (KVM: MOVBE, RDPID). */
	for (i = 0; i < c->h.nent; i++)
		EXPECT_TRUE(c->e[i].function == 0 || c->e[i].function == 1 ||
			    c->e[i].function == 7);
	close(fd);
	free(c);
}

/* A supported table without leaf 0xd, whose sizes KVM recomputes. */
static u32 table_no_xsave(struct cpuid2 *sup, struct kvm_cpuid_entry2 *out)
{
	u32 i, n = 0;

	for (i = 0; i < sup->h.nent; i++)
		if (sup->e[i].function != 0xd)
			out[n++] = sup->e[i];
	return n;
}

TEST(set_get_cpuid2)
{
	struct kvm_cpuid_entry2 *t = calloc(MAX_ENTRIES + 1, sizeof(*t));
	struct cpuid2 *sup, *got = cpuid2_alloc();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 n;

	TEST_REQUIRE_KVM();
	sup = supported_cpuid();
	n = table_no_xsave(sup, t);
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);

	/*
	 * Nothing set yet: an empty table.  KVM 6.1 never writes nent back
	 * from KVM_GET_CPUID2, on success or -E2BIG: userspace knows the
	 * count from what it set.
	 */
	ASSERT_EQ(0, vcpu_get_cpuid2(vcpu, got, 0));
	EXPECT_EQ(0U, got->h.nent);
	ASSERT_EQ(0, vcpu_get_cpuid2(vcpu, got, 4));
	EXPECT_EQ(4U, got->h.nent);

	ASSERT_EQ(0, vcpu_set_cpuid2(vcpu, t, n));
	memset(got->e, 0xa5, sizeof(got->e));
	ASSERT_EQ(0, vcpu_get_cpuid2(vcpu, got, MAX_ENTRIES));
	EXPECT_EQ((u32)MAX_ENTRIES, got->h.nent);
	EXPECT_TRUE(entries_equal(t, got->e, n));
	/* Entries past the table are not written. */
	EXPECT_EQ(0xa5a5a5a5U, got->e[n].function);

	/* Short buffer: -E2BIG. */
	EXPECT_EQ(-E2BIG, vcpu_get_cpuid2(vcpu, got, n - 1));
	EXPECT_EQ(n - 1, got->h.nent);
	EXPECT_EQ(0, vcpu_get_cpuid2(vcpu, got, n));
	EXPECT_EQ(n, got->h.nent);

	/* More than KVM_MAX_CPUID_ENTRIES: -E2BIG, old table kept. */
	EXPECT_EQ(-E2BIG, vcpu_set_cpuid2(vcpu, t, MAX_ENTRIES + 1));
	EXPECT_EQ(0, vcpu_get_cpuid2(vcpu, got, n));
	EXPECT_EQ(-E2BIG, vcpu_get_cpuid2(vcpu, got, n - 1));

	/* Linear address bits other than 0, 48, 57: -EINVAL. */
	t[0].function = 0x80000008;
	t[0].index = 0;
	t[0].flags = 0;
	t[0].eax = 40 | (40 << 8);
	EXPECT_EQ(-EINVAL, vcpu_set_cpuid2(vcpu, t, 1));
	t[0].eax = 40 | (57 << 8);
	EXPECT_EQ(0, vcpu_set_cpuid2(vcpu, t, 1));
	EXPECT_EQ(0, vcpu_get_cpuid2(vcpu, got, 1));
	EXPECT_EQ(0x80000008U, got->e[0].function);
	EXPECT_EQ(40U | (57U << 8), got->e[0].eax);

	/* An empty table is a table. */
	EXPECT_EQ(0, vcpu_set_cpuid2(vcpu, t, 0));
	EXPECT_EQ(0, vcpu_get_cpuid2(vcpu, got, 0));

	vm_free(vm);
	free(sup);
	free(got);
	free(t);
}

TEST(set_cpuid_old)
{
	struct {
		struct kvm_cpuid h;
		struct kvm_cpuid_entry e[3];
	} old = { .h.nent = 3 };
	struct cpuid2 *got = cpuid2_alloc();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 i;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	for (i = 0; i < 3; i++) {
		old.e[i].function = 0x40000000 + i * 0x100;
		old.e[i].eax = 0x11 * (i + 1);
		old.e[i].ebx = 0x22 * (i + 1);
		old.e[i].ecx = 0x33 * (i + 1);
		old.e[i].edx = 0x44 * (i + 1);
		old.e[i].padding = 0xdead;
	}
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID, &old));
	EXPECT_EQ(-E2BIG, vcpu_get_cpuid2(vcpu, got, 2));
	ASSERT_EQ(0, vcpu_get_cpuid2(vcpu, got, 3));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(old.e[i].function, got->e[i].function);
		EXPECT_EQ(0U, got->e[i].index);
		EXPECT_EQ(0U, got->e[i].flags);
		EXPECT_EQ(old.e[i].eax, got->e[i].eax);
		EXPECT_EQ(old.e[i].ebx, got->e[i].ebx);
		EXPECT_EQ(old.e[i].ecx, got->e[i].ecx);
		EXPECT_EQ(old.e[i].edx, got->e[i].edx);
	}
	old.h.nent = MAX_ENTRIES + 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_CPUID, &old));
	EXPECT_EQ(E2BIG, errno);
	vm_free(vm);
	free(got);
}

/*
 * Guest side: the CPUID of each query, with garbage in the upper halves
 * of RAX..RDX beforehand, to see the results zero-extended.
 */
#define MAX_QUERIES	32

struct query {
	u32 function, index;
	u64 out[4];
};

static struct query queries[MAX_QUERIES];
static u32 nr_queries;

static void guest_cpuid64(u32 function, u32 index, u64 *out)
{
	u64 a = 0xdead000000000000ULL | function;
	u64 b = 0xdead0000dead0000ULL;
	u64 c = 0xdead000000000000ULL | index;
	u64 d = 0xdead0000dead0000ULL;

	__asm__ __volatile__("cpuid" : "+a"(a), "+b"(b), "+c"(c), "+d"(d));
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

static void guest_queries(void)
{
	u32 i;

	for (i = 0; i < nr_queries; i++)
		guest_cpuid64(queries[i].function, queries[i].index,
			      queries[i].out);
	GUEST_DONE();
}

static void add_entry(struct kvm_cpuid_entry2 *t, u32 *n, u32 function,
		      u32 index, u32 a, u32 b, u32 c, u32 d)
{
	struct kvm_cpuid_entry2 *e = &t[(*n)++];

	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = is_indexed(function) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	e->eax = a;
	e->ebx = b;
	e->ecx = c;
	e->edx = d;
}

/*
 * A made-up table: max basic leaf 0xb, vendor @vendor, two subleaves of
 * leaf 4, leaf 7.0, leaf 0xb with an x2APIC ID in EDX, KVM's signature,
 * and extended leaves up to 0x80000001.
 */
static u32 made_up_table(struct kvm_cpuid_entry2 *t, const char *vendor)
{
	u32 v[3], n = 0;

	memcpy(v, vendor, 12);
	add_entry(t, &n, 0, 0, 0xb, v[0], v[2], v[1]);
	/* No dynamic bit set: OSXSAVE and APIC are masked when comparing. */
	add_entry(t, &n, 1, 0, 0x00a00f11, 0x01020304, 0x00802001, 0x078bf9ff);
	add_entry(t, &n, 4, 0, 0x00000121, 0x01c0003f, 0x3f, 0);
	add_entry(t, &n, 4, 1, 0x00000122, 0x01c0003f, 0x7f, 0);
	add_entry(t, &n, 7, 0, 0, 0x219c91a9, 0x00400004, 0x10);
	add_entry(t, &n, 0xb, 0, 1, 1, 0x100, 0x42);
	add_entry(t, &n, 0xb, 1, 4, 2, 0x201, 0x42);
	add_entry(t, &n, 0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56,
		  0x4d);
	add_entry(t, &n, 0x40000001, 0, 0, 0, 0, 0);
	add_entry(t, &n, 0x80000000, 0, 0x80000001, v[0], v[2], v[1]);
	add_entry(t, &n, 0x80000001, 0, 0x00a00f11, 0x12345678, 0x00000121,
		  0x2fd3fbff);
	return n;
}

static const struct kvm_cpuid_entry2 *
lookup(const struct kvm_cpuid_entry2 *t, u32 n, u32 function, u32 index)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (t[i].function == function &&
		    (!(t[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     t[i].index == index))
			return &t[i];
	return NULL;
}

static void expect_query(struct __test_metadata *_metadata,
			 const struct query *q, u32 a, u32 b, u32 c, u32 d)
{
	u64 ecx = q->out[2], edx = q->out[3];

	/* OSXSAVE and APIC follow guest state (checked elsewhere). */
	if (q->function == 1) {
		ecx &= ~LEAF1_ECX_OSXSAVE;
		edx &= ~LEAF1_EDX_APIC;
		c &= ~LEAF1_ECX_OSXSAVE;
		d &= ~LEAF1_EDX_APIC;
	}
	EXPECT_EQ((u64)a, q->out[0])
		TH_LOG("CPUID %#x.%u EAX", q->function, q->index);
	EXPECT_EQ((u64)b, q->out[1])
		TH_LOG("CPUID %#x.%u EBX", q->function, q->index);
	EXPECT_EQ((u64)c, ecx) TH_LOG("CPUID %#x.%u ECX", q->function, q->index);
	EXPECT_EQ((u64)d, edx) TH_LOG("CPUID %#x.%u EDX", q->function, q->index);
}

static void run_queries(struct __test_metadata *_metadata,
			struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	sync_global_to_guest(vm, queries);
	sync_global_to_guest(vm, nr_queries);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	sync_global_from_guest(vm, queries);
}

static void add_query(u32 function, u32 index)
{
	queries[nr_queries].function = function;
	queries[nr_queries].index = index;
	nr_queries++;
}

/*
 * Guests with an Intel-like vendor see the highest basic leaf for a leaf
 * out of range; guests with AMD's see zeros.  Everything in range comes
 * from the table, or is zero; leaf 0xb keeps ECX[7:0] and EDX for any
 * subleaf.
 */
static void guest_sees_table(struct __test_metadata *_metadata,
			     const char *vendor)
{
	struct kvm_cpuid_entry2 t[16];
	bool intel = strcmp(vendor, "AuthenticAMD");
	const struct kvm_cpuid_entry2 *e;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 n, i;

	n = made_up_table(t, vendor);
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_queries), &vcpu);
	ASSERT_EQ(0, vcpu_set_cpuid2(vcpu, t, n));

	nr_queries = 0;
	for (i = 0; i < n; i++)
		add_query(t[i].function, t[i].index);
	add_query(1, 5);		/* index not significant */
	add_query(4, 5);		/* missing subleaf, in range */
	add_query(7, 1);
	add_query(2, 0);		/* missing leaf, in range */
	add_query(0xb, 7);		/* leaf 0xb: ECX[7:0], EDX */
	add_query(0xc, 0);		/* out of range: basic */
	add_query(0xc, 1);
	add_query(0x80000002, 0);	/* out of range: extended */
	add_query(0x80000008, 9);
	add_query(0x40000002, 0);	/* out of range: hypervisor */
	add_query(0x40000100, 0);	/* no such hypervisor class */
	add_query(0xc0000000, 0);	/* no Centaur class */
	add_query(0x50000000, 1);	/* basic class, above max */
	run_queries(_metadata, vm, vcpu);

	for (i = 0; i < nr_queries; i++) {
		struct query *q = &queries[i];
		u32 f = q->function;

		if (f == 0xb && q->index == 7) {
			expect_query(_metadata, q, 0, 0, 7, 0x42);
			continue;
		}
		e = lookup(t, n, f, q->index);
		if (!e && intel) {
			bool in_range;

			if (f < 0x40000000 || (f >= 0x50000000 && f < 0x80000000))
				in_range = f <= 0xb;
			else if (f < 0x50000000)
				in_range = (f & 0xffffff00) == 0x40000000 &&
					   f <= 0x40000001;
			else if (f < 0xc0000000)
				in_range = f <= 0x80000001;
			else
				in_range = false;
			if (!in_range) {
				/* Max basic leaf 0xb, with the index asked. */
				f = 0xb;
				e = lookup(t, n, f, q->index);
			}
		}
		if (e) {
			expect_query(_metadata, q, e->eax, e->ebx, e->ecx,
				     e->edx);
		} else if (f == 0xb) {
			expect_query(_metadata, q, 0, 0, q->index & 0xff, 0x42);
		} else {
			expect_query(_metadata, q, 0, 0, 0, 0);
		}
	}
	vm_free(vm);
}

TEST(guest_sees_table_intel_rules)
{
	TEST_REQUIRE_KVM();
	guest_sees_table(_metadata, "GenuineIntel");
}

TEST(guest_sees_table_amd_rules)
{
	TEST_REQUIRE_KVM();
	guest_sees_table(_metadata, "AuthenticAMD");
}

/* Each vCPU has its own table. */
TEST(per_vcpu_tables)
{
	struct kvm_cpuid_entry2 t[2] = { };
	struct cpuid2 *got = cpuid2_alloc();
	struct kvm_vcpu *v0, *v1;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	v0 = vm_vcpu_add(vm, 0);
	v1 = vm_vcpu_add(vm, 1);
	t[0].function = 0x40000000;
	t[0].eax = 0x40000001;
	t[1].function = 0x40000001;
	ASSERT_EQ(0, vcpu_set_cpuid2(v0, t, 2));
	ASSERT_EQ(0, vcpu_set_cpuid2(v1, t, 1));
	EXPECT_EQ(-E2BIG, vcpu_get_cpuid2(v0, got, 1));
	EXPECT_EQ(0, vcpu_get_cpuid2(v0, got, 2));
	EXPECT_EQ(0, vcpu_get_cpuid2(v1, got, 1));
	EXPECT_EQ(0x40000000U, got->e[0].function);
	vm_free(vm);
	free(got);
}

/*
 * After KVM_RUN, the table can only be set again unchanged (KVM 6.1's
 * kvm_set_cpuid(): QEMU does that when it reuses a vCPU for hotplug).
 */
TEST(set_after_run)
{
	struct kvm_cpuid_entry2 t[16];
	struct cpuid2 *got = cpuid2_alloc();
	struct kvm_cpuid_entry2 saved;
	struct {
		struct kvm_cpuid h;
		struct kvm_cpuid_entry e[1];
	} old = { .h.nent = 1 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 n;

	TEST_REQUIRE_KVM();
	n = made_up_table(t, "GenuineIntel");
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_queries), &vcpu);
	ASSERT_EQ(0, vcpu_set_cpuid2(vcpu, t, n));
	/* Before running, anything goes. */
	ASSERT_EQ(0, vcpu_set_cpuid2(vcpu, t, n - 1));
	ASSERT_EQ(0, vcpu_set_cpuid2(vcpu, t, n));

	nr_queries = 0;
	add_query(0x40000000, 0);
	run_queries(_metadata, vm, vcpu);
	EXPECT_EQ(0x40000001ULL, queries[0].out[0]);

	EXPECT_EQ(0, vcpu_set_cpuid2(vcpu, t, n));
	EXPECT_EQ(-EINVAL, vcpu_set_cpuid2(vcpu, t, n - 1));
	saved = t[2];
	t[2].ebx ^= 1;
	EXPECT_EQ(-EINVAL, vcpu_set_cpuid2(vcpu, t, n));
	t[2] = saved;
	t[2].flags ^= KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	EXPECT_EQ(-EINVAL, vcpu_set_cpuid2(vcpu, t, n));
	t[2] = saved;
	/* The old ioctl too: no entry has index and flags 0 everywhere. */
	old.e[0].function = 0x40000000;
	errno = 0;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_CPUID, &old));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-E2BIG, vcpu_get_cpuid2(vcpu, got, n - 1));
	ASSERT_EQ(0, vcpu_get_cpuid2(vcpu, got, n));
	EXPECT_TRUE(entries_equal(t, got->e, n));
	EXPECT_EQ(0, vcpu_set_cpuid2(vcpu, got->e, n));
	vm_free(vm);
	free(got);
}

/*
 * OSXSAVE in CPUID.1:ECX follows the guest's CR4.OSXSAVE (SDM vol. 2A
 * CPUID; KVM's kvm_update_cpuid_runtime()), in the guest and in
 * KVM_GET_CPUID2.
 */
static void guest_osxsave(void)
{
	u64 out[4], cr4;

	guest_cpuid64(1, 0, out);
	GUEST_ASSERT_EQ(0, out[2] & LEAF1_ECX_OSXSAVE);
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_OSXSAVE));
	guest_cpuid64(1, 0, out);
	GUEST_ASSERT_EQ(LEAF1_ECX_OSXSAVE, out[2] & LEAF1_ECX_OSXSAVE);
	GUEST_SYNC(1);
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4));
	guest_cpuid64(1, 0, out);
	GUEST_ASSERT_EQ(0, out[2] & LEAF1_ECX_OSXSAVE);
	GUEST_DONE();
}

TEST(osxsave_follows_cr4)
{
	struct cpuid2 *got = cpuid2_alloc();
	struct kvm_cpuid_entry2 t[16];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u32 a, b, c, d, n;

	TEST_REQUIRE_KVM();
	__cpuid(1, a, b, c, d);
	/* CPUID may have XSAVE while the kernel does not use it (Bochs). */
	if (!(c & LEAF1_ECX_XSAVE) || !host_cpu_has("xsave"))
		SKIP(return, "host without XSAVE");
	n = made_up_table(t, "AuthenticAMD");
	/* The guest may set CR4.OSXSAVE only if its CPUID has XSAVE. */
	t[1].ecx |= LEAF1_ECX_XSAVE;
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_osxsave), &vcpu);
	ASSERT_EQ(0, vcpu_set_cpuid2(vcpu, t, n));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, vcpu_get_cpuid2(vcpu, got, n));
	EXPECT_EQ(LEAF1_ECX_OSXSAVE, got->e[1].ecx & LEAF1_ECX_OSXSAVE);
	/*
	 * The dynamic bits are brought up to date in the new table before
	 * it is compared with the old one: both are the same table.
	 */
	EXPECT_EQ(0, vcpu_set_cpuid2(vcpu, got->e, n));
	EXPECT_EQ(0, vcpu_set_cpuid2(vcpu, t, n));
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, vcpu_get_cpuid2(vcpu, got, n));
	EXPECT_EQ(0U, got->e[1].ecx & LEAF1_ECX_OSXSAVE);
	vm_free(vm);
	free(got);
}

TEST_HARNESS_MAIN

/*
 * What KVM_GET_SUPPORTED_CPUID (and the default guest CPUID) offers of
 * RDTSCP, RDPID and INVPCID runs in the guest: on VMX each needs a
 * secondary control (SDM vol. 3C, 25.3), without which it is #UD, and the
 * guest would die of an instruction its CPUID promised.  Reports which
 * were tried: 1 RDTSCP, 2 RDPID, 4 INVPCID.
 */
static void guest_advertised_insns(void)
{
	struct { u64 pcid, addr; } desc = { 0, 0 };
	u64 out[4], tried = 0, aux;

	guest_cpuid64(0x80000000, 0, out);
	if ((u32)out[0] >= 0x80000001) {
		guest_cpuid64(0x80000001, 0, out);
		if (out[3] & (1u << 27)) {
			__asm__ __volatile__("rdtscp" : "=c"(aux) : : "rax", "rdx");
			tried |= 1;
		}
	}
	guest_cpuid64(7, 0, out);
	if (out[2] & (1u << 22)) {
		__asm__ __volatile__("rdpid %0" : "=r"(aux));
		tried |= 2;
	}
	if (out[1] & (1u << 10)) {
		/* Type 2: all contexts, globals included. */
		__asm__ __volatile__("invpcid %0, %1"
				     : : "m"(desc), "r"(2ULL) : "memory");
		tried |= 4;
	}
	GUEST_SYNC_ARGS(tried, 0, 0, 0);
	GUEST_DONE();
}

TEST(advertised_instructions_run)
{
	struct kvm_vcpu *vcpu;
	struct cpuid2 *sup;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_advertised_insns),
				       &vcpu);
	sup = supported_cpuid();
	ASSERT_EQ(0, vcpu_set_cpuid2(vcpu, sup->e, sup->h.nent));
	free(sup);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	TH_LOG("tried (1 RDTSCP, 2 RDPID, 4 INVPCID): %#llx",
	       (unsigned long long)uc.args[0]);
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}
