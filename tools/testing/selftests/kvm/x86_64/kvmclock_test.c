// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock (Documentation/virt/kvm/x86/msr.rst) and KVM's hypercalls
 * (x86/hypercalls.rst): the guest's pvclock page (version protocol,
 * monotonic, the stable bit when KVM_GET_CLOCK says the TSC is stable, the
 * same clock as KVM_GET_CLOCK, the rate of CLOCK_MONOTONIC), the wall
 * clock, KVM_GET/SET_CLOCK (api.rst 4.29-4.30: flags, errno, the realtime
 * adjustment), KVM_KVMCLOCK_CTRL (4.70), the MSRs through
 * KVM_GET/SET_MSRS, KVM_GET_SUPPORTED_CPUID's KVM_CPUID_FEATURES, GPAs
 * outside guest memory, and VMMCALL: -KVM_ENOSYS, -KVM_EPERM from CPL 3,
 * 32-bit results outside 64-bit mode.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <asm/kvm_para.h>
#include <linux/kvm_para.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

/* struct pvclock_vcpu_time_info and struct pvclock_wall_clock (ABI). */
struct pvti {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time;
	u32 mul;
	int8_t shift;
	u8 flags;
	u8 pad[2];
};

static_assert(sizeof(struct pvti) == 32, "pvclock_vcpu_time_info");

struct wall_clock {
	u32 version;
	u32 sec;
	u32 nsec;
};

static_assert(sizeof(struct wall_clock) == 12, "pvclock_wall_clock");

#define PVCLOCK_TSC_STABLE_BIT	BIT(0)
#define PVCLOCK_GUEST_STOPPED	BIT(1)

#define PVTI_GPA	GUEST_DATA_GPA			/* vCPU 0 */
#define PVTI1_GPA	(GUEST_DATA_GPA + 0x40)		/* vCPU 1 */
#define WALL_GPA	(GUEST_DATA_GPA + 0x1000)
#define CROSS_GPA	(GUEST_DATA_GPA + 0x2ff0)	/* crosses a page */
#define NOMEM_GPA	0xfff00000ULL			/* no memslot */

#define MSR_IA32_TSC	0x10
#define NSEC		1000000000ULL
#define CLOCK_VALID	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
			 KVM_CLOCK_HOST_TSC)
#define READS		2000
#define KVM_ENOSYS_64	((u64)-KVM_ENOSYS)

/*
 * Guest side
 */

static inline u64 vmmcall(u64 nr, u64 a0, u64 a1)
{
	u64 r;

	__asm__ __volatile__("vmmcall" : "=a"(r) : "a"(nr), "b"(a0), "c"(a1)
			     : "memory");
	return r;
}

/* The guest's kvmclock, read with the version protocol; flags out. */
static u64 pvclock_read(struct pvti *p, u8 *flags)
{
	u32 v;
	u64 delta, ns;

	do {
		v = READ_ONCE(p->version);
		__asm__ __volatile__("" ::: "memory");
		delta = rdtsc() - p->tsc_timestamp;
		if (p->shift < 0)
			delta >>= -p->shift;
		else
			delta <<= p->shift;
		ns = p->system_time +
		     (u64)(((__uint128_t)delta * p->mul) >> 32);
		*flags = p->flags;
		__asm__ __volatile__("" ::: "memory");
	} while ((v & 1) || v != READ_ONCE(p->version));
	return ns;
}

/*
 * Enable kvmclock at @gpa with @msr (0: already enabled by the host),
 * then for ever: read it READS times, checking it never goes back, and
 * report the last value and the flags.
 */
static void guest_clock_code(u64 msr, u64 gpa)
{
	struct pvti *p = (void *)gpa;
	u64 last, now;
	u8 flags;
	int i;

	if (msr)
		wrmsr(msr, gpa | KVM_MSR_ENABLED);
	for (;;) {
		last = pvclock_read(p, &flags);
		for (i = 0; i < READS; i++) {
			now = pvclock_read(p, &flags);
			GUEST_ASSERT(now >= last);
			last = now;
		}
		GUEST_ASSERT(!(READ_ONCE(p->version) & 1));
		GUEST_SYNC_ARGS(1, last, flags, READ_ONCE(p->version));
	}
}

/* Write @value to @msr, read it back, report it; repeat with the next. */
static void guest_msr_write(u64 msr, u64 value, u64 msr2, u64 value2)
{
	wrmsr(msr, value);
	GUEST_SYNC_ARGS(1, rdmsr(msr), 0, 0);
	wrmsr(msr2, value2);
	GUEST_SYNC_ARGS(2, rdmsr(msr2), 0, 0);
	GUEST_DONE();
}

/* RDMSR of @msr, then of @msr2. */
static void guest_msr_read(u64 msr, u64 msr2)
{
	GUEST_SYNC_ARGS(1, rdmsr(msr), 0, 0);
	GUEST_SYNC_ARGS(2, rdmsr(msr2), 0, 0);
	GUEST_DONE();
}

/*
 * Intel's VMCALL on an AMD host: KVM completes it as a hypercall too (a
 * #UD intercept), so guests built for either vendor work.
 */
static inline u64 vmcall(u64 nr)
{
	u64 r;

	__asm__ __volatile__("vmcall" : "=a"(r) : "a"(nr) : "memory");
	return r;
}

static void guest_hypercalls(void)
{
	GUEST_SYNC_ARGS(1, vmmcall(0x12345678, 0, 0), 0, 0);
	/*
	 * Long gone from KVM.  (KICK_CPU and SEND_IPI are 0 on stock KVM,
	 * which does not enforce the guest's CPUID by default; Kestrel
	 * neither offers nor implements them yet.)
	 */
	GUEST_SYNC_ARGS(2, vmmcall(KVM_HC_MMU_OP, 0, 0), 0, 0);
	/* No truncation of the number in 64-bit mode. */
	GUEST_SYNC_ARGS(3, vmmcall((1ULL << 32) | KVM_HC_VAPIC_POLL_IRQ, 0, 0),
			0, 0);
	GUEST_SYNC_ARGS(4, vmmcall(KVM_HC_VAPIC_POLL_IRQ, 0, 0), 0, 0);
	GUEST_SYNC_ARGS(5, vmcall(0x12345678), 0, 0);
	/* A hint: 0 whether or not it yielded (no vCPU with APIC ID 9). */
	GUEST_SYNC_ARGS(6, vmmcall(KVM_HC_SCHED_YIELD, 9, 0), 0, 0);
	GUEST_DONE();
}

/* KVM_HC_CLOCK_PAIRING into @gpa: result, and the TSC around it. */
static void guest_clock_pairing(u64 gpa)
{
	u64 t0 = rdtsc(), r, t1;

	r = vmmcall(KVM_HC_CLOCK_PAIRING, gpa, KVM_CLOCK_PAIRING_WALLCLOCK);
	t1 = rdtsc();
	GUEST_SYNC_ARGS(1, r, t0, t1);
	GUEST_SYNC_ARGS(2, vmmcall(KVM_HC_CLOCK_PAIRING, gpa, 1), 0, 0);
	GUEST_SYNC_ARGS(3, vmmcall(KVM_HC_CLOCK_PAIRING, NOMEM_GPA,
				   KVM_CLOCK_PAIRING_WALLCLOCK), 0, 0);
	GUEST_DONE();
}

/* 32-bit guest: VMMCALL with an unknown number; EAX reported. */
__asm__(".pushsection .text\n"
	".code32\n"
	"hc32_entry:\n"
	"	movl $0x12345678, %eax\n"
	"	vmmcall\n"
	"	movl %eax, %ebx\n"
	GUEST_ASM_UCALL(UCALL_SYNC, "%ebx")
	"	hlt\n"
	".code64\n"
	".popsection\n");

/*
 * Host side
 */

static u64 now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static int get_clock(struct kvm_vm *vm, struct kvm_clock_data *d)
{
	memset(d, 0xa5, sizeof(*d));
	return ioctl(vm->fd, KVM_GET_CLOCK, d) ? -errno : 0;
}

static int set_clock(struct kvm_vm *vm, u64 clock, u32 flags, u64 realtime)
{
	struct kvm_clock_data d = {
		.clock = clock, .flags = flags, .realtime = realtime,
	};

	return ioctl(vm->fd, KVM_SET_CLOCK, &d) ? -errno : 0;
}

static struct kvm_vm *clock_vm(struct kvm_vcpu **vcpu, u64 msr, u64 gpa)
{
	struct kvm_vm *vm;

	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_clock_code), vcpu);
	vcpu_args_set(*vcpu, 2, msr, gpa);
	return vm;
}

/* One round of guest_clock(): the guest's last reading, between GET_CLOCKs. */
static u64 clock_round(struct __test_metadata *_metadata,
		       struct kvm_vcpu *vcpu, u8 *flags)
{
	struct kvm_clock_data before, after;
	struct ucall uc;
	u32 stable;
	u64 slack;

	EXPECT_EQ(0, get_clock(vcpu->vm, &before));
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, get_clock(vcpu->vm, &after));
	*flags = uc.args[2];
	EXPECT_EQ(0U, uc.args[3] & 1);
	stable = before.flags & after.flags & KVM_CLOCK_TSC_STABLE;
	/*
	 * With a stable TSC (the master clock) KVM_GET_CLOCK is exactly the
	 * guest's clock; otherwise it is CLOCK_MONOTONIC-based and the
	 * guest's TSC extrapolation may stray a little from it.
	 */
	slack = stable ? 0 : 1000000;
	EXPECT_LE(before.clock, uc.args[1] + slack);
	EXPECT_GE(after.clock + slack, uc.args[1]);
	EXPECT_EQ(!!(after.flags & KVM_CLOCK_TSC_STABLE),
		  !!(*flags & PVCLOCK_TSC_STABLE_BIT));
	EXPECT_FALSE(!!(*flags & PVCLOCK_GUEST_STOPPED));
	return uc.args[1];
}

TEST(caps_and_cpuid)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[256];
	} c = { .hdr.nent = 256 };
	u32 want = (1 << KVM_FEATURE_CLOCKSOURCE) |
		   (1 << KVM_FEATURE_CLOCKSOURCE2) |
		   (1 << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	bool found = false;
	u32 i;

	TEST_REQUIRE_KVM();
	EXPECT_EQ(CLOCK_VALID, kvm_check_cap(KVM_CAP_ADJUST_CLOCK));
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_KVMCLOCK_CTRL));
	ASSERT_EQ(0, ioctl(kvm_open(), KVM_GET_SUPPORTED_CPUID, &c));
	for (i = 0; i < c.hdr.nent; i++) {
		if (c.e[i].function != KVM_CPUID_FEATURES)
			continue;
		found = true;
		EXPECT_EQ(want, c.e[i].eax & want);
	}
	EXPECT_TRUE(found);
}

TEST(get_set_clock)
{
	struct kvm_clock_data d;
	struct kvm_vm *vm;
	u64 t0, t1, real;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	/* A new VM's clock starts near 0. */
	ASSERT_EQ(0, get_clock(vm, &d));
	EXPECT_GT(10 * NSEC, d.clock);
	EXPECT_EQ(0U, d.flags & ~(u32)CLOCK_VALID);
	EXPECT_EQ(0U, d.pad0);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0U, d.pad[i]);

	/* The host's real time and TSC, when reported. */
	t0 = rdtsc();
	real = now_ns(CLOCK_REALTIME);
	ASSERT_EQ(0, get_clock(vm, &d));
	t1 = rdtsc();
	if (d.flags & KVM_CLOCK_REALTIME) {
		EXPECT_LE(real, d.realtime);
		EXPECT_GT(real + NSEC, d.realtime);
	}
	if (d.flags & KVM_CLOCK_HOST_TSC) {
		EXPECT_LE(t0, d.host_tsc);
		EXPECT_GE(t1, d.host_tsc);
	}
	if (d.flags & KVM_CLOCK_TSC_STABLE)
		EXPECT_EQ((u32)(KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC),
			  d.flags & (KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC));

	/* Forward, and back: the clock is what was set, then runs on. */
	ASSERT_EQ(0, set_clock(vm, 1000 * NSEC, 0, 0));
	ASSERT_EQ(0, get_clock(vm, &d));
	EXPECT_LE(1000 * NSEC, d.clock);
	EXPECT_GT(1001 * NSEC, d.clock);
	ASSERT_EQ(0, set_clock(vm, 5 * NSEC, 0, 0));
	ASSERT_EQ(0, get_clock(vm, &d));
	EXPECT_LE(5 * NSEC, d.clock);
	EXPECT_GT(6 * NSEC, d.clock);

	/* Realtime in the past: the time since is added. */
	real = now_ns(CLOCK_REALTIME);
	ASSERT_EQ(0, set_clock(vm, 100 * NSEC, KVM_CLOCK_REALTIME,
			       real - 60 * NSEC));
	ASSERT_EQ(0, get_clock(vm, &d));
	EXPECT_LE(160 * NSEC, d.clock);
	EXPECT_GT(161 * NSEC, d.clock);
	/* In the future: never taken off. */
	ASSERT_EQ(0, set_clock(vm, 100 * NSEC, KVM_CLOCK_REALTIME,
			       real + 3600 * NSEC));
	ASSERT_EQ(0, get_clock(vm, &d));
	EXPECT_LE(100 * NSEC, d.clock);
	EXPECT_GT(101 * NSEC, d.clock);
	/* Without the flag, realtime is ignored. */
	ASSERT_EQ(0, set_clock(vm, 100 * NSEC, 0, real - 60 * NSEC));
	ASSERT_EQ(0, get_clock(vm, &d));
	EXPECT_LE(100 * NSEC, d.clock);
	EXPECT_GT(101 * NSEC, d.clock);

	/* KVM_GET_CLOCK's flags are accepted back; others are -EINVAL. */
	EXPECT_EQ(0, set_clock(vm, 100 * NSEC, CLOCK_VALID, now_ns(CLOCK_REALTIME)));
	EXPECT_EQ(-EINVAL, set_clock(vm, 0, 1U << 0, 0));
	EXPECT_EQ(-EINVAL, set_clock(vm, 0, 1U << 4, 0));
	EXPECT_EQ(-EINVAL, set_clock(vm, 0, 1U << 31, 0));
	ASSERT_EQ(0, get_clock(vm, &d));
	EXPECT_LE(100 * NSEC, d.clock);
	EXPECT_GT(101 * NSEC, d.clock);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_CLOCK, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_SET_CLOCK, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	vm_free(vm);
}

/*
 * The guest's clock: monotonic, even versions, the stable bit as
 * KVM_GET_CLOCK reports, within KVM_GET_CLOCK's readings around it, and
 * at CLOCK_MONOTONIC's rate over a while.
 */
TEST(guest_clock)
{
	u64 g0, g1, m0, m1;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u8 flags;

	TEST_REQUIRE_KVM();
	vm = clock_vm(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA);
	clock_round(_metadata, vcpu, &flags);
	m0 = now_ns(CLOCK_MONOTONIC);
	g0 = clock_round(_metadata, vcpu, &flags);
	usleep(300000);
	g1 = clock_round(_metadata, vcpu, &flags);
	m1 = now_ns(CLOCK_MONOTONIC);
	EXPECT_LE(g0, g1);
	/* Generous bounds: the emulated host's timing is coarse. */
	EXPECT_GE(m1 - m0 + 20000000, g1 - g0);
	EXPECT_LE((m1 - m0) * 9 / 10, g1 - g0);
	TH_LOG("kvmclock %llu ns over CLOCK_MONOTONIC %llu ns, flags %#x",
	       (unsigned long long)(g1 - g0), (unsigned long long)(m1 - m0),
	       flags);
	vm_free(vm);
}

/* KVM_SET_CLOCK while the guest uses its clock: it sees the jump. */
TEST(set_clock_seen)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 g0, g1;
	u8 flags;

	TEST_REQUIRE_KVM();
	vm = clock_vm(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA);
	g0 = clock_round(_metadata, vcpu, &flags);
	ASSERT_EQ(0, set_clock(vm, g0 + 3600 * NSEC, 0, 0));
	g1 = clock_round(_metadata, vcpu, &flags);
	EXPECT_LE(g0 + 3600 * NSEC, g1);
	EXPECT_GT(g0 + 3610 * NSEC, g1);
	vm_free(vm);
}

/* Userspace moving the guest's TSC far away: the clock goes on. */
TEST(host_tsc_write)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 g0, g1, tsc;
	u8 flags;

	TEST_REQUIRE_KVM();
	vm = clock_vm(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA);
	g0 = clock_round(_metadata, vcpu, &flags);
	ASSERT_EQ(1, vcpu_msr_get(vcpu, MSR_IA32_TSC, &tsc));
	ASSERT_EQ(1, vcpu_msr_set(vcpu, MSR_IA32_TSC, tsc + (1ULL << 42)));
	g1 = clock_round(_metadata, vcpu, &flags);
	EXPECT_LE(g0, g1);
	EXPECT_GT(g0 + 10 * NSEC, g1);
	vm_free(vm);
}

/* The legacy MSR, and the host enabling kvmclock through KVM_SET_MSRS. */
TEST(legacy_and_host_msr)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 v;
	u8 flags;

	TEST_REQUIRE_KVM();
	vm = clock_vm(&vcpu, MSR_KVM_SYSTEM_TIME, PVTI_GPA);
	clock_round(_metadata, vcpu, &flags);
	EXPECT_EQ(1, vcpu_msr_get(vcpu, MSR_KVM_SYSTEM_TIME, &v));
	EXPECT_EQ((u64)(PVTI_GPA | KVM_MSR_ENABLED), v);
	vm_free(vm);

	vm = clock_vm(&vcpu, 0, PVTI_GPA);
	ASSERT_EQ(1, vcpu_msr_set(vcpu, MSR_KVM_SYSTEM_TIME_NEW,
				  PVTI_GPA | KVM_MSR_ENABLED));
	clock_round(_metadata, vcpu, &flags);
	vm_free(vm);
}

/* Two vCPUs: with the stable bit, one clock for both. */
TEST(two_vcpus)
{
	struct kvm_vcpu *v0, *v1;
	struct pvti p0, p1;
	struct kvm_vm *vm;
	u8 f0, f1;

	TEST_REQUIRE_KVM();
	vm = clock_vm(&v0, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA);
	v1 = vm_vcpu_add_guest(vm, 1, GUEST_ENTRY(guest_clock_code));
	vcpu_args_set(v1, 2, (u64)MSR_KVM_SYSTEM_TIME_NEW, (u64)PVTI1_GPA);
	clock_round(_metadata, v0, &f0);
	clock_round(_metadata, v1, &f1);
	clock_round(_metadata, v0, &f0);
	EXPECT_EQ(f0, f1);
	vm_read_mem(vm, PVTI_GPA, &p0, sizeof(p0));
	vm_read_mem(vm, PVTI1_GPA, &p1, sizeof(p1));
	EXPECT_EQ(p0.mul, p1.mul);
	EXPECT_EQ(p0.shift, p1.shift);
	if (f0 & PVCLOCK_TSC_STABLE_BIT) {
		EXPECT_EQ(p0.tsc_timestamp, p1.tsc_timestamp);
		EXPECT_EQ(p0.system_time, p1.system_time);
	}
	vm_free(vm);
}

TEST(kvmclock_ctrl)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = clock_vm(&vcpu, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA);
	/* Before the guest enabled kvmclock. */
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_FALSE(!!(uc.args[2] & PVCLOCK_GUEST_STOPPED));
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_TRUE(!!(uc.args[2] & PVCLOCK_GUEST_STOPPED));
	/* Only the guest clears it. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_TRUE(!!(uc.args[2] & PVCLOCK_GUEST_STOPPED));
	/* Disabled again: -EINVAL. */
	ASSERT_EQ(1, vcpu_msr_set(vcpu, MSR_KVM_SYSTEM_TIME_NEW, PVTI_GPA));
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);
}

static void check_wall_clock(struct __test_metadata *_metadata,
			     struct kvm_vm *vm)
{
	struct kvm_clock_data d;
	struct wall_clock wc;
	u64 boot, expect;

	vm_read_mem(vm, WALL_GPA, &wc, sizeof(wc));
	EXPECT_EQ(0U, wc.version & 1);
	EXPECT_NE(0U, wc.version);
	EXPECT_GT(NSEC, wc.nsec);
	boot = wc.sec * NSEC + wc.nsec;
	ASSERT_EQ(0, get_clock(vm, &d));
	expect = now_ns(CLOCK_REALTIME) - d.clock;
	EXPECT_GT(boot + NSEC, expect);
	EXPECT_LT(boot, expect + NSEC);
}

/* The wall clock: the host's real time at kvmclock 0, both MSRs. */
TEST(wall_clock)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u32 *junk;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_msr_write), &vcpu);
	ASSERT_EQ(0, set_clock(vm, 1000 * NSEC, 0, 0));
	/* An odd version from before is junk, not an update in progress. */
	junk = addr_gpa2hva(vm, WALL_GPA);
	junk[0] = 7;
	vcpu_args_set(vcpu, 4, (u64)MSR_KVM_WALL_CLOCK_NEW, (u64)WALL_GPA,
		      (u64)MSR_KVM_WALL_CLOCK, (u64)WALL_GPA);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ((u64)WALL_GPA, uc.args[1]);
	check_wall_clock(_metadata, vm);
	ASSERT_EQ(0, set_clock(vm, 5 * NSEC, 0, 0));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ((u64)WALL_GPA, uc.args[1]);
	check_wall_clock(_metadata, vm);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/* KVM_GET/SET_MSRS round trip, and the MSRs in the index list. */
TEST(msr_round_trip)
{
	static const u32 msrs[] = {
		MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME,
		MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW,
	};
	struct kvm_msr_list *l = calloc(1, sizeof(*l) + 1024 * 4);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 i, j;
	u64 v;

	TEST_REQUIRE_KVM();
	l->nmsrs = 1024;
	ASSERT_EQ(0, ioctl(kvm_open(), KVM_GET_MSR_INDEX_LIST, l));
	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		for (j = 0; j < l->nmsrs && l->indices[j] != msrs[i]; j++)
			;
		EXPECT_GT(l->nmsrs, j) TH_LOG("MSR %#x not listed", msrs[i]);
	}
	free(l);

	vm = clock_vm(&vcpu, 0, PVTI_GPA);
	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		EXPECT_EQ(1, vcpu_msr_get(vcpu, msrs[i], &v));
		EXPECT_EQ(0U, v);
	}
	/* Disabled values, so the pages stay untouched. */
	for (i = 0; i < ARRAY_SIZE(msrs); i++)
		ASSERT_EQ(1, vcpu_msr_set(vcpu, msrs[i], 0x12340 + i * 0x100));
	/* Wall clock MSRs are one VM-wide value; system time per vCPU. */
	EXPECT_EQ(1, vcpu_msr_get(vcpu, MSR_KVM_WALL_CLOCK, &v));
	EXPECT_EQ(0x12340U + 2 * 0x100, v);
	EXPECT_EQ(1, vcpu_msr_get(vcpu, MSR_KVM_SYSTEM_TIME_NEW, &v));
	EXPECT_EQ(0x12340U + 3 * 0x100, v);
	vm_free(vm);
}

/* kvmclock outside guest memory, or across a page: nothing breaks. */
static void check_bad_gpa(struct __test_metadata *_metadata, u64 gpa)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 v;

	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_msr_write), &vcpu);
	vcpu_args_set(vcpu, 4, (u64)MSR_KVM_SYSTEM_TIME_NEW,
		      gpa | KVM_MSR_ENABLED, (u64)MSR_KVM_WALL_CLOCK_NEW, gpa);
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, NULL));
	EXPECT_EQ(1, vcpu_msr_get(vcpu, MSR_KVM_SYSTEM_TIME_NEW, &v));
	EXPECT_EQ(gpa | KVM_MSR_ENABLED, v);
	/* KVM takes the clock as enabled, whatever the GPA. */
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, NULL));
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, NULL));
	vm_free(vm);
}

TEST(bad_gpa)
{
	TEST_REQUIRE_KVM();
	check_bad_gpa(_metadata, NOMEM_GPA);
	check_bad_gpa(_metadata, 1ULL << 50);
	check_bad_gpa(_metadata, CROSS_GPA);
}

/*
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID: with it, only the MSRs of the features
 * in the guest's KVM_CPUID_FEATURES (here CLOCKSOURCE2, not CLOCKSOURCE).
 */
static void enforce_pv(struct __test_metadata *_metadata, bool enforce)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[2];
	} c = {
		.hdr.nent = 2,
		.e[0] = { .function = KVM_CPUID_SIGNATURE,
			  .eax = KVM_CPUID_FEATURES },
		.e[1] = { .function = KVM_CPUID_FEATURES,
			  .eax = 1 << KVM_FEATURE_CLOCKSOURCE2 },
	};
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args[0] = enforce,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	memcpy(&c.e[0].ebx, KVM_SIGNATURE, 12);
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_msr_read), &vcpu);
	vcpu_args_set(vcpu, 2, (u64)MSR_KVM_SYSTEM_TIME_NEW,
		      (u64)MSR_KVM_SYSTEM_TIME);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID2, &c));
	cap.flags = 1;
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(EINVAL, errno);
	cap.flags = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	if (enforce) {
		EXPECT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(13U, uc.args[0]);
	} else {
		EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	}
	vm_free(vm);
}

TEST(enforce_pv_cpuid)
{
	TEST_REQUIRE_KVM();
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_ENFORCE_PV_FEATURE_CPUID));
	enforce_pv(_metadata, true);
	enforce_pv(_metadata, false);
}

TEST(hypercalls)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_hypercalls), &vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(KVM_ENOSYS_64, uc.args[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(KVM_ENOSYS_64, uc.args[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(KVM_ENOSYS_64, uc.args[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(KVM_ENOSYS_64, uc.args[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[1]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/*
 * KVM_HC_CLOCK_PAIRING: the host's real time and the guest's TSC at one
 * instant, with a TSC clocksource (KVM_GET_CLOCK's HOST_TSC says so);
 * -KVM_EOPNOTSUPP for another clock type, -KVM_EFAULT outside memory.
 */
TEST(clock_pairing)
{
	struct kvm_clock_pairing cp;
	struct kvm_clock_data d;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 real, got;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_clock_pairing), &vcpu);
	vcpu_args_set(vcpu, 1, (u64)WALL_GPA);
	real = now_ns(CLOCK_REALTIME);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* Stock KVM takes its master clock at the first KVM_RUN. */
	ASSERT_EQ(0, get_clock(vm, &d));
	if (!(d.flags & KVM_CLOCK_HOST_TSC))
		SKIP(goto out, "the host's clocksource is not the TSC");
	EXPECT_EQ(0U, uc.args[1]);
	vm_read_mem(vm, WALL_GPA, &cp, sizeof(cp));
	got = cp.sec * NSEC + cp.nsec;
	EXPECT_LE(real, got);
	EXPECT_GT(real + NSEC, got);
	EXPECT_LE(uc.args[2], cp.tsc);
	EXPECT_GE(uc.args[3], cp.tsc);
	EXPECT_EQ(0U, cp.flags);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ((u64)-KVM_EOPNOTSUPP, uc.args[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ((u64)-KVM_EFAULT, uc.args[1]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
out:
	vm_free(vm);
}

/*
 * 32-bit protected mode without paging: at CPL 0 the result is 32 bits;
 * at CPL 3 (SS/CS DPL 3, IOPL 3 for the ucall's OUT) -KVM_EPERM.
 */
static void check_hypercall32(struct __test_metadata *_metadata, bool user,
			      u32 expect)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create_guest_with_vcpu(GUEST_MODE_PROT32,
				       ASM_SYMBOL_ADDR(hc32_entry), &vcpu);
	if (user) {
		vcpu_sregs_get(vcpu, &sregs);
		sregs.cs.dpl = 3;
		sregs.cs.selector |= 3;
		sregs.ss.dpl = 3;
		sregs.ss.selector |= 3;
		sregs.ds.dpl = 3;
		sregs.ds.selector |= 3;
		sregs.es.dpl = 3;
		sregs.es.selector |= 3;
		vcpu_sregs_set(vcpu, &sregs);
		vcpu_regs_get(vcpu, &regs);
		regs.rflags |= 3 << 12;		/* IOPL 3 */
		vcpu_regs_set(vcpu, &regs);
	}
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(expect, uc.args[0]);
	vm_free(vm);
}

TEST(hypercall32)
{
	TEST_REQUIRE_KVM();
	check_hypercall32(_metadata, false, (u32)-KVM_ENOSYS);
	check_hypercall32(_metadata, true, (u32)-KVM_EPERM);
}

TEST_HARNESS_MAIN
