// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_USER_MEMORY_REGION (api.rst 4.35): the rules a memslot must
 * follow and their errnos, as stock KVM enforces them, and what a guest
 * sees when slots are moved, deleted, read-only or backed by an address
 * that is not mapped.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define SLOT_GPA	0x10000000ULL	/* 256 MiB: inside the guest's map */
#define SLOT_SIZE	0x200000ULL

static void *anon(u64 size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap");
	return p;
}

/* The raw ioctl: 0 or -errno. */
#define SET_REGION(vm, slot, flags, gpa, size, hva)			\
	__vm_set_user_memory_region(vm, slot, flags, gpa, size, hva)

TEST(alignment)
{
	u64 page = host_page_size();
	struct kvm_vm *vm;
	char *mem;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	mem = anon(4 * page);

	/* guest_phys_addr, memory_size and userspace_addr page aligned. */
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, page / 2, page, mem));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, 0, page + page / 2, mem));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, 0, 1, mem));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, 0, page, mem + 16));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, 0, page, mem + page / 2));
	/* Size 0 deletes: there is nothing to delete in slot 0 yet. */
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, 0, 0, mem));
	/* gpa + size wrapping around. */
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, -page, 2 * page, mem));
	/* Past any MAXPHYADDR (52 bits at most). */
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, 1ULL << 52, page, mem));
	/* And the aligned version of each works. */
	EXPECT_EQ(0, SET_REGION(vm, 0, 0, page, 2 * page, mem + page));
	EXPECT_EQ(0, SET_REGION(vm, 0, 0, page, 0, mem + page));
	vm_free(vm);
	munmap(mem, 4 * page);
}

TEST(flags)
{
	u64 page = host_page_size();
	struct kvm_vm *vm;
	char *mem;
	int bit, slot = 0;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	mem = anon(4 * page);

	/* Every flag KVM does not know: -EINVAL. */
	for (bit = 2; bit < 32; bit++)
		EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 1U << bit, 0, page, mem))
			TH_LOG("flags bit %d", bit);
	EXPECT_EQ(0, SET_REGION(vm, slot++, KVM_MEM_LOG_DIRTY_PAGES, 0, page,
				mem));
	if (kvm_check_cap(KVM_CAP_READONLY_MEM)) {
		EXPECT_EQ(0, SET_REGION(vm, slot++, KVM_MEM_READONLY, page,
					page, mem + page));
		EXPECT_EQ(0, SET_REGION(vm, slot++,
					KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES,
					2 * page, page, mem + 2 * page));
	} else {
		EXPECT_EQ(-EINVAL, SET_REGION(vm, slot, KVM_MEM_READONLY,
					      page, page, mem + page));
	}
	vm_free(vm);
	munmap(mem, 4 * page);
}

TEST(overlap)
{
	u64 page = host_page_size();
	struct kvm_vm *vm;
	char *mem;
	u64 base = 0x100000;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	mem = anon(16 * page);

	ASSERT_EQ(0, SET_REGION(vm, 0, 0, base, 4 * page, mem));
	/* Same range, inside, around, across either end: -EEXIST. */
	EXPECT_EQ(-EEXIST, SET_REGION(vm, 1, 0, base, 4 * page, mem + 4 * page));
	EXPECT_EQ(-EEXIST, SET_REGION(vm, 1, 0, base + page, page, mem + 4 * page));
	EXPECT_EQ(-EEXIST, SET_REGION(vm, 1, 0, base - page, 6 * page, mem + 4 * page));
	EXPECT_EQ(-EEXIST, SET_REGION(vm, 1, 0, base - page, 2 * page, mem + 4 * page));
	EXPECT_EQ(-EEXIST, SET_REGION(vm, 1, 0, base + 3 * page, 2 * page, mem + 4 * page));
	/* Sharing the host memory is fine; only guest ranges must not overlap. */
	EXPECT_EQ(0, SET_REGION(vm, 1, 0, base + 4 * page, page, mem));
	EXPECT_EQ(0, SET_REGION(vm, 2, 0, base - page, page, mem + 8 * page));
	/* Moving a slot onto another: -EEXIST; next to it: fine. */
	EXPECT_EQ(-EEXIST, SET_REGION(vm, 2, 0, base + page, page, mem + 8 * page));
	EXPECT_EQ(0, SET_REGION(vm, 2, 0, base + 5 * page, page, mem + 8 * page));
	/* Deleting slot 0 frees its range. */
	EXPECT_EQ(0, SET_REGION(vm, 0, 0, base, 0, mem));
	EXPECT_EQ(0, SET_REGION(vm, 3, 0, base, 4 * page, mem + 12 * page));
	vm_free(vm);
	munmap(mem, 16 * page);
}

TEST(slot_ids)
{
	u64 page = host_page_size();
	struct kvm_vm *vm;
	char *mem;
	int nr, as_num;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	mem = anon(4 * page);
	nr = kvm_check_cap(KVM_CAP_NR_MEMSLOTS);
	as_num = kvm_check_cap(KVM_CAP_MULTI_ADDRESS_SPACE);

	/* api.rst: slots 0 .. KVM_CAP_NR_MEMSLOTS - 1 (at least 32 on x86). */
	ASSERT_LE(32, nr);
	EXPECT_EQ(nr, vm_check_cap(vm, KVM_CAP_NR_MEMSLOTS));
	EXPECT_EQ(0, SET_REGION(vm, 0, 0, 0, page, mem));
	EXPECT_EQ(0, SET_REGION(vm, nr - 1, 0, page, page, mem + page));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, nr, 0, 2 * page, page, mem + 2 * page));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0xffff, 0, 2 * page, page, mem + 2 * page));
	/* Bits 16-31 of slot: the address space, below MULTI_ADDRESS_SPACE. */
	if (as_num < 1)
		as_num = 1;
	EXPECT_EQ(-EINVAL, SET_REGION(vm, (u32)as_num << 16, 0, 2 * page,
				      page, mem + 2 * page));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0xffffu << 16, 0, 2 * page, page,
				      mem + 2 * page));
	if (as_num > 1)
		EXPECT_EQ(0, SET_REGION(vm, 1U << 16, 0, 0, page, mem + 2 * page));
	/* Deleting a slot that was never created. */
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 5, 0, 0, 0, mem));
	vm_free(vm);
	munmap(mem, 4 * page);
}

TEST(modify_existing)
{
	u64 page = host_page_size();
	struct kvm_vm *vm;
	char *mem;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	mem = anon(8 * page);

	ASSERT_EQ(0, SET_REGION(vm, 0, 0, 0, 2 * page, mem));
	/* The same again changes nothing and succeeds. */
	EXPECT_EQ(0, SET_REGION(vm, 0, 0, 0, 2 * page, mem));
	/* Size or host address of a live slot cannot change. */
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, 0, 4 * page, mem));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, 0, page, mem));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, 0, 0, 2 * page, mem + 2 * page));
	/* Dirty logging toggles; read-only does not. */
	EXPECT_EQ(0, SET_REGION(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 2 * page, mem));
	EXPECT_EQ(0, SET_REGION(vm, 0, 0, 0, 2 * page, mem));
	if (kvm_check_cap(KVM_CAP_READONLY_MEM)) {
		EXPECT_EQ(-EINVAL, SET_REGION(vm, 0, KVM_MEM_READONLY, 0,
					      2 * page, mem));
		ASSERT_EQ(0, SET_REGION(vm, 1, KVM_MEM_READONLY, 4 * page,
					page, mem + 4 * page));
		EXPECT_EQ(-EINVAL, SET_REGION(vm, 1, 0, 4 * page, page,
					      mem + 4 * page));
		/* Moving keeps the flag: allowed with it. */
		EXPECT_EQ(0, SET_REGION(vm, 1, KVM_MEM_READONLY, 5 * page,
					page, mem + 4 * page));
	}
	/* Moving (same size and host address, new gpa) is allowed. */
	EXPECT_EQ(0, SET_REGION(vm, 0, 0, 16 * page, 2 * page, mem));
	vm_free(vm);
	munmap(mem, 8 * page);
}

/* Reads the u64 at read_gpa and reports it, forever. */
static u64 read_gpa;

static void guest_reader(void)
{
	for (;;)
		GUEST_SYNC(READ_ONCE(*(u64 *)read_gpa));
}

/* Run until the guest's next GUEST_SYNC; answer one MMIO read with @mmio. */
static u64 guest_read(struct __test_metadata *_metadata,
		      struct kvm_vcpu *vcpu, u64 gpa, bool *was_mmio)
{
	struct kvm_run *run = vcpu->run;
	const u64 mmio = 0x3131313131313131ULL;
	struct ucall uc;

	read_gpa = gpa;
	sync_global_to_guest(vcpu->vm, read_gpa);
	*was_mmio = false;
	vcpu_run(vcpu);
	if (run->exit_reason == KVM_EXIT_MMIO) {
		*was_mmio = true;
		EXPECT_EQ(gpa, run->mmio.phys_addr);
		EXPECT_EQ(8U, run->mmio.len);
		EXPECT_FALSE(run->mmio.is_write);
		memcpy(run->mmio.data, &mmio, 8);
		vcpu_run(vcpu);
	}
	EXPECT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	return uc.args[0];
}

TEST(move_and_delete)
{
	u64 *hva, v;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool mmio;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_reader), &vcpu);
	hva = vm_add_memslot(vm, 1, SLOT_GPA, SLOT_SIZE, 0);
	hva[1] = 0xabcdef0123456789ULL;

	v = guest_read(_metadata, vcpu, SLOT_GPA + 8, &mmio);
	EXPECT_FALSE(mmio);
	EXPECT_EQ(0xabcdef0123456789ULL, v);

	/* Move it 2 MiB up: the old place is MMIO, the new one has the data. */
	vm_memslot_move(vm, 1, SLOT_GPA + SLOT_SIZE);
	v = guest_read(_metadata, vcpu, SLOT_GPA + 8, &mmio);
	EXPECT_TRUE(mmio);
	v = guest_read(_metadata, vcpu, SLOT_GPA + SLOT_SIZE + 8, &mmio);
	EXPECT_FALSE(mmio);
	EXPECT_EQ(0xabcdef0123456789ULL, v);

	/* Moving onto memslot 0: -EEXIST, and the slot stays where it was. */
	EXPECT_EQ(-EEXIST, SET_REGION(vm, 1, 0, 0, SLOT_SIZE, hva));
	v = guest_read(_metadata, vcpu, SLOT_GPA + SLOT_SIZE + 8, &mmio);
	EXPECT_FALSE(mmio);

	/* Deleted: MMIO. */
	vm_memslot_delete(vm, 1);
	v = guest_read(_metadata, vcpu, SLOT_GPA + SLOT_SIZE + 8, &mmio);
	EXPECT_TRUE(mmio);
	EXPECT_EQ(0x3131313131313131ULL, v);

	/* And a new slot can take the place. */
	hva = vm_add_memslot(vm, 1, SLOT_GPA + SLOT_SIZE, SLOT_SIZE, 0);
	hva[1] = 42;
	v = guest_read(_metadata, vcpu, SLOT_GPA + SLOT_SIZE + 8, &mmio);
	EXPECT_FALSE(mmio);
	EXPECT_EQ(42U, v);
	vm_free(vm);
}

/*
 * Host addresses: a kernel address is refused at once (-EINVAL, the
 * access_ok() check); a user address that is not mapped is accepted, and
 * the guest's access to it makes KVM_RUN fail with -EFAULT.
 */
TEST(bad_userspace_address)
{
	u64 page = host_page_size();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	char *hole;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_reader), &vcpu);
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 1, 0, SLOT_GPA, page,
				      (void *)0xffffffff81000000ULL));
	EXPECT_EQ(-EINVAL, SET_REGION(vm, 1, 0, SLOT_GPA, page,
				      (void *)0xffff888000000000ULL));

	hole = anon(SLOT_SIZE);
	munmap(hole, SLOT_SIZE);
	ASSERT_EQ(0, SET_REGION(vm, 1, 0, SLOT_GPA, SLOT_SIZE, hole));
	read_gpa = SLOT_GPA;
	sync_global_to_guest(vm, read_gpa);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-EFAULT, __vcpu_run(vcpu))
			TH_LOG("exit_reason %s",
			       exit_reason_str(vcpu->run->exit_reason));
	}

	/* Mapped PROT_NONE: the same. */
	ASSERT_EQ(0, SET_REGION(vm, 1, 0, SLOT_GPA, 0, hole));
	hole = mmap(NULL, SLOT_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, SET_REGION(vm, 1, 0, SLOT_GPA, SLOT_SIZE, hole));
	EXPECT_EQ(-EFAULT, __vcpu_run(vcpu));

	/* Give it memory and the same guest access works. */
	ASSERT_EQ(0, mprotect(hole, SLOT_SIZE, PROT_READ | PROT_WRITE));
	((u64 *)hole)[0] = 77;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(77U, uc.args[0]);
	ASSERT_EQ(0, SET_REGION(vm, 1, 0, SLOT_GPA, 0, hole));
	munmap(hole, SLOT_SIZE);
	vm_free(vm);
}

/* Many slots at once, each seen by the guest at its own place. */
TEST(many_slots)
{
	u64 page = host_page_size();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 *hva[8], v;
	bool mmio;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_reader), &vcpu);
	for (i = 0; i < 8; i++) {
		hva[i] = vm_add_memslot(vm, 10 + i, SLOT_GPA + i * page, page,
					i & 1 ? KVM_MEM_LOG_DIRTY_PAGES : 0);
		*hva[i] = 1000 + i;
	}
	for (i = 7; i >= 0; i--) {
		v = guest_read(_metadata, vcpu, SLOT_GPA + i * page, &mmio);
		EXPECT_FALSE(mmio);
		EXPECT_EQ(1000U + i, v);
	}
	vm_free(vm);
}

TEST_HARNESS_MAIN
