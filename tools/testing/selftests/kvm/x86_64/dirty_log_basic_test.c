// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page logging (api.rst 4.8 KVM_GET_DIRTY_LOG, 4.35
 * KVM_MEM_LOG_DIRTY_PAGES): exactly the pages the guest wrote since the
 * last call, none that it only read; each call starts a new round;
 * logging turned on for a slot whose pages are already mapped; the slot
 * keeps logging when it moves; errno.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define SLOT		1
#define SLOT_GPA	0x10000000ULL
#define SLOT_PAGES	80		/* more than one bitmap word */
#define PAGE		4096ULL

static u64 to_write[8];
static u64 to_read;

/* Write the pages of to_write[] (0-terminated, page numbers + 1). */
static void guest_code(void)
{
	int i;

	for (;;) {
		for (i = 0; i < 8 && READ_ONCE(to_write[i]); i++)
			WRITE_ONCE(*(u64 *)(SLOT_GPA + (to_write[i] - 1) * PAGE),
				   i + 1);
		if (READ_ONCE(to_read))
			(void)READ_ONCE(*(u64 *)(SLOT_GPA +
						 (to_read - 1) * PAGE));
		GUEST_SYNC(0);
	}
}

static int get_log(struct kvm_vm *vm, u32 slot, u64 *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	memset(bitmap, 0xa5, 16);
	return ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log) ? -errno : 0;
}

/* Have the guest write @pages (page numbers, -1 ends) and read @read. */
static void guest_round(struct __test_metadata *_metadata, struct kvm_vm *vm,
			struct kvm_vcpu *vcpu, const int *pages, int read)
{
	struct ucall uc;
	int i;

	memset(to_write, 0, sizeof(to_write));
	for (i = 0; pages[i] >= 0; i++)
		to_write[i] = pages[i] + 1;
	to_read = read + 1;
	sync_global_to_guest(vm, to_write);
	sync_global_to_guest(vm, to_read);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
}

static void expect_bits(struct __test_metadata *_metadata, const u64 *bitmap,
			const int *pages)
{
	u64 want[2] = { 0, 0 };
	int i;

	for (i = 0; pages[i] >= 0; i++)
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);
	EXPECT_EQ(want[0], bitmap[0]);
	/* Bits beyond the slot's 80 pages are 0. */
	EXPECT_EQ(want[1], bitmap[1]);
}

TEST(rounds)
{
	static const int w1[] = { 1, 3, 64, 79, -1 }, w2[] = { 3, -1 };
	static const int none[] = { -1 };
	u64 bitmap[2];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_code), &vcpu);
	vm_add_memslot(vm, SLOT, SLOT_GPA, SLOT_PAGES * PAGE,
		       KVM_MEM_LOG_DIRTY_PAGES);
	ASSERT_EQ(0, get_log(vm, SLOT, bitmap));
	expect_bits(_metadata, bitmap, none);

	guest_round(_metadata, vm, vcpu, w1, 5);
	ASSERT_EQ(0, get_log(vm, SLOT, bitmap));
	expect_bits(_metadata, bitmap, w1);
	ASSERT_EQ(0, get_log(vm, SLOT, bitmap));
	expect_bits(_metadata, bitmap, none);

	/* Pages mapped writable last round fault again and are seen. */
	guest_round(_metadata, vm, vcpu, w2, 1);
	ASSERT_EQ(0, get_log(vm, SLOT, bitmap));
	expect_bits(_metadata, bitmap, w2);

	/* The slot moves: logging goes with it. */
	vm_memslot_move(vm, SLOT, SLOT_GPA + 0x1000000);
	vm_memslot_move(vm, SLOT, SLOT_GPA);
	guest_round(_metadata, vm, vcpu, w2, -1);
	ASSERT_EQ(0, get_log(vm, SLOT, bitmap));
	expect_bits(_metadata, bitmap, w2);
	vm_free(vm);
}

/* Logging turned on for a slot whose pages are mapped writable already. */
TEST(enable_on_mapped_slot)
{
	static const int w[] = { 2, 70, -1 };
	struct vm_memslot *s;
	u64 bitmap[2];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_code), &vcpu);
	vm_add_memslot(vm, SLOT, SLOT_GPA, SLOT_PAGES * PAGE, 0);
	guest_round(_metadata, vm, vcpu, w, -1);
	EXPECT_EQ(-ENOENT, get_log(vm, SLOT, bitmap));

	s = vm_memslot_find(vm, SLOT);
	vm_set_user_memory_region(vm, SLOT, KVM_MEM_LOG_DIRTY_PAGES, s->gpa,
				  s->size, s->hva);
	ASSERT_EQ(0, get_log(vm, SLOT, bitmap));
	guest_round(_metadata, vm, vcpu, w, -1);
	ASSERT_EQ(0, get_log(vm, SLOT, bitmap));
	expect_bits(_metadata, bitmap, w);

	/* And off again: no log to get. */
	vm_set_user_memory_region(vm, SLOT, 0, s->gpa, s->size, s->hva);
	EXPECT_EQ(-ENOENT, get_log(vm, SLOT, bitmap));
	vm_free(vm);
}

TEST(bad_arguments)
{
	struct kvm_dirty_log log = { .slot = SLOT };
	u64 bitmap[2];
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	vm_add_memslot(vm, SLOT, SLOT_GPA, SLOT_PAGES * PAGE,
		       KVM_MEM_LOG_DIRTY_PAGES);
	EXPECT_EQ(-ENOENT, get_log(vm, 2, bitmap));
	/* (Address space 1, SMM's: stock says -ENOENT, Kestrel -EINVAL.) */
	EXPECT_EQ(-EINVAL, get_log(vm, 32767, bitmap));
	log.dirty_bitmap = (void *)8;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log));
	EXPECT_EQ(EFAULT, errno);
	vm_free(vm);
}

TEST_HARNESS_MAIN
