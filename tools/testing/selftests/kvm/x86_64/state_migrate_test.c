// SPDX-License-Identifier: GPL-2.0
/*
 * A whole vCPU saved and restored into a fresh VM, again and again while
 * its guest computes: the guest's answer must be the one it gets without
 * moving.  The state is everything a VMM migrates (QEMU's order): CPUID,
 * registers, special registers (SREGS2), XSAVE (XSAVE2 size), XCRs, every
 * MSR of KVM_GET_MSR_INDEX_LIST that reads back, debug registers, events,
 * MP state, and guest memory.  The guest keeps state in general-purpose
 * registers, XMM registers, KERNEL_GS_BASE, DR0 and its stack, and checks
 * that its TSC never goes back.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_IA32_TSC		0x10
#define ITERATIONS		40
#define MAX_MSRS		512

/* Each OUT to port 0x80 is a point where the host may move the vCPU. */
static void guest_compute(u64 iterations)
{
	u64 sum = 0x9e3779b97f4a7c15ULL, prev_tsc = 0, i;

	__asm__ __volatile__("pxor %%xmm15, %%xmm15" : : : "xmm15");
	for (i = 0; i < iterations; i++) {
		u64 kgs, dr0, x, tsc;

		sum = sum * 6364136223846793005ULL + i;
		wrmsr(MSR_KERNEL_GS_BASE, sum & 0x7fffffffffffULL);
		__asm__ __volatile__("mov %0, %%dr0" : : "r"(sum >> 3));
		__asm__ __volatile__("movq %0, %%xmm14\n\t"
				     "paddq %%xmm14, %%xmm15"
				     : : "r"(sum) : "xmm14", "xmm15");
		__asm__ __volatile__("out %%al, $0x80" : : "a"(0) : "memory");
		kgs = rdmsr(MSR_KERNEL_GS_BASE);
		__asm__ __volatile__("mov %%dr0, %0" : "=r"(dr0));
		__asm__ __volatile__("movq %%xmm15, %0" : "=r"(x));
		tsc = rdtsc();
		GUEST_ASSERT(tsc > prev_tsc);
		prev_tsc = tsc;
		sum ^= kgs + dr0 + x;
	}
	GUEST_SYNC_ARGS(1, sum, 0, 0);
	GUEST_DONE();
}

struct cpuid2 {
	struct kvm_cpuid2 h;
	struct kvm_cpuid_entry2 e[256];
};

struct msrs {
	struct kvm_msrs h;
	struct kvm_msr_entry e[MAX_MSRS];
};

struct vcpu_state {
	struct cpuid2 cpuid;
	struct kvm_regs regs;
	struct kvm_sregs2 sregs2;
	void *xsave;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dbg;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct msrs msrs;
};

static u32 msr_list[MAX_MSRS];
static u32 nr_msr_list;
static int xsave_size;

static void vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long nr, void *arg,
		       const char *name)
{
	TEST_ASSERT(ioctl(vcpu->fd, nr, arg) >= 0, "%s: %s", name,
		    strerror(errno));
}

#define VCPU_IOCTL(v, nr, arg)	vcpu_ioctl(v, nr, arg, #nr)

static void read_msr_list(void)
{
	struct {
		struct kvm_msr_list h;
		u32 indices[MAX_MSRS];
	} l = { .h.nmsrs = MAX_MSRS };
	int fd = kvm_open();

	TEST_ASSERT(!ioctl(fd, KVM_GET_MSR_INDEX_LIST, &l),
		    "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
	memcpy(msr_list, l.indices, l.h.nmsrs * sizeof(u32));
	nr_msr_list = l.h.nmsrs;
	xsave_size = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	if (xsave_size < (int)sizeof(struct kvm_xsave))
		xsave_size = sizeof(struct kvm_xsave);
	close(fd);
}

/* The MSRs of the list that this vCPU reads back (some need features). */
static void save_msrs(struct kvm_vcpu *vcpu, struct msrs *m)
{
	u32 i;

	m->h.nmsrs = 0;
	for (i = 0; i < nr_msr_list; i++) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e;
		} one = { .h.nmsrs = 1, .e.index = msr_list[i] };

		if (ioctl(vcpu->fd, KVM_GET_MSRS, &one) == 1)
			m->e[m->h.nmsrs++] = one.e;
	}
}

static void save_state(struct kvm_vcpu *vcpu, struct vcpu_state *s)
{
	s->cpuid.h.nent = 256;
	VCPU_IOCTL(vcpu, KVM_GET_CPUID2, &s->cpuid);
	VCPU_IOCTL(vcpu, KVM_GET_REGS, &s->regs);
	VCPU_IOCTL(vcpu, KVM_GET_SREGS2, &s->sregs2);
	VCPU_IOCTL(vcpu, KVM_GET_XSAVE2, s->xsave);
	VCPU_IOCTL(vcpu, KVM_GET_XCRS, &s->xcrs);
	VCPU_IOCTL(vcpu, KVM_GET_DEBUGREGS, &s->dbg);
	VCPU_IOCTL(vcpu, KVM_GET_VCPU_EVENTS, &s->events);
	VCPU_IOCTL(vcpu, KVM_GET_MP_STATE, &s->mp);
	save_msrs(vcpu, &s->msrs);
}

/*
 * MSRs one at a time: one the fresh vCPU refuses is fine only if it
 * already has the saved value (stock KVM lists PV MSRs whose reset value
 * it then refuses to take back).
 */
static void restore_msrs(struct __test_metadata *_metadata,
			 struct kvm_vcpu *vcpu, struct msrs *m)
{
	u32 i;

	for (i = 0; i < m->h.nmsrs; i++) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e;
		} one = { .h.nmsrs = 1, .e = m->e[i] };

		if (ioctl(vcpu->fd, KVM_SET_MSRS, &one) == 1)
			continue;
		one.e.data = ~m->e[i].data;
		EXPECT_EQ(1, ioctl(vcpu->fd, KVM_GET_MSRS, &one));
		EXPECT_EQ(m->e[i].data, one.e.data)
			TH_LOG("MSR %#x refused", m->e[i].index);
	}
}

static void restore_state(struct __test_metadata *_metadata,
			  struct kvm_vcpu *vcpu, struct vcpu_state *s)
{
	VCPU_IOCTL(vcpu, KVM_SET_CPUID2, &s->cpuid);
	VCPU_IOCTL(vcpu, KVM_SET_SREGS2, &s->sregs2);
	restore_msrs(_metadata, vcpu, &s->msrs);
	/*
	 * A host kernel without XSAVE (Linux 6.1 in Bochs) reports no XCRs
	 * and KVM_SET_XCRS is -EINVAL there (x86.c, kvm_vcpu_ioctl_x86_*_xcrs).
	 */
	if (s->xcrs.nr_xcrs)
		VCPU_IOCTL(vcpu, KVM_SET_XCRS, &s->xcrs);
	else
		EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_SET_XCRS, &s->xcrs));
	VCPU_IOCTL(vcpu, KVM_SET_XSAVE, s->xsave);
	VCPU_IOCTL(vcpu, KVM_SET_REGS, &s->regs);
	VCPU_IOCTL(vcpu, KVM_SET_DEBUGREGS, &s->dbg);
	s->events.flags &= KVM_VCPUEVENT_VALID_NMI_PENDING |
			   KVM_VCPUEVENT_VALID_SHADOW;
	VCPU_IOCTL(vcpu, KVM_SET_VCPU_EVENTS, &s->events);
	VCPU_IOCTL(vcpu, KVM_SET_MP_STATE, &s->mp);
}

/*
 * api.rst (KVM_RUN, immediate_exit): before its state is saved, a vCPU
 * must finish the I/O its last exit left open (here the OUT, whose RIP
 * moves on only then): KVM_RUN with immediate_exit does that and returns
 * -EINTR without entering the guest.
 */
static void complete_pending_io(struct kvm_vcpu *vcpu)
{
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT(__vcpu_run(vcpu) == -EINTR, "immediate_exit KVM_RUN");
	vcpu->run->immediate_exit = 0;
}

/* Guest memory: every memslot of @from into the same slot of @to. */
static void copy_memory(struct kvm_vm *to, struct kvm_vm *from)
{
	int i;

	for (i = 0; i < from->nr_memslots; i++) {
		struct vm_memslot *f = &from->memslots[i];
		struct vm_memslot *t = vm_memslot_find(to, f->slot);

		TEST_ASSERT(t && t->size == f->size && t->gpa == f->gpa,
			    "memslot %u differs", f->slot);
		memcpy(t->hva, f->hva, f->size);
	}
}

static void set_supported_cpuid(struct kvm_vcpu *vcpu)
{
	struct cpuid2 *c = calloc(1, sizeof(*c));
	int fd = kvm_open();

	TEST_ASSERT(c, "calloc");
	c->h.nent = 256;
	TEST_ASSERT(!ioctl(fd, KVM_GET_SUPPORTED_CPUID, c), "SUPPORTED_CPUID");
	close(fd);
	VCPU_IOCTL(vcpu, KVM_SET_CPUID2, c);
	free(c);
}

/*
 * The guest's TSC starts far from 0: KVM (and Kestrel) take a TSC write
 * by userspace within a second of what the VM's last write implies as
 * "the same TSC" and keep the VM's offset (api.rst is silent; KVM's
 * kvm_synchronize_tsc()), which in a fresh VM would put a young guest's
 * saved TSC back to near 0.  A real VMM migrates guests that ran longer.
 */
static struct kvm_vm *new_vm(struct kvm_vcpu **vcpu, bool first)
{
	struct kvm_vm *vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
						      GUEST_ENTRY(guest_compute),
						      vcpu);
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} tsc = { .h.nmsrs = 1, .e.index = MSR_IA32_TSC, .e.data = 1ULL << 40 };

	vcpu_args_set(*vcpu, 1, (u64)ITERATIONS);
	set_supported_cpuid(*vcpu);
	/* (Not in the target of a move: there it would be the last write.) */
	if (first)
		VCPU_IOCTL(*vcpu, KVM_SET_MSRS, &tsc);
	return vm;
}

/*
 * Run the guest to its answer; with @migrate, move it into a fresh VM at
 * every exit.  Returns the guest's sum.
 */
static u64 run_guest(struct __test_metadata *_metadata, bool migrate)
{
	struct vcpu_state *s = calloc(1, sizeof(*s));
	struct kvm_vcpu *vcpu, *vcpu2;
	struct kvm_vm *vm, *vm2;
	struct ucall uc;
	int exits = 0, cmd;
	u64 sum;

	TEST_ASSERT(s, "calloc");
	s->xsave = calloc(1, xsave_size);
	TEST_ASSERT(s->xsave, "calloc");
	vm = new_vm(&vcpu, true);
	for (;;) {
		TEST_ASSERT(!__vcpu_run(vcpu), "KVM_RUN: %s", strerror(errno));
		cmd = get_ucall(vcpu, &uc);
		if (cmd != UCALL_NONE)
			break;
		TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_IO &&
			    vcpu->run->io.port == 0x80, "exit %s",
			    exit_reason_str(vcpu->run->exit_reason));
		exits++;
		if (!migrate)
			continue;
		complete_pending_io(vcpu);
		save_state(vcpu, s);
		vm2 = new_vm(&vcpu2, false);
		copy_memory(vm2, vm);
		restore_state(_metadata, vcpu2, s);
		vm_free(vm);
		vm = vm2;
		vcpu = vcpu2;
	}
	EXPECT_EQ(UCALL_SYNC, cmd) TH_LOG("after %d exits", exits);
	EXPECT_EQ(ITERATIONS, exits);
	sum = uc.args[1];
	vm_free(vm);
	free(s->xsave);
	free(s);
	return sum;
}

TEST(save_restore_into_fresh_vm)
{
	u64 reference, moved;

	TEST_REQUIRE_KVM();
	read_msr_list();
	reference = run_guest(_metadata, false);
	moved = run_guest(_metadata, true);
	EXPECT_EQ(reference, moved);
	EXPECT_NE(0ULL, reference);
}

TEST_HARNESS_MAIN
