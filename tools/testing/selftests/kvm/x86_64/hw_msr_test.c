// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs that act on the real CPU.  IA32_TSC_AUX as RDTSCP and RDPID
 * see it: the guest's own value (from WRMSR or KVM_SET_MSRS) inside the
 * guest, never another guest's, and the host's own value (the CPU number
 * the vDSO's getcpu relies on) back in the VMM after KVM_RUN (SDM vol. 2B
 * RDTSCP/RDPID).  IA32_PRED_CMD: IBPB from a guest whose CPUID offers it,
 * #GP for other commands, never readable (SDM vol. 4, table 2-2).
 */
#include <cpuid.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define MSR_TSC_AUX		0xc0000103
#define MSR_IA32_PRED_CMD	0x49
#define EXT8_EBX_AMD_IBPB	BIT(12)
#define VEC_GP			13U
#define EXT1_EDX_RDTSCP		BIT(27)
#define LEAF7_ECX_RDPID		BIT(22)

struct cpuid2 {
	struct kvm_cpuid2 h;
	struct kvm_cpuid_entry2 e[256];
};

/*
 * The guest gets everything Kestrel/KVM supports, RDTSCP included; says
 * whether RDTSCP and RDPID (and IBPB, if @ibpb) are among it.
 */
static bool __set_supported_cpuid(struct kvm_vcpu *vcpu, bool *rdpid,
				  bool *ibpb)
{
	struct cpuid2 *c = calloc(1, sizeof(*c));
	bool rdtscp = false;
	int fd = kvm_open();
	u32 i;

	TEST_ASSERT(c, "calloc");
	c->h.nent = 256;
	TEST_ASSERT(!ioctl(fd, KVM_GET_SUPPORTED_CPUID, c), "SUPPORTED_CPUID");
	close(fd);
	*rdpid = false;
	for (i = 0; i < c->h.nent; i++) {
		if (c->e[i].function == 0x80000001)
			rdtscp = c->e[i].edx & EXT1_EDX_RDTSCP;
		if (c->e[i].function == 7 && c->e[i].index == 0)
			*rdpid = c->e[i].ecx & LEAF7_ECX_RDPID;
		if (c->e[i].function == 0x80000008 && ibpb)
			*ibpb = c->e[i].ebx & EXT8_EBX_AMD_IBPB;
	}
	TEST_ASSERT(!ioctl(vcpu->fd, KVM_SET_CPUID2, c), "SET_CPUID2");
	free(c);
	return rdtscp;
}

static bool set_supported_cpuid(struct kvm_vcpu *vcpu, bool *rdpid)
{
	return __set_supported_cpuid(vcpu, rdpid, NULL);
}

static u64 guest_rdtscp_aux(void)
{
	u32 lo, hi, aux;

	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

static u64 guest_rdpid(void)
{
	u64 v;

	/* RDPID r64: F3 0F C7 /7 (mod 11). */
	__asm__ __volatile__(".byte 0xf3, 0x0f, 0xc7, 0xf8" : "=a"(v));
	return v;
}

/* Report RDTSCP's (and RDPID's) view, set a new value, report again. */
static void guest_code(u64 new_aux, u64 use_rdpid)
{
	for (;;) {
		GUEST_SYNC_ARGS(1, guest_rdtscp_aux(),
				use_rdpid ? guest_rdpid() : 0, 0);
		__asm__ __volatile__("wrmsr" : : "c"(MSR_TSC_AUX),
				     "a"((u32)new_aux), "d"(0));
		GUEST_SYNC_ARGS(2, guest_rdtscp_aux(),
				use_rdpid ? guest_rdpid() : 0, 0);
	}
}

static void set_tsc_aux(struct kvm_vcpu *vcpu, u64 v)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = MSR_TSC_AUX, .e.data = v };

	TEST_ASSERT(ioctl(vcpu->fd, KVM_SET_MSRS, &m) == 1, "KVM_SET_MSRS");
}

static u64 get_tsc_aux(struct kvm_vcpu *vcpu)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = MSR_TSC_AUX };

	TEST_ASSERT(ioctl(vcpu->fd, KVM_GET_MSRS, &m) == 1, "KVM_GET_MSRS");
	return m.e.data;
}

/* The VMM's own RDTSCP, right after KVM_RUN, on the CPU it is pinned to. */
static u32 host_rdtscp_aux(void)
{
	u32 lo, hi, aux;

	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

static void expect_sync(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, u64 step, u64 aux, bool rdpid)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(step, uc.args[0]);
	EXPECT_EQ(aux, uc.args[1]) TH_LOG("RDTSCP at step %llu", step);
	if (rdpid)
		EXPECT_EQ(aux, uc.args[2]) TH_LOG("RDPID at step %llu", step);
}

/*
 * Two VMs on one pinned CPU, each with its own TSC_AUX, taking turns: each
 * guest reads its own value, the VMM reads the host's after every run.
 */
TEST(tsc_aux_per_guest_and_host)
{
	struct kvm_vcpu *v[2];
	struct kvm_vm *vm[2];
	cpu_set_t cpus;
	bool rdpid[2];
	u32 host_aux;
	int i, round;

	TEST_REQUIRE_KVM();
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	host_aux = host_rdtscp_aux();

	for (i = 0; i < 2; i++) {
		vm[i] = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
						  GUEST_ENTRY(guest_code), &v[i]);
		if (!set_supported_cpuid(v[i], &rdpid[i])) {
			vm_free(vm[i]);
			if (i)
				vm_free(vm[0]);
			SKIP(return, "no RDTSCP");
		}
		vcpu_args_set(v[i], 2, 0x2000ULL + i, (u64)rdpid[i]);
		set_tsc_aux(v[i], 0x1000 + i);
	}
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 2; i++) {
			u64 first = round ? 0x2000 + i : 0x1000 + i;

			expect_sync(_metadata, v[i], 1, first, rdpid[i]);
			EXPECT_EQ(host_aux, host_rdtscp_aux());
			expect_sync(_metadata, v[i], 2, 0x2000 + i, rdpid[i]);
			EXPECT_EQ(host_aux, host_rdtscp_aux());
			EXPECT_EQ(0x2000ULL + i, get_tsc_aux(v[i]));
		}
	}
	for (i = 0; i < 2; i++)
		vm_free(vm[i]);
}

static void guest_pred_cmd(void)
{
	__asm__ __volatile__("wrmsr" : : "c"(MSR_IA32_PRED_CMD), "a"(1), "d"(0));
	GUEST_SYNC(1);
	__asm__ __volatile__("wrmsr" : : "c"(MSR_IA32_PRED_CMD), "a"(2), "d"(0));
	GUEST_DONE();
}

TEST(pred_cmd)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = MSR_IA32_PRED_CMD };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	bool rdpid, ibpb;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_pred_cmd), &vcpu);
	__set_supported_cpuid(vcpu, &rdpid, &ibpb);
	if (!ibpb) {
		vm_free(vm);
		SKIP(return, "no IBPB");
	}
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_GET_MSRS, &m));
	m.e.data = 1;
	EXPECT_EQ(1, ioctl(vcpu->fd, KVM_SET_MSRS, &m));
	m.e.data = 2;
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_SET_MSRS, &m));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(UCALL_UNHANDLED, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(VEC_GP, uc.args[0]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
