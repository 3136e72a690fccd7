// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs through the KVM ABI (api.rst): KVM_GET_MSR_INDEX_LIST,
 * KVM_GET_MSR_FEATURE_INDEX_LIST and /dev/kvm KVM_GET_MSRS; vCPU
 * KVM_GET_MSRS/KVM_SET_MSRS (count of entries done, stopping at the first
 * that fails; -E2BIG from 256 entries); the guest's RDMSR/WRMSR seeing
 * what userspace set and the other way round; #GP for MSRs that do not
 * exist or values an MSR refuses; the TSC.
 *
 * No KVM_SET_CPUID2 here: the guest has none of the CPUID features that
 * gate MSRs (TSC_AUX, TSC_ADJUST, XSS, x2APIC), as a vCPU userspace gave
 * no CPUID has in KVM.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103
#define MSR_IA32_TSC		0x10
#define MSR_IA32_APICBASE	0x1b
#define MSR_IA32_TSC_ADJUST	0x3b
#define MSR_MTRR_CAP		0xfe
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_MCG_CAP	0x179
#define MSR_IA32_MCG_STATUS	0x17a
#define MSR_IA32_MCG_CTL	0x17b
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_MTRR_PHYSBASE0	0x200
#define MSR_MTRR_PHYSMASK0	0x201
#define MSR_MTRR_FIX64K	0x250
#define MSR_IA32_CR_PAT		0x277
#define MSR_MTRR_DEF_TYPE		0x2ff
#define MSR_IA32_MC0_CTL	0x400
#define MSR_IA32_MC0_STATUS	0x401
#define MSR_IA32_XSS		0xda0
/* Neither a real MSR nor one KVM emulates: unknown everywhere. */
#define MSR_PLATFORM_INFO	0xce
#define MSR_MISC_FEATURES_ENABLES	0x140
#define MSR_IA32_POWER_CTL	0x1fc
#define PLATFORM_INFO_CPUID_FAULT	BIT_ULL(31)
#define MSR_BOGUS		0x12345678

#define PAT_DEFAULT		0x0007040600070406ULL
#define NONCANONICAL		0x0000800000000000ULL
#define VEC_GP			13U

/* More than enough for any index list. */
#define LIST_MAX		1024U

static int dev_fd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = kvm_open();
	return fd;
}

/* KVM_GET_MSRS/KVM_SET_MSRS of @n entries; the ioctl's result or -errno. */
static int msrs_io(int fd, unsigned long ioctl_nr, struct kvm_msr_entry *e,
		   u32 n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(*e));
	int r;

	TEST_ASSERT(m, "calloc");
	m->nmsrs = n;
	memcpy(m->entries, e, n * sizeof(*e));
	r = ioctl(fd, ioctl_nr, m);
	if (r < 0)
		r = -errno;
	else
		memcpy(e, m->entries, n * sizeof(*e));
	free(m);
	return r;
}

static int get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct kvm_msr_entry e = { .index = index };
	int r = msrs_io(vcpu->fd, KVM_GET_MSRS, &e, 1);

	*data = e.data;
	return r;
}

static int set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	struct kvm_msr_entry e = { .index = index, .data = data };

	return msrs_io(vcpu->fd, KVM_SET_MSRS, &e, 1);
}

static u64 msr(struct kvm_vcpu *vcpu, u32 index)
{
	u64 data;

	TEST_ASSERT(get_msr(vcpu, index, &data) == 1,
		    "KVM_GET_MSRS of %#x", index);
	return data;
}

static void msr_set(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	TEST_ASSERT(set_msr(vcpu, index, data) == 1,
		    "KVM_SET_MSRS of %#x = %#llx", index, data);
}

/* An index list into @list (LIST_MAX entries); returns its length. */
static u32 get_list(struct __test_metadata *_metadata, unsigned long nr,
		    u32 *list)
{
	struct kvm_msr_list *l = calloc(1, sizeof(*l) + LIST_MAX * 4);
	struct kvm_msr_list hdr = { .nmsrs = 0 };
	u32 n, i, j;

	/* Too short: -E2BIG, and nmsrs says how many there are. */
	EXPECT_EQ(-1, ioctl(dev_fd(), nr, &hdr));
	EXPECT_EQ(E2BIG, errno);
	n = hdr.nmsrs;
	EXPECT_LT(0U, n);
	EXPECT_GE(LIST_MAX, n);
	if (n > 1) {
		l->nmsrs = n - 1;
		EXPECT_EQ(-1, ioctl(dev_fd(), nr, l));
		EXPECT_EQ(E2BIG, errno);
		EXPECT_EQ(n, l->nmsrs);
	}
	/* Room to spare: nmsrs is set to the length. */
	l->nmsrs = LIST_MAX;
	EXPECT_EQ(0, ioctl(dev_fd(), nr, l));
	EXPECT_EQ(n, l->nmsrs);
	memcpy(list, l->indices, n * 4);
	free(l);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			EXPECT_NE(list[i], list[j]) TH_LOG("%#x twice", list[i]);
	return n;
}

static bool in_list(const u32 *list, u32 n, u32 index)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (list[i] == index)
			return true;
	return false;
}

/* MSRs every KVM on x86-64 lists for saving; no host feature needed. */
static const u32 must_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_IA32_TSC_ADJUST,
	MSR_IA32_MISC_ENABLE, MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL,
};

TEST(index_list)
{
	static u32 list[LIST_MAX];
	struct kvm_msr_entry e[ARRAY_SIZE(must_save)];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 n, i;

	TEST_REQUIRE_KVM();
	n = get_list(_metadata, KVM_GET_MSR_INDEX_LIST, list);
	for (i = 0; i < ARRAY_SIZE(must_save); i++)
		EXPECT_TRUE(in_list(list, n, must_save[i]))
			TH_LOG("%#x not listed", must_save[i]);
	/* In KVM_GET/SET_SREGS, not in the list. */
	EXPECT_FALSE(in_list(list, n, MSR_EFER));
	EXPECT_FALSE(in_list(list, n, MSR_IA32_APICBASE));

	/* What the list names can be read and written back. */
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	for (i = 0; i < ARRAY_SIZE(must_save); i++)
		e[i].index = must_save[i];
	EXPECT_EQ((int)ARRAY_SIZE(e),
		  msrs_io(vcpu->fd, KVM_GET_MSRS, e, ARRAY_SIZE(e)));
	EXPECT_EQ((int)ARRAY_SIZE(e),
		  msrs_io(vcpu->fd, KVM_SET_MSRS, e, ARRAY_SIZE(e)));
	vm_free(vm);
}

TEST(feature_msrs)
{
	static u32 list[LIST_MAX];
	struct kvm_msr_entry e[3] = {
		{ .index = 0 }, { .index = MSR_BOGUS }, { .index = 0 },
	};
	u32 n, i;

	TEST_REQUIRE_KVM();
	if (!kvm_check_cap(KVM_CAP_GET_MSR_FEATURES))
		SKIP(return, "no KVM_CAP_GET_MSR_FEATURES");
	n = get_list(_metadata, KVM_GET_MSR_FEATURE_INDEX_LIST, list);
	/* Every feature MSR listed is readable from /dev/kvm. */
	for (i = 0; i < n; i++) {
		struct kvm_msr_entry one = { .index = list[i] };

		EXPECT_EQ(1, msrs_io(dev_fd(), KVM_GET_MSRS, &one, 1))
			TH_LOG("feature MSR %#x", list[i]);
	}
	/* Partial success: stops at the unknown one. */
	e[0].index = list[0];
	e[2].index = list[0];
	EXPECT_EQ(1, msrs_io(dev_fd(), KVM_GET_MSRS, e, 3));
	/* A non-feature MSR is not one. */
	e[0].index = MSR_STAR;
	EXPECT_EQ(0, msrs_io(dev_fd(), KVM_GET_MSRS, e, 1));
}

FIXTURE(vcpu) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
};

FIXTURE_SETUP(vcpu)
{
	if (!kvm_available())
		SKIP_FIXTURE("%s: %s", KVM_DEV_PATH, strerror(errno));
	self->vm = vm_create();
	self->vcpu = vm_vcpu_add(self->vm, 0);
}

FIXTURE_TEARDOWN(vcpu)
{
	vm_free(self->vm);
}

struct msr_value {
	u32 index;
	u64 value;
};

/* Values each MSR accepts from userspace and gives back as they are. */
static const struct msr_value round_trip[] = {
	{ MSR_STAR, 0x0023001000000000ULL },
	{ MSR_LSTAR, 0xffffffff81000000ULL },
	{ MSR_CSTAR, 0x00007fffdeadb000ULL },
	{ MSR_SYSCALL_MASK, 0x47700 },
	{ MSR_KERNEL_GS_BASE, 0xffff888012345000ULL },
	{ MSR_FS_BASE, 0x7f0012340000ULL },
	{ MSR_GS_BASE, 0xffff888000001000ULL },
	{ MSR_IA32_SYSENTER_CS, 0x10 },
	{ MSR_IA32_SYSENTER_ESP, 0x82000000ULL },
	{ MSR_IA32_SYSENTER_EIP, 0x81800000ULL },
	{ MSR_IA32_CR_PAT, 0x0007010600070406ULL },
	{ MSR_IA32_MISC_ENABLE, 0x1801 },
	{ MSR_IA32_APICBASE, 0xfee00900ULL },
	{ MSR_MTRR_DEF_TYPE, 0xc06 },
	{ MSR_MTRR_FIX64K, 0x0606060606060606ULL },
	{ MSR_MTRR_PHYSBASE0, 0x80000000ULL | 0 },
	{ MSR_MTRR_PHYSMASK0, 0xf80000800ULL },
	{ MSR_IA32_MCG_STATUS, 0x5 },
	{ MSR_IA32_MC0_CTL, ~0ULL },
	{ MSR_IA32_MC0_STATUS, 0x8000000000000000ULL },
	{ MSR_IA32_MCG_CTL, 0 },
};

TEST_F(vcpu, round_trip)
{
	struct kvm_msr_entry e[ARRAY_SIZE(round_trip)];
	u32 i, n = ARRAY_SIZE(round_trip);

	for (i = 0; i < n; i++) {
		e[i].index = round_trip[i].index;
		e[i].data = round_trip[i].value;
	}
	ASSERT_EQ((int)n, msrs_io(self->vcpu->fd, KVM_SET_MSRS, e, n));
	for (i = 0; i < n; i++)
		e[i].data = 0x5a5a;
	ASSERT_EQ((int)n, msrs_io(self->vcpu->fd, KVM_GET_MSRS, e, n));
	for (i = 0; i < n; i++)
		EXPECT_EQ(round_trip[i].value, e[i].data)
			TH_LOG("MSR %#x", round_trip[i].index);

	/*
	 * SYSENTER_ESP/EIP of a guest that is not told it runs on Intel: 32
	 * bits on an AMD host, as AMD's SYSENTER is 32-bit only.  On an Intel
	 * host they are VMCS fields: KVM keeps 64 bits, made canonical
	 * (x86.c __kvm_set_msr(), so that VM entry cannot fail on them).
	 */
	msr_set(self->vcpu, MSR_IA32_SYSENTER_EIP, 0xffffffff81800000ULL);
	msr_set(self->vcpu, MSR_IA32_SYSENTER_ESP, NONCANONICAL | 0x1000);
	if (host_cpu_is_intel()) {
		EXPECT_EQ(0xffffffff81800000ULL,
			  msr(self->vcpu, MSR_IA32_SYSENTER_EIP));
		EXPECT_EQ(0xffff800000001000ULL,
			  msr(self->vcpu, MSR_IA32_SYSENTER_ESP));
	} else {
		EXPECT_EQ(0x81800000ULL, msr(self->vcpu, MSR_IA32_SYSENTER_EIP));
		EXPECT_EQ(0x1000ULL, msr(self->vcpu, MSR_IA32_SYSENTER_ESP));
	}

	/* EFER from userspace: LMA stays the CPU's. */
	msr_set(self->vcpu, MSR_EFER, 0x1 | 0x400);
	EXPECT_EQ(0x1U, msr(self->vcpu, MSR_EFER));
}

TEST_F(vcpu, reset_values)
{
	u64 cap = msr(self->vcpu, MSR_IA32_MCG_CAP);

	EXPECT_EQ(PAT_DEFAULT, msr(self->vcpu, MSR_IA32_CR_PAT));
	/* "BTS and PEBS unavailable": there is no PMU. */
	EXPECT_EQ(0x1800ULL, msr(self->vcpu, MSR_IA32_MISC_ENABLE));
	/* Some banks, and no MCG_CTL (bit 8) by default. */
	EXPECT_LT(0ULL, cap & 0xff);
	EXPECT_EQ(0ULL, cap & 0x100);
	/* MTRRcap: fixed ranges (bit 8) and some variable ones. */
	EXPECT_EQ(0x100ULL, msr(self->vcpu, MSR_MTRR_CAP) & 0x100);
	EXPECT_LT(0ULL, msr(self->vcpu, MSR_MTRR_CAP) & 0xff);
	EXPECT_EQ(0ULL, msr(self->vcpu, MSR_EFER));
}

/* Refused values: the entry fails, the ones before it are done. */
TEST_F(vcpu, partial_success)
{
	static const struct msr_value bad[] = {
		{ MSR_BOGUS, 0 },
		{ MSR_IA32_CR_PAT, 0x0007040600070402ULL },	/* type 2 */
		{ MSR_IA32_CR_PAT, 0x0007040600070408ULL },	/* type 8 */
		{ MSR_LSTAR, NONCANONICAL },
		{ MSR_KERNEL_GS_BASE, NONCANONICAL },
		{ MSR_FS_BASE, NONCANONICAL },
		{ MSR_MTRR_DEF_TYPE, 0x1006 },			/* reserved */
		{ MSR_MTRR_DEF_TYPE, 0x2 },			/* type 2 */
		{ MSR_MTRR_FIX64K, 0x0606060606060603ULL },
		{ MSR_MTRR_PHYSMASK0, 0xf80000400ULL },	/* reserved */
		{ MSR_MTRR_CAP, 0x508 },				/* read-only */
		{ MSR_IA32_MCG_CTL, ~0ULL },			/* no MCG_CTL_P */
		{ MSR_IA32_MCG_CAP, 0 },			/* read-only */
		{ MSR_IA32_MC0_CTL, 0x1234 },			/* 0 or ~0 */
		{ MSR_IA32_APICBASE, 0xfee00801ULL },		/* reserved */
		{ MSR_IA32_APICBASE, 0xfee00c00ULL },		/* x2APIC */
		{ MSR_EFER, 1ULL << 20 },			/* reserved */
		{ MSR_IA32_XSS, 1 },
	};
	struct kvm_msr_entry e[3];
	u64 star;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		e[0] = (struct kvm_msr_entry){ .index = MSR_STAR,
					       .data = 0x1000 + i };
		e[1] = (struct kvm_msr_entry){ .index = bad[i].index,
					       .data = bad[i].value };
		e[2] = (struct kvm_msr_entry){ .index = MSR_STAR, .data = 7 };
		EXPECT_EQ(1, msrs_io(self->vcpu->fd, KVM_SET_MSRS, e, 3))
			TH_LOG("MSR %#x = %#llx", bad[i].index, bad[i].value);
		star = msr(self->vcpu, MSR_STAR);
		EXPECT_EQ(0x1000 + i, star);
	}

	e[0] = (struct kvm_msr_entry){ .index = MSR_LSTAR };
	e[1] = (struct kvm_msr_entry){ .index = MSR_BOGUS };
	e[2] = (struct kvm_msr_entry){ .index = MSR_STAR };
	EXPECT_EQ(1, msrs_io(self->vcpu->fd, KVM_GET_MSRS, e, 3));
	EXPECT_EQ(0, msrs_io(self->vcpu->fd, KVM_GET_MSRS, &e[1], 1));
	EXPECT_EQ(0, msrs_io(self->vcpu->fd, KVM_SET_MSRS, &e[1], 1));
}

/* Fewer than 256 entries per call, else -E2BIG before doing any. */
TEST_F(vcpu, too_many)
{
	static struct kvm_msr_entry e[256];
	u32 i;

	for (i = 0; i < 256; i++)
		e[i] = (struct kvm_msr_entry){ .index = MSR_STAR, .data = i };
	EXPECT_EQ(-E2BIG, msrs_io(self->vcpu->fd, KVM_SET_MSRS, e, 256));
	EXPECT_EQ(0U, msr(self->vcpu, MSR_STAR));
	EXPECT_EQ(-E2BIG, msrs_io(self->vcpu->fd, KVM_GET_MSRS, e, 256));
	EXPECT_EQ(255, msrs_io(self->vcpu->fd, KVM_SET_MSRS, e, 255));
	EXPECT_EQ(254U, msr(self->vcpu, MSR_STAR));
	EXPECT_EQ(0, msrs_io(self->vcpu->fd, KVM_GET_MSRS, e, 0));
}

/*
 * Guest side
 */

/* Host-set values, then the guest's own (guest and host copies alike). */
static const struct msr_value guest_msrs[] = {
	{ MSR_STAR, 0x0023001000000000ULL },
	{ MSR_LSTAR, 0xffffffff81000000ULL },
	{ MSR_CSTAR, 0xffffffff81000040ULL },
	{ MSR_SYSCALL_MASK, 0x47700 },
	{ MSR_KERNEL_GS_BASE, 0xffff888012345000ULL },
	{ MSR_IA32_SYSENTER_CS, 0x10 },
	{ MSR_IA32_SYSENTER_ESP, 0x82000000ULL },
	{ MSR_IA32_SYSENTER_EIP, 0x81800000ULL },
	/* Entries 4-7 only: the guest's page tables use entry 0. */
	{ MSR_IA32_CR_PAT, 0x0506040600070406ULL },
	{ MSR_IA32_MISC_ENABLE, 0x1801 },
	{ MSR_MTRR_DEF_TYPE, 0xc06 },
	{ MSR_MTRR_PHYSBASE0, 0x80000000ULL },
	{ MSR_IA32_MCG_STATUS, 0x4 },
	{ MSR_IA32_MC0_CTL, ~0ULL },
};

#define GUEST_DELTA	0x40

static void guest_msrs_code(void)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(guest_msrs); i++)
		GUEST_ASSERT_EQ(guest_msrs[i].value, rdmsr(guest_msrs[i].index));
	GUEST_ASSERT_EQ(PAT_DEFAULT & 0xffffffff,
			rdmsr(MSR_IA32_CR_PAT) & 0xffffffff);
	GUEST_SYNC(1);
	for (i = 0; i < ARRAY_SIZE(guest_msrs); i++) {
		u64 v = guest_msrs[i].value;

		/* Another valid value of the same kind. */
		if (guest_msrs[i].index == MSR_IA32_MC0_CTL)
			v = 0;
		else if (guest_msrs[i].index == MSR_IA32_MISC_ENABLE)
			v = 0x1800;
		else if (guest_msrs[i].index == MSR_IA32_CR_PAT)
			v = 0x0406040600070406ULL;
		else if (guest_msrs[i].index == MSR_MTRR_DEF_TYPE)
			v = 0x806;
		else if (guest_msrs[i].index == MSR_MTRR_PHYSBASE0)
			v = 0x40000006ULL;
		else
			v += GUEST_DELTA;
		wrmsr(guest_msrs[i].index, v);
		GUEST_ASSERT_EQ(v, rdmsr(guest_msrs[i].index));
	}
	GUEST_DONE();
}

static u64 guest_value(u32 index, u64 v)
{
	switch (index) {
	case MSR_IA32_MC0_CTL:
		return 0;
	case MSR_IA32_MISC_ENABLE:
		return 0x1800;
	case MSR_IA32_CR_PAT:
		return 0x0406040600070406ULL;
	case MSR_MTRR_DEF_TYPE:
		return 0x806;
	case MSR_MTRR_PHYSBASE0:
		return 0x40000006ULL;
	default:
		return v + GUEST_DELTA;
	}
}

TEST(guest_rdmsr_wrmsr)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u32 i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_msrs_code), &vcpu);
	for (i = 0; i < ARRAY_SIZE(guest_msrs); i++)
		msr_set(vcpu, guest_msrs[i].index, guest_msrs[i].value);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	for (i = 0; i < ARRAY_SIZE(guest_msrs); i++)
		EXPECT_EQ(guest_value(guest_msrs[i].index, guest_msrs[i].value),
			  msr(vcpu, guest_msrs[i].index))
			TH_LOG("MSR %#x", guest_msrs[i].index);
	vm_free(vm);
}

static void guest_done_code(void)
{
	GUEST_DONE();
}

/*
 * SYSCALL_MASK's reserved bits 63:32 from userspace, in a guest without
 * EFER.SCE: stock KVM keeps the value (it does not load the MSR then) and
 * the guest runs.  The host must neither fault writing it to the CPU (on
 * VMX the backend loads it by WRMSR around every entry) nor lose it.
 */
TEST(syscall_mask_upper_bits)
{
	const u64 v = BIT_ULL(32) | 0x47700;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_done_code), &vcpu);
	msr_set(vcpu, MSR_SYSCALL_MASK, v);
	EXPECT_EQ(v, msr(vcpu, MSR_SYSCALL_MASK));
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(v, msr(vcpu, MSR_SYSCALL_MASK));
	vm_free(vm);
}

/* One RDMSR (@write 0) or WRMSR of @value, then done. */
static void guest_one_access(u64 index, u64 write, u64 value)
{
	if (write)
		wrmsr(index, value);
	else
		value = rdmsr(index);
	GUEST_SYNC_ARGS(1, value, 0, 0);
	GUEST_DONE();
}

static struct kvm_vm *one_access_vm(u32 index, bool write, u64 value,
				    struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm;

	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_one_access), vcpu);
	vcpu_args_set(*vcpu, 3, (u64)index, (u64)write, value);
	return vm;
}

/* The access is #GP, at the RDMSR/WRMSR (not skipped). */
static void expect_gp(struct __test_metadata *_metadata, u32 index,
		      bool write, u64 value)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = one_access_vm(index, write, value, &vcpu);
	struct ucall uc;
	u8 *insn;

	EXPECT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc))
		TH_LOG("%s %#x", write ? "WRMSR" : "RDMSR", index);
	if (uc.cmd == UCALL_UNHANDLED) {
		EXPECT_EQ(VEC_GP, uc.args[0]);
		EXPECT_EQ(0U, uc.args[1]);
		insn = addr_gpa2hva(vm, uc.args[2]);
		EXPECT_EQ(0x0f, insn[0]);
		EXPECT_EQ(write ? 0x30 : 0x32, insn[1]);
	}
	vm_free(vm);
}

TEST(guest_gp)
{
	TEST_REQUIRE_KVM();
	expect_gp(_metadata, MSR_BOGUS, false, 0);
	expect_gp(_metadata, MSR_BOGUS, true, 0);
	expect_gp(_metadata, MSR_IA32_CR_PAT, true, 0x0007040600070402ULL);
	/*
	 * Not LSTAR = non-canonical, although that is #GP (APM vol. 2,
	 * 6.1.1): stock KVM passes LSTAR through to the CPU, and QEMU's
	 * TCG (the emulated host) does not check it.  KVM_SET_MSRS's check
	 * is in partial_success.
	 */
	expect_gp(_metadata, MSR_IA32_MCG_CTL, false, 0);
	expect_gp(_metadata, MSR_IA32_MCG_CTL, true, 0);
	expect_gp(_metadata, MSR_MTRR_CAP, true, 0x508);
	expect_gp(_metadata, MSR_IA32_MC0_STATUS, true, 1);
	/* Gated by CPUID the guest was not given. */
	expect_gp(_metadata, MSR_IA32_XSS, false, 0);
	expect_gp(_metadata, MSR_TSC_AUX, false, 0);
	/* "BTS/PEBS unavailable" are read-only for the guest. */
	expect_gp(_metadata, MSR_IA32_MISC_ENABLE, true, 0);
}

/*
 * The TSC: userspace's value is where the guest's counts from; the
 * guest's write moves it and, by as much, TSC_ADJUST.
 */
#define TSC_HOST	BIT_ULL(44)
#define TSC_GUEST	BIT_ULL(52)
/* Far more than this test's run time, at any plausible TSC rate. */
#define TSC_SLACK	BIT_ULL(42)

static void guest_tsc_code(void)
{
	u64 t0 = rdtsc(), t1 = rdmsr(MSR_IA32_TSC), t2 = rdtsc();

	GUEST_ASSERT(t0 <= t1 && t1 <= t2);
	GUEST_SYNC_ARGS(1, t0, t1, t2);
	wrmsr(MSR_IA32_TSC, TSC_GUEST);
	t0 = rdtsc();
	GUEST_ASSERT(t0 >= TSC_GUEST && t0 < TSC_GUEST + TSC_SLACK);
	GUEST_SYNC_ARGS(2, t0, 0, 0);
	GUEST_DONE();
}

TEST(tsc)
{
	struct kvm_vcpu *vcpu;
	u64 before, after, adj;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_tsc_code), &vcpu);
	msr_set(vcpu, MSR_IA32_TSC, TSC_HOST);
	before = msr(vcpu, MSR_IA32_TSC);
	EXPECT_LE(TSC_HOST, before);
	EXPECT_GT(TSC_HOST + TSC_SLACK, before);
	adj = msr(vcpu, MSR_IA32_TSC_ADJUST);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_LE(before, uc.args[1]);
	EXPECT_GT(TSC_HOST + TSC_SLACK, uc.args[3]);
	after = msr(vcpu, MSR_IA32_TSC);
	EXPECT_LE(uc.args[3], after);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	after = msr(vcpu, MSR_IA32_TSC);
	EXPECT_LE(uc.args[1], after);
	EXPECT_GT(TSC_GUEST + TSC_SLACK, after);
	/* TSC_ADJUST moved by about TSC_GUEST - TSC_HOST. */
	adj = msr(vcpu, MSR_IA32_TSC_ADJUST) - adj;
	EXPECT_LT(TSC_GUEST - TSC_HOST - TSC_SLACK, adj);
	EXPECT_GT(TSC_GUEST - TSC_HOST + TSC_SLACK, adj);
	/* Userspace's write does not move TSC_ADJUST. */
	adj = msr(vcpu, MSR_IA32_TSC_ADJUST);
	msr_set(vcpu, MSR_IA32_TSC, TSC_HOST);
	EXPECT_EQ(adj, msr(vcpu, MSR_IA32_TSC_ADJUST));
	/* Without CPUID TSC_ADJUST, writing it is ignored (as in KVM). */
	msr_set(vcpu, MSR_IA32_TSC_ADJUST, 12345);
	EXPECT_EQ(adj, msr(vcpu, MSR_IA32_TSC_ADJUST));
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/*
 * Userspace writes the vCPUs' TSCs one after the other; values meant to
 * be in step (within a second of each other's course) keep them in step.
 */
TEST(tsc_sync)
{
	struct kvm_vcpu *v0, *v1;
	struct kvm_vm *vm;
	u64 t0, t1, t2;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	v0 = vm_vcpu_add(vm, 0);
	v1 = vm_vcpu_add(vm, 1);
	msr_set(v0, MSR_IA32_TSC, TSC_HOST);
	msr_set(v1, MSR_IA32_TSC, TSC_HOST);
	t0 = msr(v0, MSR_IA32_TSC);
	t1 = msr(v1, MSR_IA32_TSC);
	t2 = msr(v0, MSR_IA32_TSC);
	EXPECT_LE(t0, t1);
	EXPECT_LE(t1, t2);
	/* A value far from that course is the vCPU's own. */
	msr_set(v1, MSR_IA32_TSC, TSC_GUEST);
	EXPECT_LE(TSC_GUEST, msr(v1, MSR_IA32_TSC));
	EXPECT_GT(TSC_HOST + TSC_SLACK, msr(v0, MSR_IA32_TSC));
	vm_free(vm);
}

/*
 * KVM_CAP_X86_USER_SPACE_MSR: failed guest accesses of the kinds enabled
 * exit to userspace, which answers in kvm_run->msr; error makes it #GP.
 */
#define PAT_BAD		0x0007040600070402ULL

static void guest_user_msr(void)
{
	u64 v = rdmsr(MSR_BOGUS);

	GUEST_SYNC_ARGS(1, v, 0, 0);
	wrmsr(MSR_BOGUS, 0xaabbccdd00112233ULL);
	GUEST_SYNC(2);
	/* An MSR that works does not leave the kernel. */
	GUEST_SYNC_ARGS(3, rdmsr(MSR_STAR), 0, 0);
	wrmsr(MSR_IA32_CR_PAT, PAT_BAD);
	GUEST_SYNC(4);
}

static void enable_user_msr(struct kvm_vm *vm, u64 mask)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR, .args[0] = mask,
	};

	TEST_ASSERT(!ioctl(vm->fd, KVM_ENABLE_CAP, &cap),
		    "KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR, %#llx)", mask);
}

/* Run to a KVM_EXIT_X86_RDMSR/WRMSR exit for @index. */
static struct kvm_run *expect_msr_exit(struct __test_metadata *_metadata,
				       struct kvm_vcpu *vcpu, bool write,
				       u32 index, u32 reason)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run_expect_exit(vcpu, write ? KVM_EXIT_X86_WRMSR :
					   KVM_EXIT_X86_RDMSR);
	EXPECT_EQ(index, run->msr.index);
	EXPECT_EQ(reason, run->msr.reason);
	EXPECT_EQ(0, run->msr.error);
	return run;
}

static void expect_sync(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, u64 n, struct ucall *uc)
{
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, uc));
	ASSERT_EQ(n, uc->args[0]);
}

/* The guest's next step is #GP at an RDMSR (0f 32) or WRMSR (0f 30). */
static void expect_run_gp(struct __test_metadata *_metadata,
			  struct kvm_vcpu *vcpu, bool write)
{
	struct ucall uc;
	u8 *insn;

	ASSERT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(VEC_GP, uc.args[0]);
	insn = addr_gpa2hva(vcpu->vm, uc.args[2]);
	EXPECT_EQ(0x0f, insn[0]);
	EXPECT_EQ(write ? 0x30 : 0x32, insn[1]);
}

TEST(user_space_msr)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR };
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	if (!kvm_check_cap(KVM_CAP_X86_USER_SPACE_MSR))
		SKIP(return, "no KVM_CAP_X86_USER_SPACE_MSR");
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_user_msr), &vcpu);
	/* Unknown reason bits, and any flags, are -EINVAL. */
	cap.args[0] = BIT(3);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(EINVAL, errno);
	cap.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN;
	cap.flags = 1;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(EINVAL, errno);

	enable_user_msr(vm, KVM_MSR_EXIT_REASON_UNKNOWN |
			    KVM_MSR_EXIT_REASON_INVAL);
	msr_set(vcpu, MSR_STAR, 0x0023001000000000ULL);
	run = expect_msr_exit(_metadata, vcpu, false, MSR_BOGUS,
			      KVM_MSR_EXIT_REASON_UNKNOWN);
	run->msr.data = 0x1122334455667788ULL;
	expect_sync(_metadata, vcpu, 1, &uc);
	EXPECT_EQ(0x1122334455667788ULL, uc.args[1]);

	run = expect_msr_exit(_metadata, vcpu, true, MSR_BOGUS,
			      KVM_MSR_EXIT_REASON_UNKNOWN);
	EXPECT_EQ(0xaabbccdd00112233ULL, run->msr.data);
	expect_sync(_metadata, vcpu, 2, &uc);
	expect_sync(_metadata, vcpu, 3, &uc);
	EXPECT_EQ(0x0023001000000000ULL, uc.args[1]);

	/* A refused value is "invalid"; userspace's error makes it #GP. */
	run = expect_msr_exit(_metadata, vcpu, true, MSR_IA32_CR_PAT,
			      KVM_MSR_EXIT_REASON_INVAL);
	EXPECT_EQ(PAT_BAD, run->msr.data);
	run->msr.error = 1;
	expect_run_gp(_metadata, vcpu, true);
	EXPECT_EQ(PAT_DEFAULT, msr(vcpu, MSR_IA32_CR_PAT));
	vm_free(vm);
}

/*
 * KVM_X86_SET_MSR_FILTER: the guest's accesses only; a range's bit set
 * allows, clear denies; replacing the filter takes effect at once.
 */
static void guest_filter(void)
{
	u64 v = rdmsr(MSR_STAR);

	GUEST_SYNC_ARGS(1, v, rdmsr(MSR_LSTAR), 0);
	wrmsr(MSR_STAR, 0x1234);
	GUEST_SYNC(2);
	GUEST_SYNC_ARGS(3, rdmsr(MSR_STAR), 0, 0);
	wrmsr(MSR_STAR, 0x5678);
	GUEST_SYNC(4);
	GUEST_SYNC_ARGS(5, rdmsr(MSR_STAR), 0, 0);
	rdmsr(MSR_LSTAR);
	GUEST_SYNC(6);
}

static int set_filter(struct kvm_vm *vm, struct kvm_msr_filter *f)
{
	return ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, f) ? -errno : 0;
}

TEST(msr_filter)
{
	/* Bit 0: STAR, bit 1: LSTAR. */
	u8 deny_star = 0x2, deny_all = 0, allow_star = 0x1;
	static u8 big[KVM_MSR_FILTER_MAX_BITMAP_SIZE + 8];
	struct kvm_msr_filter f;
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	if (!kvm_check_cap(KVM_CAP_X86_MSR_FILTER))
		SKIP(return, "no KVM_CAP_X86_MSR_FILTER");
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_filter), &vcpu);

	/* Refused filters. */
	memset(&f, 0, sizeof(f));
	f.flags = KVM_MSR_FILTER_DEFAULT_DENY;		/* denies all */
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));
	f.flags = 2;
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));
	f.flags = 0;
	f.ranges[0] = (struct kvm_msr_filter_range){
		.flags = 0, .base = MSR_STAR, .nmsrs = 1, .bitmap = &deny_all,
	};
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));
	f.ranges[0].flags = 4;
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));
	f.ranges[0].flags = KVM_MSR_FILTER_READ;
	f.ranges[0].nmsrs = (KVM_MSR_FILTER_MAX_BITMAP_SIZE + 8) * 8;
	f.ranges[0].bitmap = big;
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));

	/* Reads of STAR and writes of STAR denied, LSTAR allowed. */
	memset(&f, 0, sizeof(f));
	f.ranges[0] = (struct kvm_msr_filter_range){
		.flags = KVM_MSR_FILTER_READ, .base = MSR_STAR, .nmsrs = 2,
		.bitmap = &deny_star,
	};
	f.ranges[1] = (struct kvm_msr_filter_range){
		.flags = KVM_MSR_FILTER_WRITE, .base = MSR_STAR, .nmsrs = 1,
		.bitmap = &deny_all,
	};
	ASSERT_EQ(0, set_filter(vm, &f));
	enable_user_msr(vm, KVM_MSR_EXIT_REASON_FILTER);
	msr_set(vcpu, MSR_STAR, 0x0023001000000000ULL);
	msr_set(vcpu, MSR_LSTAR, 0xffffffff81000000ULL);

	run = expect_msr_exit(_metadata, vcpu, false, MSR_STAR,
			      KVM_MSR_EXIT_REASON_FILTER);
	run->msr.data = 0x77;
	expect_sync(_metadata, vcpu, 1, &uc);
	EXPECT_EQ(0x77U, uc.args[1]);
	EXPECT_EQ(0xffffffff81000000ULL, uc.args[2]);
	run = expect_msr_exit(_metadata, vcpu, true, MSR_STAR,
			      KVM_MSR_EXIT_REASON_FILTER);
	EXPECT_EQ(0x1234U, run->msr.data);
	expect_sync(_metadata, vcpu, 2, &uc);
	/* Userspace handled the write; its own accesses are not filtered. */
	EXPECT_EQ(0x0023001000000000ULL, msr(vcpu, MSR_STAR));

	/* Allow by default, no ranges: no filtering. */
	memset(&f, 0, sizeof(f));
	ASSERT_EQ(0, set_filter(vm, &f));
	expect_sync(_metadata, vcpu, 3, &uc);
	EXPECT_EQ(0x0023001000000000ULL, uc.args[1]);
	expect_sync(_metadata, vcpu, 4, &uc);
	EXPECT_EQ(0x5678U, msr(vcpu, MSR_STAR));

	/* Deny by default, allow reading STAR; no exits: #GP. */
	f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	f.ranges[0] = (struct kvm_msr_filter_range){
		.flags = KVM_MSR_FILTER_READ, .base = MSR_STAR, .nmsrs = 1,
		.bitmap = &allow_star,
	};
	ASSERT_EQ(0, set_filter(vm, &f));
	enable_user_msr(vm, 0);
	expect_sync(_metadata, vcpu, 5, &uc);
	EXPECT_EQ(0x5678U, uc.args[1]);
	expect_run_gp(_metadata, vcpu, false);
	vm_free(vm);
}

/*
 * MSR_PLATFORM_INFO: CPUID faulting offered by default, readable by the
 * guest until KVM_CAP_MSR_PLATFORM_INFO says no, writable by userspace
 * only; MSR_MISC_FEATURES_ENABLES takes CPUID faulting only while it is
 * offered.  POWER_CTL keeps what the guest writes.  (KVM 6.1.)
 */
TEST(platform_info_and_friends)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MSR_PLATFORM_INFO };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 v;

	TEST_REQUIRE_KVM();
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_MSR_PLATFORM_INFO));

	vm = one_access_vm(MSR_PLATFORM_INFO, false, 0, &vcpu);
	ASSERT_EQ(1, get_msr(vcpu, MSR_PLATFORM_INFO, &v));
	EXPECT_EQ(PLATFORM_INFO_CPUID_FAULT, v & PLATFORM_INFO_CPUID_FAULT);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(v, uc.args[1]);
	vm_free(vm);

	/* Turned off: the guest's RDMSR #GPs, userspace still reads it. */
	vm = one_access_vm(MSR_PLATFORM_INFO, false, 0, &vcpu);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	ASSERT_EQ(1, get_msr(vcpu, MSR_PLATFORM_INFO, &v));
	EXPECT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(VEC_GP, uc.args[0]);
	vm_free(vm);

	expect_gp(_metadata, MSR_PLATFORM_INFO, true, 0);
	expect_gp(_metadata, MSR_MISC_FEATURES_ENABLES, true, 2);

	/* CPUID faulting on: PLATFORM_INFO may not drop it. */
	vm = one_access_vm(MSR_IA32_POWER_CTL, true, 0x5a5a, &vcpu);
	EXPECT_EQ(1, set_msr(vcpu, MSR_MISC_FEATURES_ENABLES, 1));
	EXPECT_EQ(0, set_msr(vcpu, MSR_PLATFORM_INFO, 0));
	EXPECT_EQ(1, set_msr(vcpu, MSR_MISC_FEATURES_ENABLES, 0));
	EXPECT_EQ(1, set_msr(vcpu, MSR_PLATFORM_INFO, 0));
	EXPECT_EQ(0, set_msr(vcpu, MSR_MISC_FEATURES_ENABLES, 1));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x5a5aULL, msr(vcpu, MSR_IA32_POWER_CTL));
	vm_free(vm);
}

TEST_HARNESS_MAIN
