// SPDX-License-Identifier: GPL-2.0
/*
 * Several VMs with several vCPUs each, all running at once, each vCPU in
 * its own thread: every vCPU counts in its VM's memory (a private counter
 * and a counter shared with LOCK ADD) and reports progress with ucalls.
 * Nothing may leak between VMs, no increment may be lost, every ucall must
 * reach the thread of its own vCPU.
 */
#include <pthread.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define NR_VMS		4
#define NR_VCPUS	4
#define ITERATIONS	400000ULL
#define REPORTS		8
#define SHARED_GPA	GUEST_DATA_GPA
#define PRIVATE_GPA(id)	(GUEST_DATA_GPA + 0x40 + 8 * (id))
#define TAG_GPA(id)	(GUEST_DATA_GPA + 0x80 + 8 * (id))

static void guest_count(u64 tag, u64 id, u64 iterations)
{
	u64 *mine = (u64 *)PRIVATE_GPA(id);
	u64 *shared = (u64 *)SHARED_GPA;
	u64 i;

	for (i = 1; i <= iterations; i++) {
		__atomic_fetch_add(shared, 1, __ATOMIC_SEQ_CST);
		WRITE_ONCE(*mine, i);
		if (i % (iterations / REPORTS) == 0)
			GUEST_SYNC_ARGS(i, tag, id, 0);
	}
	WRITE_ONCE(*(u64 *)TAG_GPA(id), tag);
	GUEST_DONE();
}

struct vcpu_thread {
	struct kvm_vcpu *vcpu;
	u64 tag;
	pthread_t thread;
	/* Results, checked by the main thread. */
	int syncs;
	int done;
	int bad;	/* a ucall with wrong contents, or no ucall */
};

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct ucall uc;

	for (;;) {
		int cmd = vcpu_run_ucall(t->vcpu, &uc);

		if (cmd == UCALL_SYNC) {
			t->syncs++;
			if (uc.args[0] != t->syncs * (ITERATIONS / REPORTS) ||
			    uc.args[1] != t->tag || uc.args[2] != t->vcpu->id)
				t->bad++;
			continue;
		}
		if (cmd == UCALL_DONE)
			t->done = 1;
		else
			t->bad++;
		return NULL;
	}
}

FIXTURE(many) {
	struct kvm_vm *vm[NR_VMS];
	struct vcpu_thread t[NR_VMS][NR_VCPUS];
};

FIXTURE_SETUP(many)
{
	int v, c;

	TEST_REQUIRE_KVM();
	for (v = 0; v < NR_VMS; v++) {
		self->vm[v] = vm_create_guest(GUEST_MODE_LONG64);
		for (c = 0; c < NR_VCPUS; c++) {
			struct vcpu_thread *t = &self->t[v][c];

			t->vcpu = vm_vcpu_add_guest(self->vm[v], c,
						    GUEST_ENTRY(guest_count));
			t->tag = 0x7a60000ULL + 0x100 * v + c;
			vcpu_args_set(t->vcpu, 3, t->tag, (u64)c,
				      ITERATIONS);
		}
	}
}

FIXTURE_TEARDOWN(many)
{
	int v;

	for (v = 0; v < NR_VMS; v++)
		vm_free(self->vm[v]);
}

TEST_F_TIMEOUT(many, vms_and_vcpus_in_threads, 300)
{
	int v, c;

	for (v = 0; v < NR_VMS; v++)
		for (c = 0; c < NR_VCPUS; c++)
			ASSERT_EQ(0, pthread_create(&self->t[v][c].thread, NULL,
						    vcpu_thread_fn,
						    &self->t[v][c]));
	for (v = 0; v < NR_VMS; v++)
		for (c = 0; c < NR_VCPUS; c++)
			ASSERT_EQ(0, pthread_join(self->t[v][c].thread, NULL));

	for (v = 0; v < NR_VMS; v++) {
		struct kvm_vm *vm = self->vm[v];

		EXPECT_EQ(NR_VCPUS * ITERATIONS,
			  *(u64 *)addr_gpa2hva(vm, SHARED_GPA))
			TH_LOG("VM %d", v);
		for (c = 0; c < NR_VCPUS; c++) {
			struct vcpu_thread *t = &self->t[v][c];

			EXPECT_EQ(REPORTS, t->syncs) TH_LOG("VM %d vCPU %d", v, c);
			EXPECT_EQ(1, t->done) TH_LOG("VM %d vCPU %d", v, c);
			EXPECT_EQ(0, t->bad) TH_LOG("VM %d vCPU %d", v, c);
			EXPECT_EQ(ITERATIONS,
				  *(u64 *)addr_gpa2hva(vm, PRIVATE_GPA(c)));
			EXPECT_EQ(t->tag,
				  *(u64 *)addr_gpa2hva(vm, TAG_GPA(c)));
		}
	}
}

TEST_HARNESS_MAIN
