// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory given back by the host: madvise(MADV_DONTNEED) on part of a
 * memslot's backing (anonymous private memory, so the pages read as zero
 * afterwards) must reach the guest, between runs and while the guest runs:
 * the guest then reads zeroes, and what the host writes through its
 * mapping afterwards is what the guest sees.  What the guest writes is
 * what the host reads.  (KVM follows the host page tables through MMU
 * notifiers; a stale nested page table entry would show the old page.)
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define DATA_GPA	0x10000000ULL
#define DATA_SIZE	0x200000ULL
#define SPIN0_GPA	GUEST_DATA_GPA
#define SPIN1_GPA	(GUEST_DATA_GPA + 8)

static void guest_mem(void)
{
	u64 *p = (u64 *)DATA_GPA;
	u64 *q = (u64 *)(DATA_GPA + 0x3000);
	u64 *spin0 = (u64 *)SPIN0_GPA;
	u64 *spin1 = (u64 *)SPIN1_GPA;

	/* Between runs. */
	GUEST_SYNC_ARGS(1, READ_ONCE(*p), READ_ONCE(*q), 0);
	GUEST_SYNC_ARGS(2, READ_ONCE(*p), READ_ONCE(*q), 0);
	GUEST_SYNC_ARGS(3, READ_ONCE(*p), READ_ONCE(*q), 0);
	WRITE_ONCE(*p, 0x3333);
	WRITE_ONCE(*q, 0x4444);
	GUEST_SYNC_ARGS(4, 0, 0, 0);
	GUEST_SYNC_ARGS(5, READ_ONCE(*p), READ_ONCE(*q), 0);

	/* While running: spin until the page is gone, then until refilled. */
	WRITE_ONCE(*p, 0x5555);
	while (READ_ONCE(*p))
		WRITE_ONCE(*spin0, *spin0 + 1);
	while (READ_ONCE(*p) != 0x6666)
		WRITE_ONCE(*spin1, *spin1 + 1);
	GUEST_SYNC_ARGS(6, READ_ONCE(*p), READ_ONCE(*q), 0);
	GUEST_DONE();
}

static void *run_to_ucall(void *arg)
{
	struct kvm_vcpu *vcpu = arg;

	vcpu_run(vcpu);
	return NULL;
}

static void wait_for(struct __test_metadata *_metadata,
		     u64 *counter, u64 n)
{
	struct timespec ts = { 0, 1000000 };
	int ms;

	for (ms = 0; ms < 10000 && READ_ONCE(*counter) < n; ms++)
		nanosleep(&ts, NULL);
	ASSERT_LE(n, READ_ONCE(*counter));
}

static void expect_sync(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, u64 n, u64 p,
			u64 q)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(n, uc.args[0]);
	EXPECT_EQ(p, uc.args[1]) TH_LOG("sync %llu", n);
	EXPECT_EQ(q, uc.args[2]) TH_LOG("sync %llu", n);
}

TEST(dontneed)
{
	u64 *hva, *spin0, *spin1;
	long page = host_page_size();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t thread;
	struct ucall uc;
	char *mem;

	TEST_REQUIRE_KVM();
	if (host_if0_guest_spin_hangs())
		SKIP(return, BOCHS_IF0_SKIP);
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_mem), &vcpu);
	mem = vm_add_memslot(vm, 1, DATA_GPA, DATA_SIZE, 0);
	hva = (u64 *)mem;
	spin0 = addr_gpa2hva(vm, SPIN0_GPA);
	spin1 = addr_gpa2hva(vm, SPIN1_GPA);
	hva[0] = 0x1111;
	hva[0x3000 / 8] = 0x2222;

	expect_sync(_metadata, vcpu, 1, 0x1111, 0x2222);
	/* Drop the first page only: the guest sees it zeroed, not the other. */
	ASSERT_EQ(0, madvise(mem, page, MADV_DONTNEED));
	expect_sync(_metadata, vcpu, 2, 0, 0x2222);
	hva[0] = 0xaaaa;
	expect_sync(_metadata, vcpu, 3, 0xaaaa, 0x2222);
	/* The guest writes; the host reads it, then drops both pages. */
	expect_sync(_metadata, vcpu, 4, 0, 0);
	EXPECT_EQ(0x3333U, hva[0]);
	EXPECT_EQ(0x4444U, hva[0x3000 / 8]);
	ASSERT_EQ(0, madvise(mem, DATA_SIZE, MADV_DONTNEED));
	EXPECT_EQ(0U, hva[0]);
	expect_sync(_metadata, vcpu, 5, 0, 0);

	/* Now while the vCPU runs in another thread. */
	ASSERT_EQ(0, pthread_create(&thread, NULL, run_to_ucall, vcpu));
	wait_for(_metadata, spin0, 1000);
	EXPECT_EQ(0x5555U, READ_ONCE(hva[0]));
	ASSERT_EQ(0, madvise(mem, page, MADV_DONTNEED));
	wait_for(_metadata, spin1, 1000);
	WRITE_ONCE(hva[0], 0x6666);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	EXPECT_EQ(6U, uc.args[0]);
	EXPECT_EQ(0x6666U, uc.args[1]);
	EXPECT_EQ(0U, uc.args[2]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

#define MOVE_SLOT	1
#define MOVE_SIZE	(32ULL << 20)
#define MOVE_GPA	BIT_ULL(30)
#define MOVE_PLACES	96		/* 32 MiB steps from 1 GiB to 4 GiB */
#define MOVE_ROUNDS	(2 * MOVE_PLACES)

static u64 move_base;

/* Touch each 2 MiB of the moving slot (one nested page table each). */
static void guest_touch_moving_slot(void)
{
	for (;;) {
		u64 base = READ_ONCE(move_base), off;

		for (off = 0; off < MOVE_SIZE; off += 2ULL << 20)
			WRITE_ONCE(*(u8 *)(base + off), 1);
		GUEST_SYNC(0);
	}
}

/*
 * A slot moved through 96 places, twice, its pages touched at each: the
 * nested page tables built for the old place are freed when it is zapped,
 * not kept until the VM dies (16 table pages per place: 6 MiB kept).
 */
TEST(moved_slot_tables_freed)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	long before, after;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_touch_moving_slot),
				       &vcpu);
	vm_add_memslot(vm, MOVE_SLOT, MOVE_GPA, MOVE_SIZE, 0);
	move_base = MOVE_GPA;
	sync_global_to_guest(vm, move_base);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	before = host_free_pages();
	for (i = 0; i < MOVE_ROUNDS; i++) {
		move_base = MOVE_GPA + ((i + 1) % MOVE_PLACES) * MOVE_SIZE;
		vm_memslot_move(vm, MOVE_SLOT, move_base);
		sync_global_to_guest(vm, move_base);
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	}
	after = host_free_pages();
	EXPECT_LT(before - after, 512L)
		TH_LOG("%ld pages fewer free after %d moves", before - after,
		       MOVE_ROUNDS);
	vm_free(vm);
}

TEST_HARNESS_MAIN
