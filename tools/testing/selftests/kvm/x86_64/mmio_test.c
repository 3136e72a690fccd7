// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: guest accesses to guest physical addresses with no memslot exit
 * as KVM_EXIT_MMIO (api.rst 5, "KVM_EXIT_MMIO"): writes carry their data,
 * reads complete on the next KVM_RUN with the data the host put in
 * run->mmio.data, into the right register with the right extension.
 * Covers MOV of sizes 1/2/4/8, MOVZX/MOVSX/MOVSXD, a read-modify-write,
 * REP STOSB and REP MOVSB to and from MMIO, and writes to a read-only
 * memslot.
 *
 * Stock KVM (x86 emulator) splits string instructions on MMIO into one
 * exit per element; that is what the tests expect.
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define MMIO_GPA	0xc0000000ULL	/* no memslot; identity mapped */
#define RO_GPA		0x10000000ULL
#define RO_SIZE		0x200000ULL

/* What the guest read, for the host to check after GUEST_SYNC. */
static u64 results[16];
static u8 ram_buf[16];

static void guest_mmio(void)
{
	u64 v, i;
	u64 cnt, dst, src;

	/* Writes of each size. */
	WRITE_ONCE(*(u8 *)(MMIO_GPA + 0), 0x11);
	WRITE_ONCE(*(u16 *)(MMIO_GPA + 2), 0x2233);
	WRITE_ONCE(*(u32 *)(MMIO_GPA + 4), 0x44556677);
	WRITE_ONCE(*(u64 *)(MMIO_GPA + 8), 0x8899aabbccddeeffULL);
	GUEST_SYNC(1);

	/* Reads of each size; partial registers keep their upper bits. */
	__asm__ __volatile__("movq $-1, %%rax\n\tmovb (%1), %%al"
			     : "=&a"(v) : "r"(MMIO_GPA + 0x10) : "memory");
	results[0] = v;
	__asm__ __volatile__("movq $-1, %%rax\n\tmovw (%1), %%ax"
			     : "=&a"(v) : "r"(MMIO_GPA + 0x12) : "memory");
	results[1] = v;
	__asm__ __volatile__("movq $-1, %%rcx\n\tmovl (%1), %%ecx"
			     : "=&c"(v) : "r"(MMIO_GPA + 0x14) : "memory");
	results[2] = v;
	__asm__ __volatile__("movq (%1), %%r11\n\tmovq %%r11, %0"
			     : "=r"(v) : "r"(MMIO_GPA + 0x18) : "r11", "memory");
	results[3] = v;
	GUEST_SYNC(2);

	/* Zero and sign extension. */
	__asm__ __volatile__("movq $-1, %%rax\n\tmovzbl (%1), %%eax"
			     : "=&a"(v) : "r"(MMIO_GPA + 0x20) : "memory");
	results[0] = v;
	__asm__ __volatile__("movsbq (%1), %0"
			     : "=r"(v) : "r"(MMIO_GPA + 0x21) : "memory");
	results[1] = v;
	__asm__ __volatile__("movq $-1, %%rdx\n\tmovzwl (%1), %%edx"
			     : "=&d"(v) : "r"(MMIO_GPA + 0x22) : "memory");
	results[2] = v;
	__asm__ __volatile__("movswq (%1), %0"
			     : "=r"(v) : "r"(MMIO_GPA + 0x24) : "memory");
	results[3] = v;
	__asm__ __volatile__("movslq (%1), %0"
			     : "=r"(v) : "r"(MMIO_GPA + 0x28) : "memory");
	results[4] = v;
	GUEST_SYNC(3);

	/* Read-modify-write. */
	__asm__ __volatile__("addl $1, (%0)" : : "r"(MMIO_GPA + 0x40) : "memory");
	GUEST_SYNC(4);

	/* REP STOSB to MMIO. */
	cnt = 4;
	dst = MMIO_GPA + 0x100;
	__asm__ __volatile__("cld\n\trep stosb"
			     : "+D"(dst), "+c"(cnt) : "a"(0x5a) : "memory");
	results[0] = cnt;
	results[1] = dst;
	GUEST_SYNC(5);

	/* REP MOVSB RAM -> MMIO. */
	for (i = 0; i < 4; i++)
		ram_buf[i] = 'W' + i;
	cnt = 4;
	dst = MMIO_GPA + 0x200;
	src = (uintptr_t)ram_buf;
	__asm__ __volatile__("cld\n\trep movsb"
			     : "+D"(dst), "+S"(src), "+c"(cnt) : : "memory");
	results[0] = cnt;
	results[1] = dst;
	GUEST_SYNC(6);

	/* REP MOVSB MMIO -> RAM. */
	cnt = 4;
	dst = (uintptr_t)ram_buf + 8;
	src = MMIO_GPA + 0x300;
	__asm__ __volatile__("cld\n\trep movsb"
			     : "+D"(dst), "+S"(src), "+c"(cnt) : : "memory");
	results[0] = cnt;
	results[1] = src;
	GUEST_SYNC(7);
	GUEST_DONE();
}

/* Run to the next exit, which must be MMIO at @gpa of @len bytes. */
static void expect_mmio(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, u64 gpa, u32 len,
			bool is_write, u64 data)
{
	struct kvm_run *run = vcpu->run;
	u64 got = 0;

	vcpu_run_expect_exit(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(gpa, run->mmio.phys_addr);
	ASSERT_EQ(len, run->mmio.len);
	EXPECT_EQ(is_write, run->mmio.is_write);
	if (is_write) {
		memcpy(&got, run->mmio.data, len);
		EXPECT_EQ(data, got)
			TH_LOG("write of %u bytes at %#llx", len,
			       gpa);
	} else {
		memcpy(run->mmio.data, &data, len);
	}
}

static void expect_sync(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, u64 n)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(n, uc.args[0]);
	sync_global_from_guest(vcpu->vm, results);
	sync_global_from_guest(vcpu->vm, ram_buf);
}

TEST(mmio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_mmio), &vcpu);

	expect_mmio(_metadata, vcpu, MMIO_GPA + 0, 1, true, 0x11);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 2, 2, true, 0x2233);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 4, 4, true, 0x44556677);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 8, 8, true,
		    0x8899aabbccddeeffULL);
	expect_sync(_metadata, vcpu, 1);

	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x10, 1, false, 0x5a);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x12, 2, false, 0xa55a);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x14, 4, false, 0x87654321);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x18, 8, false,
		    0x0123456789abcdefULL);
	expect_sync(_metadata, vcpu, 2);
	EXPECT_EQ(0xffffffffffffff5aULL, results[0]);
	EXPECT_EQ(0xffffffffffffa55aULL, results[1]);
	EXPECT_EQ(0x0000000087654321ULL, results[2]);	/* 32-bit: zero-extended */
	EXPECT_EQ(0x0123456789abcdefULL, results[3]);

	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x20, 1, false, 0x80);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x21, 1, false, 0x80);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x22, 2, false, 0x8000);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x24, 2, false, 0x8001);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x28, 4, false, 0x80000002);
	expect_sync(_metadata, vcpu, 3);
	EXPECT_EQ(0x80ULL, results[0]);
	EXPECT_EQ(0xffffffffffffff80ULL, results[1]);
	EXPECT_EQ(0x8000ULL, results[2]);
	EXPECT_EQ(0xffffffffffff8001ULL, results[3]);
	EXPECT_EQ(0xffffffff80000002ULL, results[4]);

	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x40, 4, false, 41);
	expect_mmio(_metadata, vcpu, MMIO_GPA + 0x40, 4, true, 42);
	expect_sync(_metadata, vcpu, 4);

	for (i = 0; i < 4; i++)
		expect_mmio(_metadata, vcpu, MMIO_GPA + 0x100 + i, 1, true, 0x5a);
	expect_sync(_metadata, vcpu, 5);
	EXPECT_EQ(0U, results[0]);
	EXPECT_EQ(MMIO_GPA + 0x104, results[1]);

	for (i = 0; i < 4; i++)
		expect_mmio(_metadata, vcpu, MMIO_GPA + 0x200 + i, 1, true,
			    'W' + i);
	expect_sync(_metadata, vcpu, 6);
	EXPECT_EQ(0U, results[0]);
	EXPECT_EQ(MMIO_GPA + 0x204, results[1]);

	for (i = 0; i < 4; i++)
		expect_mmio(_metadata, vcpu, MMIO_GPA + 0x300 + i, 1, false,
			    'a' + i);
	expect_sync(_metadata, vcpu, 7);
	EXPECT_EQ(0U, results[0]);
	EXPECT_EQ(MMIO_GPA + 0x304, results[1]);
	EXPECT_EQ(0, memcmp(&ram_buf[8], "abcd", 4));

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

static void guest_readonly(void)
{
	u64 *p = (u64 *)RO_GPA;
	u8 *b = (u8 *)RO_GPA;

	GUEST_SYNC_ARGS(1, READ_ONCE(p[0]), READ_ONCE(p[1]), 0);
	WRITE_ONCE(p[1], 0xdeadbeefcafef00dULL);
	WRITE_ONCE(b[3], 0x77);
	/* Still what the host wrote: the writes went to userspace. */
	GUEST_SYNC_ARGS(2, READ_ONCE(p[0]), READ_ONCE(p[1]), 0);
	GUEST_DONE();
}

/*
 * KVM_MEM_READONLY (api.rst 4.35): reads see the memory, writes exit as
 * KVM_EXIT_MMIO with is_write and do not change it.
 */
TEST(readonly_memslot)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 *hva;

	TEST_REQUIRE_KVM();
	if (!kvm_check_cap(KVM_CAP_READONLY_MEM))
		SKIP(return, "no KVM_CAP_READONLY_MEM");
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_readonly), &vcpu);
	hva = vm_add_memslot(vm, 1, RO_GPA, RO_SIZE, KVM_MEM_READONLY);
	hva[0] = 0x1111111111111111ULL;
	hva[1] = 0x2222222222222222ULL;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x1111111111111111ULL, uc.args[1]);
	EXPECT_EQ(0x2222222222222222ULL, uc.args[2]);
	expect_mmio(_metadata, vcpu, RO_GPA + 8, 8, true,
		    0xdeadbeefcafef00dULL);
	expect_mmio(_metadata, vcpu, RO_GPA + 3, 1, true, 0x77);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x1111111111111111ULL, uc.args[1]);
	EXPECT_EQ(0x2222222222222222ULL, uc.args[2]);
	EXPECT_EQ(0x2222222222222222ULL, hva[1]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST_HARNESS_MAIN
