// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O exits (api.rst 5, "KVM_EXIT_IO"): IN and OUT of 1, 2 and 4
 * bytes, the kvm_run io fields, the data at (char *)run + data_offset in
 * the vCPU mapping, IN completing on the next KVM_RUN with what the host
 * wrote there (partial registers keep their upper bits, 32-bit IN
 * zero-extends), and string I/O with REP.
 *
 * String I/O as stock KVM does it (x86 emulator): REP OUTS exits once per
 * element (count 1); REP INS reads ahead, so one exit asks for several
 * elements (count > 1), as many as fit before the destination crosses a
 * page, up to a buffer limit.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

#define PORT		0x3f00

static u64 results[8];
static u8 out_buf[64];
/* Two pages of in_buf_space, page aligned. */
static u8 in_buf_space[3 * 4096];
#define in_buf ((u8 *)(((uintptr_t)in_buf_space + 4095) & ~4095UL))

static void guest_pio(void)
{
	u64 v, cnt, p;
	int i;

	guest_outb(PORT, 0x12);
	guest_outw(PORT + 2, 0x3456);
	guest_outl(PORT + 4, 0x789abcde);
	GUEST_SYNC(1);

	__asm__ __volatile__("movq $-1, %%rax\n\tinb %%dx, %%al"
			     : "=&a"(v) : "d"(PORT + 8));
	results[0] = v;
	__asm__ __volatile__("movq $-1, %%rax\n\tinw %%dx, %%ax"
			     : "=&a"(v) : "d"(PORT + 10));
	results[1] = v;
	__asm__ __volatile__("movq $-1, %%rax\n\tinl %%dx, %%eax"
			     : "=&a"(v) : "d"(PORT + 12));
	results[2] = v;
	/* A port above 0xff needs DX; 0x80 fits the imm8 form. */
	__asm__ __volatile__("movq $-1, %%rax\n\tinb $0x80, %%al" : "=&a"(v));
	results[3] = v;
	__asm__ __volatile__("outw %%ax, $0x80" : : "a"(0xbeef));
	GUEST_SYNC(2);

	/* REP OUTSB, 16 bytes. */
	for (i = 0; i < 16; i++)
		out_buf[i] = 0xa0 + i;
	cnt = 16;
	p = (uintptr_t)out_buf;
	__asm__ __volatile__("cld\n\trep outsb"
			     : "+S"(p), "+c"(cnt) : "d"(PORT + 16) : "memory");
	results[0] = cnt;
	results[1] = p - (uintptr_t)out_buf;
	GUEST_SYNC(3);

	/* REP OUTSW, 4 words. */
	cnt = 4;
	p = (uintptr_t)out_buf;
	__asm__ __volatile__("cld\n\trep outsw"
			     : "+S"(p), "+c"(cnt) : "d"(PORT + 18) : "memory");
	results[0] = cnt;
	GUEST_SYNC(4);

	/* REP INSB, 16 bytes inside one page. */
	cnt = 16;
	p = (uintptr_t)in_buf;
	__asm__ __volatile__("cld\n\trep insb"
			     : "+D"(p), "+c"(cnt) : "d"(PORT + 20) : "memory");
	results[0] = cnt;
	results[1] = p - (uintptr_t)in_buf;
	GUEST_SYNC(5);

	/* REP INSB, 16 bytes starting 4 bytes before a page boundary. */
	cnt = 16;
	p = (uintptr_t)in_buf + 4096 - 4;
	__asm__ __volatile__("cld\n\trep insb"
			     : "+D"(p), "+c"(cnt) : "d"(PORT + 24) : "memory");
	results[0] = cnt;
	results[1] = p - (uintptr_t)in_buf;
	/* REP INSL, 8 dwords. */
	cnt = 8;
	p = (uintptr_t)in_buf + 256;
	__asm__ __volatile__("cld\n\trep insl"
			     : "+D"(p), "+c"(cnt) : "d"(PORT + 26) : "memory");
	results[2] = cnt;
	results[3] = p - (uintptr_t)in_buf;
	GUEST_SYNC(6);

	/* INSB without REP: one byte. */
	p = (uintptr_t)in_buf + 100;
	__asm__ __volatile__("insb" : "+D"(p) : "d"(PORT + 28) : "memory");
	results[0] = p - (uintptr_t)in_buf;
	GUEST_SYNC(7);
	GUEST_DONE();
}

/* Run to the next exit, which must be port I/O; returns the data. */
static u8 *expect_io(struct __test_metadata *_metadata,
		     struct kvm_vcpu *vcpu, u16 port, u8 dir, u8 size,
		     u32 count)
{
	struct kvm_run *run = vcpu->run;
	long page = host_page_size();

	vcpu_run_expect_exit(vcpu, KVM_EXIT_IO);
	EXPECT_EQ(port, run->io.port);
	EXPECT_EQ(dir, run->io.direction);
	EXPECT_EQ(size, run->io.size);
	EXPECT_EQ(count, run->io.count);
	/* The data page is the vCPU mapping's second (KVM_PIO_PAGE_OFFSET). */
	EXPECT_EQ(KVM_PIO_PAGE_OFFSET * page, (long)run->io.data_offset);
	EXPECT_GE(vcpu->vm->run_size,
		  (long)(run->io.data_offset + run->io.size * run->io.count));
	return (u8 *)run + run->io.data_offset;
}

static void expect_sync(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, u64 n)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(n, uc.args[0]);
	sync_global_from_guest(vcpu->vm, results);
	vm_read_mem(vcpu->vm, (uintptr_t)in_buf, in_buf, 2 * 4096);
}

TEST(port_io)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u8 *data;
	int i;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_pio), &vcpu);

	data = expect_io(_metadata, vcpu, PORT, KVM_EXIT_IO_OUT, 1, 1);
	EXPECT_EQ(0x12, data[0]);
	data = expect_io(_metadata, vcpu, PORT + 2, KVM_EXIT_IO_OUT, 2, 1);
	EXPECT_EQ(0x3456, *(u16 *)data);
	data = expect_io(_metadata, vcpu, PORT + 4, KVM_EXIT_IO_OUT, 4, 1);
	EXPECT_EQ(0x789abcdeU, *(u32 *)data);
	expect_sync(_metadata, vcpu, 1);

	data = expect_io(_metadata, vcpu, PORT + 8, KVM_EXIT_IO_IN, 1, 1);
	data[0] = 0x5a;
	data = expect_io(_metadata, vcpu, PORT + 10, KVM_EXIT_IO_IN, 2, 1);
	*(u16 *)data = 0xa55a;
	data = expect_io(_metadata, vcpu, PORT + 12, KVM_EXIT_IO_IN, 4, 1);
	*(u32 *)data = 0x87654321;
	data = expect_io(_metadata, vcpu, 0x80, KVM_EXIT_IO_IN, 1, 1);
	data[0] = 0x99;
	data = expect_io(_metadata, vcpu, 0x80, KVM_EXIT_IO_OUT, 2, 1);
	EXPECT_EQ(0xbeef, *(u16 *)data);
	expect_sync(_metadata, vcpu, 2);
	EXPECT_EQ(0xffffffffffffff5aULL, results[0]);
	EXPECT_EQ(0xffffffffffffa55aULL, results[1]);
	EXPECT_EQ(0x0000000087654321ULL, results[2]);
	EXPECT_EQ(0xffffffffffffff99ULL, results[3]);

	/* REP OUTSB: one exit per byte. */
	for (i = 0; i < 16; i++) {
		data = expect_io(_metadata, vcpu, PORT + 16, KVM_EXIT_IO_OUT,
				 1, 1);
		EXPECT_EQ(0xa0 + i, data[0]);
	}
	expect_sync(_metadata, vcpu, 3);
	EXPECT_EQ(0U, results[0]);
	EXPECT_EQ(16U, results[1]);

	for (i = 0; i < 4; i++) {
		data = expect_io(_metadata, vcpu, PORT + 18, KVM_EXIT_IO_OUT,
				 2, 1);
		EXPECT_EQ(0xa0 + 2 * i + ((0xa1 + 2 * i) << 8),
			  *(u16 *)data);
	}
	expect_sync(_metadata, vcpu, 4);
	EXPECT_EQ(0U, results[0]);

	/* REP INSB: all 16 bytes in one exit. */
	data = expect_io(_metadata, vcpu, PORT + 20, KVM_EXIT_IO_IN, 1, 16);
	for (i = 0; i < 16; i++)
		data[i] = 0x40 + i;
	expect_sync(_metadata, vcpu, 5);
	EXPECT_EQ(0U, results[0]);
	EXPECT_EQ(16U, results[1]);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0x40 + i, in_buf[i]);

	/*
	 * REP INSB across a page: stock KVM reads ahead only up to the end
	 * of the destination's page (4 bytes), then the other 12.
	 */
	data = expect_io(_metadata, vcpu, PORT + 24, KVM_EXIT_IO_IN, 1, 4);
	for (i = 0; i < 4; i++)
		data[i] = 0x60 + i;
	data = expect_io(_metadata, vcpu, PORT + 24, KVM_EXIT_IO_IN, 1, 12);
	for (i = 0; i < 12; i++)
		data[i] = 0x64 + i;
	/* REP INSL: 8 dwords in one exit. */
	data = expect_io(_metadata, vcpu, PORT + 26, KVM_EXIT_IO_IN, 4, 8);
	for (i = 0; i < 8; i++)
		((u32 *)data)[i] = 0x10000 + i;
	expect_sync(_metadata, vcpu, 6);
	EXPECT_EQ(0U, results[0]);
	EXPECT_EQ(4096U + 12, results[1]);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0x60 + i, in_buf[4096 - 4 + i]);
	EXPECT_EQ(0U, results[2]);
	EXPECT_EQ(256U + 32, results[3]);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0x10000U + i, ((u32 *)&in_buf[256])[i]);

	data = expect_io(_metadata, vcpu, PORT + 28, KVM_EXIT_IO_IN, 1, 1);
	data[0] = 0xee;
	expect_sync(_metadata, vcpu, 7);
	EXPECT_EQ(101U, results[0]);
	EXPECT_EQ(0xee, in_buf[100]);

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/*
 * The vCPU mapping (api.rst 4.7 KVM_CREATE_VCPU, 4.5 KVM_GET_VCPU_MMAP_SIZE):
 * kvm_run at offset 0, the PIO data page at KVM_PIO_PAGE_OFFSET, nothing
 * past KVM_GET_VCPU_MMAP_SIZE (touching it is SIGBUS).
 */
static void guest_in_loop(void)
{
	for (;;)
		guest_inb(PORT);
}

TEST(vcpu_mmap)
{
	long page = host_page_size();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int size, status;
	u8 *map;
	pid_t pid;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_in_loop), &vcpu);
	size = vm->run_size;
	EXPECT_EQ(0, size % page);
	EXPECT_LE((KVM_PIO_PAGE_OFFSET + 1) * page, size);
	if (kvm_check_cap(KVM_CAP_COALESCED_MMIO)) {
		EXPECT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET,
			  kvm_check_cap(KVM_CAP_COALESCED_MMIO));
		EXPECT_LE((KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * page, size);
	}

	/* A second mapping of the same vCPU shows the same pages. */
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	expect_io(_metadata, vcpu, PORT, KVM_EXIT_IO_IN, 1, 1);
	EXPECT_EQ((u32)KVM_EXIT_IO, ((struct kvm_run *)map)->exit_reason);
	map[KVM_PIO_PAGE_OFFSET * page] = 0x42;
	EXPECT_EQ(0x42, ((u8 *)vcpu->run)[vcpu->run->io.data_offset]);
	munmap(map, size);

	/* Mapping past the size succeeds; touching a page past it: SIGBUS. */
	map = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int i;

		for (i = 0; i < size; i += page)
			(void)READ_ONCE(map[i]);
		_exit(10);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 10);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		(void)READ_ONCE(map[size]);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		TH_LOG("status %#x", status);
	munmap(map, size + page);
	vm_free(vm);
}

/*
 * REP INSB whose count userspace changes during the exit (as KVM's
 * upstream userspace_io_test does): 2 lowered to 1 moves one byte and
 * ends; 3 raised to 64 moves 64 bytes in all.  What matters is that the
 * count never wraps and nothing is written beyond what RCX allows.
 */
static void guest_rep_ins_count(void)
{
	u64 cnt, p;

	memset(in_buf, 0, 128);
	p = (u64)(uintptr_t)in_buf;
	cnt = 2;
	__asm__ __volatile__("cld\n\trep insb"
			     : "+D"(p), "+c"(cnt) : "d"(PORT) : "memory");
	GUEST_SYNC_ARGS(1, cnt, p - (u64)(uintptr_t)in_buf, in_buf[1]);
	p = (u64)(uintptr_t)in_buf;
	cnt = 3;
	__asm__ __volatile__("cld\n\trep insb"
			     : "+D"(p), "+c"(cnt) : "d"(PORT) : "memory");
	GUEST_SYNC_ARGS(2, cnt, p - (u64)(uintptr_t)in_buf, in_buf[64]);
	GUEST_DONE();
}

/* Run to the next ucall, answering REP INSB exits with 0xaa bytes. */
static int run_changing_rcx(struct __test_metadata *_metadata,
			    struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	int exits = 0, cmd;

	for (;;) {
		if (__vcpu_run(vcpu))
			return -1;
		cmd = get_ucall(vcpu, uc);
		if (cmd != UCALL_NONE)
			return cmd;
		if (run->exit_reason != KVM_EXIT_IO || ++exits > 200)
			return -1;
		vcpu_regs_get(vcpu, &regs);
		if (regs.rcx == 2)
			regs.rcx = 1;
		else if (regs.rcx == 3)
			regs.rcx = 64;
		memset((u8 *)run + run->io.data_offset, 0xaa,
		       (size_t)run->io.count * run->io.size);
		vcpu_regs_set(vcpu, &regs);
	}
}

TEST(rep_ins_count_changed_by_userspace)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_rep_ins_count), &vcpu);
	ASSERT_EQ(UCALL_SYNC, run_changing_rcx(_metadata, vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[1]);
	EXPECT_EQ(1ULL, uc.args[2]);
	EXPECT_EQ(0ULL, uc.args[3]);		/* in_buf[1] untouched */
	ASSERT_EQ(UCALL_SYNC, run_changing_rcx(_metadata, vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[1]);
	EXPECT_EQ(64ULL, uc.args[2]);
	EXPECT_EQ(0ULL, uc.args[3]);		/* in_buf[64] untouched */
	vm_free(vm);
}

TEST_HARNESS_MAIN
