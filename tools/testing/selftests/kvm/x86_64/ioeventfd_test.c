// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel I/O bus, seen from userspace:
 *
 * - KVM_IOEVENTFD (api.rst 4.59): guest OUT and MMIO writes to registered
 *   addresses signal the eventfd with no KVM_RUN exit; datamatch hits and
 *   misses (a miss exits as ordinary I/O), length 0 (any write at the
 *   address), 8-byte MMIO, REP OUTSB, deassign, every errno, the collision
 *   rule, an eventfd closed while registered, VMs destroyed with
 *   ioeventfds registered.
 * - KVM_(UN)REGISTER_COALESCED_MMIO (api.rst 4.116/4.117): writes inside a
 *   zone land in the ring page of the vCPU mapping, in order, with no
 *   exit; a full ring, reads and writes leaving the zone exit; PIO zones;
 *   unregister; errno; the device limit; userspace scribbling the ring's
 *   indices.
 *
 * The guest runs a list of operations, with a GUEST_SYNC after each: an
 * operation the kernel handles goes straight to its SYNC, one it does not
 * exits first.  Every test passes on stock KVM.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall.h"

/* KVM_COALESCED_MMIO_MAX is in terms of the (x86: 4 KiB) page size. */
#ifndef PAGE_SIZE
#define PAGE_SIZE	4096
#endif

#define PORT		0x3f00
#define MMIO_GPA	0xc0000000ULL	/* no memslot; identity mapped */

enum op_kind {
	OP_END,
	OP_OUT,		/* OUT of size 1/2/4 */
	OP_IN,
	OP_MMIO_W,	/* MOV to MMIO of size 1/2/4/8 */
	OP_MMIO_R,
	OP_OUTSB,	/* REP OUTSB of val bytes */
	OP_MMIO_W_N,	/* val 4-byte writes of 0, 1, 2... at addr */
};

struct guest_op {
	u64 kind, addr, size, val;
};

#define MAX_OPS		32
static struct guest_op ops[MAX_OPS];
static u8 outs_buf[16];

static void guest_mmio_write(u64 addr, u64 size, u64 val)
{
	switch (size) {
	case 1:
		WRITE_ONCE(*(u8 *)addr, val);
		break;
	case 2:
		WRITE_ONCE(*(u16 *)addr, val);
		break;
	case 4:
		WRITE_ONCE(*(u32 *)addr, val);
		break;
	default:
		WRITE_ONCE(*(u64 *)addr, val);
		break;
	}
}

static void guest_out(u16 port, u64 size, u64 val)
{
	if (size == 1)
		guest_outb(port, val);
	else if (size == 2)
		guest_outw(port, val);
	else
		guest_outl(port, val);
}

static void guest_op(const struct guest_op *op)
{
	u64 cnt, p, i;

	switch (op->kind) {
	case OP_OUT:
		guest_out(op->addr, op->size, op->val);
		break;
	case OP_IN:
		(void)guest_inb(op->addr);
		break;
	case OP_MMIO_W:
		guest_mmio_write(op->addr, op->size, op->val);
		break;
	case OP_MMIO_R:
		(void)READ_ONCE(*(u32 *)op->addr);
		break;
	case OP_OUTSB:
		for (i = 0; i < op->val; i++)
			outs_buf[i] = 0x50 + i;
		cnt = op->val;
		p = (uintptr_t)outs_buf;
		__asm__ __volatile__("cld\n\trep outsb"
				     : "+S"(p), "+c"(cnt) : "d"(op->addr)
				     : "memory");
		break;
	case OP_MMIO_W_N:
		for (i = 0; i < op->val; i++)
			WRITE_ONCE(*(u32 *)op->addr, (u32)i);
		break;
	}
}

static void guest_ops(void)
{
	u64 i;

	for (i = 0; i < MAX_OPS && ops[i].kind != OP_END; i++) {
		guest_op(&ops[i]);
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

/* A VM whose guest runs @list (ended by OP_END). */
static struct kvm_vm *vm_with_ops(const struct guest_op *list,
				  struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm;
	int n;

	memset(ops, 0, sizeof(ops));
	for (n = 0; list[n].kind != OP_END; n++)
		ops[n] = list[n];
	vm = vm_create_guest_with_vcpu(GUEST_MODE_LONG64,
				       GUEST_ENTRY(guest_ops), vcpu);
	sync_global_to_guest(vm, ops);
	return vm;
}

/*
 * Run operation @i: it must reach its SYNC with no exit before (exit 0),
 * or exit with @exit first (KVM_EXIT_IO / KVM_EXIT_MMIO).
 */
static void run_op(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu,
		   u64 i, u32 exit)
{
	struct ucall uc;

	ASSERT_EQ(0, __vcpu_run(vcpu));
	if (exit) {
		ASSERT_EQ(UCALL_NONE, get_ucall(vcpu, &uc))
			TH_LOG("op %llu: expected an exit before its SYNC",
			       (unsigned long long)i);
		ASSERT_EQ(exit, vcpu->run->exit_reason)
			TH_LOG("op %llu: exit %s", (unsigned long long)i,
			       exit_reason_str(vcpu->run->exit_reason));
		ASSERT_EQ(0, __vcpu_run(vcpu));
	}
	ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc))
		TH_LOG("op %llu: exit %s instead of its SYNC",
		       (unsigned long long)i,
		       exit_reason_str(vcpu->run->exit_reason));
	ASSERT_EQ(i, uc.args[0]);
}

/* Run to the next exit, which must be @exit, and leave it to be looked at. */
static void run_exit(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu,
		     u32 exit)
{
	ASSERT_EQ(0, __vcpu_run(vcpu));
	ASSERT_EQ(exit, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
}

static void run_done(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

/* How often the eventfd was signalled since the last call. */
static u64 efd_count(int efd)
{
	u64 n = 0;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static int new_efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static int ioeventfd(struct kvm_vm *vm, int fd, u64 addr, u32 len, u32 flags,
		     u64 datamatch)
{
	struct kvm_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return ioctl(vm->fd, KVM_IOEVENTFD, &a) ? -errno : 0;
}

#define PIO	KVM_IOEVENTFD_FLAG_PIO
#define DM	KVM_IOEVENTFD_FLAG_DATAMATCH
#define DEASSIGN KVM_IOEVENTFD_FLAG_DEASSIGN

TEST(pio_writes_signal_without_exit)
{
	static const struct guest_op list[] = {
		{ OP_OUT, PORT, 1, 0x11 },
		{ OP_OUT, PORT + 2, 2, 0x2233 },
		{ OP_OUT, PORT + 4, 4, 0x44556677 },
		{ OP_OUT, PORT + 8, 1, 0x88 },		/* not registered */
		{ OP_IN, PORT, 1, 0 },			/* reads exit */
		{ OP_OUT, PORT, 1, 0x99 },
		{ OP_OUTSB, PORT + 12, 1, 4 },		/* 4 elements */
		{ OP_END },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int efd[4], i;

	TEST_REQUIRE_KVM();
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_IOEVENTFD));
	vm = vm_with_ops(list, &vcpu);
	for (i = 0; i < 4; i++)
		ASSERT_LE(0, efd[i] = new_efd());
	ASSERT_EQ(0, ioeventfd(vm, efd[0], PORT, 1, PIO, 0));
	ASSERT_EQ(0, ioeventfd(vm, efd[1], PORT + 2, 2, PIO, 0));
	ASSERT_EQ(0, ioeventfd(vm, efd[2], PORT + 4, 4, PIO, 0));
	ASSERT_EQ(0, ioeventfd(vm, efd[3], PORT + 12, 1, PIO, 0));

	run_op(_metadata, vcpu, 0, 0);
	EXPECT_EQ(1U, efd_count(efd[0]));
	run_op(_metadata, vcpu, 1, 0);
	EXPECT_EQ(1U, efd_count(efd[1]));
	run_op(_metadata, vcpu, 2, 0);
	EXPECT_EQ(1U, efd_count(efd[2]));
	run_op(_metadata, vcpu, 3, KVM_EXIT_IO);
	run_op(_metadata, vcpu, 4, KVM_EXIT_IO);
	EXPECT_EQ(0U, efd_count(efd[0]));
	run_op(_metadata, vcpu, 5, 0);
	EXPECT_EQ(1U, efd_count(efd[0]));
	run_op(_metadata, vcpu, 6, 0);
	EXPECT_EQ(4U, efd_count(efd[3]));
	run_done(_metadata, vcpu);
	for (i = 0; i < 4; i++)
		close(efd[i]);
	vm_free(vm);
}

TEST(mmio_writes_signal_without_exit)
{
	static const struct guest_op list[] = {
		{ OP_MMIO_W, MMIO_GPA, 1, 0x11 },
		{ OP_MMIO_W, MMIO_GPA + 0x10, 2, 0x2233 },
		{ OP_MMIO_W, MMIO_GPA + 0x20, 4, 0x44556677 },
		{ OP_MMIO_W, MMIO_GPA + 0x30, 8, 0x8899aabbccddeeffULL },
		{ OP_MMIO_W, MMIO_GPA + 0x40, 4, 1 },	/* not registered */
		{ OP_MMIO_R, MMIO_GPA + 0x20, 4, 0 },	/* reads exit */
		{ OP_MMIO_W, MMIO_GPA + 0x20, 2, 1 },	/* other length */
		{ OP_MMIO_W, MMIO_GPA + 0x22, 2, 1 },	/* inside, not at */
		{ OP_END },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int efd[4], i;

	TEST_REQUIRE_KVM();
	vm = vm_with_ops(list, &vcpu);
	for (i = 0; i < 4; i++) {
		ASSERT_LE(0, efd[i] = new_efd());
		ASSERT_EQ(0, ioeventfd(vm, efd[i], MMIO_GPA + 0x10 * i,
				       1 << i, 0, 0));
	}
	for (i = 0; i < 4; i++) {
		run_op(_metadata, vcpu, i, 0);
		EXPECT_EQ(1U, efd_count(efd[i])) TH_LOG("size %d", 1 << i);
	}
	run_op(_metadata, vcpu, 4, KVM_EXIT_MMIO);
	run_op(_metadata, vcpu, 5, KVM_EXIT_MMIO);
	run_exit(_metadata, vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(2U, vcpu->run->mmio.len);
	EXPECT_EQ(MMIO_GPA + 0x20, vcpu->run->mmio.phys_addr);
	run_op(_metadata, vcpu, 6, 0);
	run_op(_metadata, vcpu, 7, KVM_EXIT_MMIO);
	EXPECT_EQ(0U, efd_count(efd[2]));
	run_done(_metadata, vcpu);
	for (i = 0; i < 4; i++)
		close(efd[i]);
	vm_free(vm);
}

TEST(datamatch)
{
	static const struct guest_op list[] = {
		{ OP_OUT, PORT, 2, 0x1234 },
		{ OP_OUT, PORT, 2, 0x4321 },
		{ OP_OUT, PORT, 2, 0x5555 },		/* neither: exits */
		{ OP_MMIO_W, MMIO_GPA, 8, 0x0123456789abcdefULL },
		{ OP_MMIO_W, MMIO_GPA, 8, 0x0123456789abcdeeULL },
		{ OP_MMIO_W, MMIO_GPA + 8, 1, 0x80 },
		{ OP_END },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int a, b, c, d;

	TEST_REQUIRE_KVM();
	vm = vm_with_ops(list, &vcpu);
	ASSERT_LE(0, a = new_efd());
	ASSERT_LE(0, b = new_efd());
	ASSERT_LE(0, c = new_efd());
	ASSERT_LE(0, d = new_efd());
	/* Two datamatches at one port and length do not collide. */
	ASSERT_EQ(0, ioeventfd(vm, a, PORT, 2, PIO | DM, 0x1234));
	ASSERT_EQ(0, ioeventfd(vm, b, PORT, 2, PIO | DM, 0x4321));
	ASSERT_EQ(0, ioeventfd(vm, c, MMIO_GPA, 8, DM, 0x0123456789abcdefULL));
	/* Only the low byte of the value counts for a 1-byte match. */
	ASSERT_EQ(0, ioeventfd(vm, d, MMIO_GPA + 8, 1, DM, 0xff80));

	run_op(_metadata, vcpu, 0, 0);
	EXPECT_EQ(1U, efd_count(a));
	EXPECT_EQ(0U, efd_count(b));
	run_op(_metadata, vcpu, 1, 0);
	EXPECT_EQ(0U, efd_count(a));
	EXPECT_EQ(1U, efd_count(b));
	run_op(_metadata, vcpu, 2, KVM_EXIT_IO);
	run_op(_metadata, vcpu, 3, 0);
	EXPECT_EQ(1U, efd_count(c));
	run_exit(_metadata, vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(0x0123456789abcdeeULL, *(u64 *)vcpu->run->mmio.data);
	run_op(_metadata, vcpu, 4, 0);
	EXPECT_EQ(0U, efd_count(c));
	run_op(_metadata, vcpu, 5, KVM_EXIT_MMIO);
	EXPECT_EQ(0U, efd_count(d));
	run_done(_metadata, vcpu);
	close(a);
	close(b);
	close(c);
	close(d);
	vm_free(vm);
}

/* Length 0: any write starting at the address, whatever its size. */
TEST(length_zero_matches_any_write_at_the_address)
{
	static const struct guest_op list[] = {
		{ OP_MMIO_W, MMIO_GPA, 1, 1 },
		{ OP_MMIO_W, MMIO_GPA, 2, 1 },
		{ OP_MMIO_W, MMIO_GPA, 4, 1 },
		{ OP_MMIO_W, MMIO_GPA, 8, 1 },
		{ OP_MMIO_W, MMIO_GPA + 1, 1, 1 },	/* another address */
		{ OP_OUT, PORT, 1, 1 },
		{ OP_OUT, PORT, 2, 1 },
		{ OP_OUT, PORT, 4, 1 },
		{ OP_OUT, PORT + 1, 1, 1 },
		{ OP_END },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int m, p, i;

	TEST_REQUIRE_KVM();
	EXPECT_LT(0, kvm_check_cap(KVM_CAP_IOEVENTFD_ANY_LENGTH));
	vm = vm_with_ops(list, &vcpu);
	ASSERT_LE(0, m = new_efd());
	ASSERT_LE(0, p = new_efd());
	ASSERT_EQ(0, ioeventfd(vm, m, MMIO_GPA, 0, 0, 0));
	ASSERT_EQ(0, ioeventfd(vm, p, PORT, 0, PIO, 0));
	for (i = 0; i < 4; i++) {
		run_op(_metadata, vcpu, i, 0);
		EXPECT_EQ(1U, efd_count(m));
	}
	run_op(_metadata, vcpu, 4, KVM_EXIT_MMIO);
	for (i = 5; i < 8; i++) {
		run_op(_metadata, vcpu, i, 0);
		EXPECT_EQ(1U, efd_count(p));
	}
	run_op(_metadata, vcpu, 8, KVM_EXIT_IO);
	EXPECT_EQ(0U, efd_count(m));
	EXPECT_EQ(0U, efd_count(p));
	run_done(_metadata, vcpu);
	close(m);
	close(p);
	vm_free(vm);
}

TEST(deassign)
{
	static const struct guest_op list[] = {
		{ OP_MMIO_W, MMIO_GPA, 4, 7 },
		{ OP_MMIO_W, MMIO_GPA, 4, 7 },
		{ OP_OUT, PORT, 1, 7 },
		{ OP_END },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int a, b;

	TEST_REQUIRE_KVM();
	vm = vm_with_ops(list, &vcpu);
	ASSERT_LE(0, a = new_efd());
	ASSERT_LE(0, b = new_efd());
	ASSERT_EQ(0, ioeventfd(vm, a, MMIO_GPA, 4, DM, 7));
	ASSERT_EQ(0, ioeventfd(vm, a, PORT, 1, PIO, 0));
	run_op(_metadata, vcpu, 0, 0);
	EXPECT_EQ(1U, efd_count(a));

	/* Everything must match: eventfd, address, length, datamatch, bus. */
	EXPECT_EQ(-ENOENT, ioeventfd(vm, b, MMIO_GPA, 4, DM | DEASSIGN, 7));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, a, MMIO_GPA + 4, 4, DM | DEASSIGN, 7));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, a, MMIO_GPA, 2, DM | DEASSIGN, 7));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, a, MMIO_GPA, 4, DM | DEASSIGN, 8));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, a, MMIO_GPA, 4, DEASSIGN, 7));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, a, MMIO_GPA, 4, PIO | DM | DEASSIGN, 7));
	/* Deassign checks no arguments beyond the fd (KVM's behaviour). */
	EXPECT_EQ(-ENOENT, ioeventfd(vm, a, MMIO_GPA, 3, DEASSIGN | (1U << 20), 0));
	EXPECT_EQ(0, ioeventfd(vm, a, MMIO_GPA, 4, DM | DEASSIGN, 7));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, a, MMIO_GPA, 4, DM | DEASSIGN, 7));
	run_op(_metadata, vcpu, 1, KVM_EXIT_MMIO);
	EXPECT_EQ(0U, efd_count(a));
	/* The PIO one is still there. */
	run_op(_metadata, vcpu, 2, 0);
	EXPECT_EQ(1U, efd_count(a));
	EXPECT_EQ(0, ioeventfd(vm, a, PORT, 1, PIO | DEASSIGN, 0));
	/* Registering again after deassign works. */
	EXPECT_EQ(0, ioeventfd(vm, a, MMIO_GPA, 4, DM, 7));
	run_done(_metadata, vcpu);
	close(a);
	close(b);
	vm_free(vm);
}

TEST(ioeventfd_errno)
{
	struct kvm_vm *vm;
	int efd, null_fd, len;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	ASSERT_LE(0, efd = new_efd());
	ASSERT_LE(0, null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC));

	for (len = 0; len <= 16; len++) {
		int r = ioeventfd(vm, efd, MMIO_GPA + 0x100 * len, len, 0, 0);
		bool ok = len == 0 || len == 1 || len == 2 || len == 4 ||
			  len == 8;

		EXPECT_EQ(ok ? 0 : -EINVAL, r) TH_LOG("len %d", len);
	}
	EXPECT_EQ(-EINVAL, ioeventfd(vm, efd, MMIO_GPA, 0x80000000U, 0, 0));
	/* addr + len wraps. */
	EXPECT_EQ(-EINVAL, ioeventfd(vm, efd, ~0ULL - 2, 4, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, efd, ~0ULL - 3, 4, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, efd, ~0ULL - 4, 4, 0, 0));
	/* Flags nobody knows. */
	EXPECT_EQ(-EINVAL, ioeventfd(vm, efd, MMIO_GPA + 0x2000, 4, 1U << 5, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, efd, MMIO_GPA + 0x2000, 4, 1U << 31, 0));
	/* No length and a datamatch. */
	EXPECT_EQ(-EINVAL, ioeventfd(vm, efd, MMIO_GPA + 0x2000, 0, DM, 0));
	/* Bad fds: the arguments are checked first. */
	EXPECT_EQ(-EBADF, ioeventfd(vm, -1, MMIO_GPA + 0x2000, 4, 0, 0));
	EXPECT_EQ(-EBADF, ioeventfd(vm, 100000, MMIO_GPA + 0x2000, 4, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, null_fd, MMIO_GPA + 0x2000, 4, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, -1, MMIO_GPA + 0x2000, 3, 0, 0));
	EXPECT_EQ(-EBADF, ioeventfd(vm, -1, MMIO_GPA, 4, DEASSIGN, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, null_fd, MMIO_GPA, 4, DEASSIGN, 0));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_IOEVENTFD, NULL));
	EXPECT_EQ(EFAULT, errno);
	/*
	 * s390's virtio-ccw flag: KVM accepts it on x86 too (it is in the
	 * valid-flag mask), on a bus no x86 access reaches.
	 */
	EXPECT_EQ(0, ioeventfd(vm, efd, MMIO_GPA + 0x3000, 4,
			       KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY, 0));
	EXPECT_EQ(0, ioeventfd(vm, efd, MMIO_GPA + 0x3000, 4,
			       KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY | DEASSIGN, 0));
	close(null_fd);
	close(efd);
	vm_free(vm);
}

/* KVM's ioeventfd_check_collision() rule. */
TEST(collision)
{
	struct kvm_vm *vm;
	int a, b;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	ASSERT_LE(0, a = new_efd());
	ASSERT_LE(0, b = new_efd());

	ASSERT_EQ(0, ioeventfd(vm, a, MMIO_GPA, 4, 0, 0));
	/* Same address and length, wildcard: any eventfd collides. */
	EXPECT_EQ(-EEXIST, ioeventfd(vm, a, MMIO_GPA, 4, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, b, MMIO_GPA, 4, 0, 0));
	/* A datamatch against a wildcard of the same length collides. */
	EXPECT_EQ(-EEXIST, ioeventfd(vm, b, MMIO_GPA, 4, DM, 5));
	/* Length 0 collides with any length at the address. */
	EXPECT_EQ(-EEXIST, ioeventfd(vm, b, MMIO_GPA, 0, 0, 0));
	/* Another length at the same address does not. */
	EXPECT_EQ(0, ioeventfd(vm, b, MMIO_GPA, 2, 0, 0));
	/* Nor does the same address on the other bus. */
	EXPECT_EQ(0, ioeventfd(vm, b, MMIO_GPA & 0xffff, 4, PIO, 0));
	EXPECT_EQ(0, ioeventfd(vm, b, MMIO_GPA + 2, 4, 0, 0));

	ASSERT_EQ(0, ioeventfd(vm, a, MMIO_GPA + 0x100, 8, DM, 1));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, b, MMIO_GPA + 0x100, 8, DM, 1));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, b, MMIO_GPA + 0x100, 8, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, b, MMIO_GPA + 0x100, 8, DM, 2));
	EXPECT_EQ(0, ioeventfd(vm, b, MMIO_GPA + 0x100, 4, DM, 1));

	ASSERT_EQ(0, ioeventfd(vm, a, MMIO_GPA + 0x200, 0, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, b, MMIO_GPA + 0x200, 1, DM, 1));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, b, MMIO_GPA + 0x200, 0, 0, 0));
	close(a);
	close(b);
	vm_free(vm);
}

/*
 * Closing the eventfd while it is registered: the registration keeps the
 * eventfd context, so writes still complete in the kernel, without an
 * exit, and nothing breaks; the old fd number no longer names it.
 */
TEST(eventfd_closed_while_registered)
{
	static const struct guest_op list[] = {
		{ OP_MMIO_W, MMIO_GPA, 4, 1 },
		{ OP_OUT, PORT, 1, 1 },
		{ OP_MMIO_W, MMIO_GPA, 4, 1 },
		{ OP_END },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int efd;

	TEST_REQUIRE_KVM();
	vm = vm_with_ops(list, &vcpu);
	ASSERT_LE(0, efd = new_efd());
	ASSERT_EQ(0, ioeventfd(vm, efd, MMIO_GPA, 4, 0, 0));
	ASSERT_EQ(0, ioeventfd(vm, efd, PORT, 1, PIO, 0));
	close(efd);
	run_op(_metadata, vcpu, 0, 0);
	run_op(_metadata, vcpu, 1, 0);
	EXPECT_EQ(-EBADF, ioeventfd(vm, efd, MMIO_GPA, 4, DEASSIGN, 0));
	/* A new eventfd at the same number is another context. */
	ASSERT_EQ(efd, new_efd());
	EXPECT_EQ(-ENOENT, ioeventfd(vm, efd, MMIO_GPA, 4, DEASSIGN, 0));
	run_op(_metadata, vcpu, 2, 0);
	EXPECT_EQ(0U, efd_count(efd));
	run_done(_metadata, vcpu);
	close(efd);
	vm_free(vm);
}

static long meminfo_kb(const char *key)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			kb = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return kb;
}

#define LEAK_VMS	40
#define LEAK_FDS	250

/* One VM with LEAK_FDS ioeventfds (their fds closed), then destroyed. */
static void vm_with_ioeventfds(struct __test_metadata *_metadata)
{
	struct kvm_vm *vm = vm_create();
	int i;

	for (i = 0; i < LEAK_FDS; i++) {
		int efd = new_efd();

		ASSERT_LE(0, efd);
		ASSERT_EQ(0, ioeventfd(vm, efd, MMIO_GPA + 8 * i, 4,
				       i & 1 ? PIO : 0, 0));
		close(efd);
	}
	vm_free(vm);
}

/*
 * VMs destroyed with ioeventfds registered drop every eventfd context:
 * 10,000 leaked contexts and registrations (at least 100 bytes each)
 * would show as a megabyte of unreclaimable slab.
 */
TEST(vm_destroyed_with_ioeventfds_leaks_nothing)
{
	long before, after;
	int i;

	TEST_REQUIRE_KVM();
	vm_with_ioeventfds(_metadata);	/* warm the caches up */
	before = meminfo_kb("SUnreclaim:");
	for (i = 0; i < LEAK_VMS; i++)
		vm_with_ioeventfds(_metadata);
	after = meminfo_kb("SUnreclaim:");
	ASSERT_LT(0, before);
	EXPECT_LT(after - before, (long)LEAK_VMS * LEAK_FDS * 100 / 1024 / 2)
		TH_LOG("SUnreclaim %ld kB -> %ld kB", before, after);
}

/*
 * Coalesced MMIO/PIO
 */

#define ZONE_GPA	(MMIO_GPA + 0x10000)

static struct kvm_coalesced_mmio_ring *ring_of(struct kvm_vcpu *vcpu)
{
	return (void *)((u8 *)vcpu->run +
			KVM_COALESCED_MMIO_PAGE_OFFSET * host_page_size());
}

static int coalesced(struct kvm_vm *vm, bool reg, u64 addr, u32 size, u32 pio)
{
	struct kvm_coalesced_mmio_zone z = {
		.addr = addr, .size = size, .pio = pio,
	};

	return ioctl(vm->fd, reg ? KVM_REGISTER_COALESCED_MMIO :
			     KVM_UNREGISTER_COALESCED_MMIO, &z) ? -errno : 0;
}

/*
 * Registration changing under a running guest: the main thread assigns
 * and deassigns (an ioeventfd, or a coalesced zone) again and again while
 * the vCPU writes RACE_WRITES values.  Each write must be seen exactly
 * once, in order: as an eventfd signal or ring entry, or as an exit.
 */
#define RACE_WRITES	20000

struct race {
	struct kvm_vcpu *vcpu;
	long long prev;		/* the last value seen */
	u64 seen;		/* writes seen as ring entries or exits */
	u64 exits;
	bool bad_order;
	bool done;		/* READ_ONCE/WRITE_ONCE: the threads share it */
};

/* Values must come in increasing order, each once. */
static void race_saw(struct race *r, u32 val)
{
	if ((long long)val <= r->prev)
		r->bad_order = true;
	r->prev = val;
	r->seen++;
}

/* Take the ring's entries (they precede the exit being handled). */
static void race_drain(struct race *r, struct kvm_coalesced_mmio_ring *ring)
{
	u32 first = ring->first, last = ring->last;

	for (; first != last; first = (first + 1) % KVM_COALESCED_MMIO_MAX)
		race_saw(r, *(u32 *)ring->coalesced_mmio[first].data);
	ring->first = last;
}

static void *race_vcpu(void *arg)
{
	struct race *r = arg;
	struct kvm_coalesced_mmio_ring *ring = ring_of(r->vcpu);
	struct ucall uc;

	for (;;) {
		if (__vcpu_run(r->vcpu))
			break;
		race_drain(r, ring);
		if (get_ucall(r->vcpu, &uc) != UCALL_NONE ||
		    r->vcpu->run->exit_reason != KVM_EXIT_MMIO)
			break;
		race_saw(r, *(u32 *)r->vcpu->run->mmio.data);
		r->exits++;
	}
	WRITE_ONCE(r->done, true);
	return NULL;
}

static void race(struct __test_metadata *_metadata, bool zone)
{
	const struct guest_op list[] = {
		{ OP_MMIO_W_N, MMIO_GPA, 4, RACE_WRITES },
		{ OP_END },
	};
	struct race r = { .prev = -1 };
	pthread_t thread;
	struct kvm_vm *vm;
	u64 signals = 0;
	int efd, toggles = 0;

	vm = vm_with_ops(list, &r.vcpu);
	ASSERT_LE(0, efd = new_efd());
	ASSERT_EQ(0, pthread_create(&thread, NULL, race_vcpu, &r));
	while (!READ_ONCE(r.done)) {
		if (zone) {
			ASSERT_EQ(0, coalesced(vm, true, MMIO_GPA, 4, 0));
			ASSERT_EQ(0, coalesced(vm, false, MMIO_GPA, 4, 0));
		} else {
			ASSERT_EQ(0, ioeventfd(vm, efd, MMIO_GPA, 4, 0, 0));
			ASSERT_EQ(0, ioeventfd(vm, efd, MMIO_GPA, 4, DEASSIGN, 0));
		}
		toggles++;
	}
	ASSERT_EQ(0, pthread_join(thread, NULL));
	signals = efd_count(efd);
	EXPECT_EQ((u64)RACE_WRITES, r.seen + signals)
		TH_LOG("%llu exits, %llu seen, %llu signals, %d toggles",
		       (unsigned long long)r.exits,
		       (unsigned long long)r.seen,
		       (unsigned long long)signals, toggles);
	EXPECT_FALSE(r.bad_order);
	EXPECT_LT(0, toggles);
	TH_LOG("%llu writes exited, %llu signalled or coalesced, %d toggles",
	       (unsigned long long)r.exits,
	       (unsigned long long)(RACE_WRITES - r.exits), toggles);
	close(efd);
	vm_free(vm);
}

TEST(ioeventfd_toggled_while_the_guest_writes)
{
	TEST_REQUIRE_KVM();
	race(_metadata, false);
}

TEST(coalesced_zone_toggled_while_the_guest_writes)
{
	TEST_REQUIRE_KVM();
	race(_metadata, true);
}

static void expect_entry(struct __test_metadata *_metadata,
			 struct kvm_coalesced_mmio_ring *ring, u32 i,
			 u64 addr, u32 len, u64 data, u32 pio)
{
	struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[i];
	u64 got = 0;

	memcpy(&got, e->data, len);
	EXPECT_EQ(addr, e->phys_addr) TH_LOG("entry %u", i);
	EXPECT_EQ(len, e->len) TH_LOG("entry %u", i);
	EXPECT_EQ(data, got) TH_LOG("entry %u", i);
	EXPECT_EQ(pio, e->pio) TH_LOG("entry %u", i);
}

TEST(coalesced_writes_land_in_the_ring)
{
	static const struct guest_op list[] = {
		{ OP_MMIO_W, ZONE_GPA, 1, 0x11 },
		{ OP_MMIO_W, ZONE_GPA + 0x10, 2, 0x2233 },
		{ OP_MMIO_W, ZONE_GPA + 0x20, 4, 0x44556677 },
		{ OP_MMIO_W, ZONE_GPA + 0x7f8, 8, 0x8899aabbccddeeffULL },
		{ OP_MMIO_R, ZONE_GPA, 4, 0 },		/* reads exit */
		{ OP_MMIO_W, ZONE_GPA + 0x7fe, 4, 1 },	/* leaves the zone */
		{ OP_MMIO_W, ZONE_GPA + 0x800, 1, 1 },	/* past it */
		{ OP_OUT, PORT, 1, 0x12 },
		{ OP_OUT, PORT + 2, 2, 0x3456 },
		{ OP_OUT, PORT + 4, 1, 0x78 },		/* past the PIO zone */
		{ OP_END },
	};
	long page = host_page_size();
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i;

	TEST_REQUIRE_KVM();
	ASSERT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET,
		  kvm_check_cap(KVM_CAP_COALESCED_MMIO));
	ASSERT_LT(0, kvm_check_cap(KVM_CAP_COALESCED_PIO));
	vm = vm_with_ops(list, &vcpu);
	ASSERT_LE((KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * page, vm->run_size);
	ring = ring_of(vcpu);
	ASSERT_EQ(0, coalesced(vm, true, ZONE_GPA, 0x800, 0));
	ASSERT_EQ(0, coalesced(vm, true, PORT, 4, 1));
	EXPECT_EQ(0U, ring->first);
	EXPECT_EQ(0U, ring->last);

	for (i = 0; i < 4; i++)
		run_op(_metadata, vcpu, i, 0);
	EXPECT_EQ(0U, ring->first);
	EXPECT_EQ(4U, ring->last);
	expect_entry(_metadata, ring, 0, ZONE_GPA, 1, 0x11, 0);
	expect_entry(_metadata, ring, 1, ZONE_GPA + 0x10, 2, 0x2233, 0);
	expect_entry(_metadata, ring, 2, ZONE_GPA + 0x20, 4, 0x44556677, 0);
	expect_entry(_metadata, ring, 3, ZONE_GPA + 0x7f8, 8,
		     0x8899aabbccddeeffULL, 0);
	run_exit(_metadata, vcpu, KVM_EXIT_MMIO);
	EXPECT_FALSE(vcpu->run->mmio.is_write);
	run_op(_metadata, vcpu, 4, 0);
	run_op(_metadata, vcpu, 5, KVM_EXIT_MMIO);
	run_op(_metadata, vcpu, 6, KVM_EXIT_MMIO);
	EXPECT_EQ(4U, ring->last);
	run_op(_metadata, vcpu, 7, 0);
	run_op(_metadata, vcpu, 8, 0);
	run_op(_metadata, vcpu, 9, KVM_EXIT_IO);
	EXPECT_EQ(6U, ring->last);
	expect_entry(_metadata, ring, 4, PORT, 1, 0x12, 1);
	expect_entry(_metadata, ring, 5, PORT + 2, 2, 0x3456, 1);
	run_done(_metadata, vcpu);
	vm_free(vm);
}

/*
 * A full ring sends the write to userspace.  The VMM drains the ring at
 * each exit; every write then shows up exactly once, in order, in the
 * ring or as an exit.  Kestrel holds KVM_COALESCED_MMIO_MAX - 1 entries
 * (one slot stays free to tell full from empty); stock 6.1 declares the
 * ring full early when an unsigned index difference wraps (its
 * coalesced_mmio_has_room(), fixed in Linux 6.11), so there only the
 * order and completeness are checked.
 */
TEST(coalesced_ring_full_exits)
{
	const u32 max = KVM_COALESCED_MMIO_MAX;
	const struct guest_op list[] = {
		{ OP_MMIO_W_N, ZONE_GPA, 4, max + 5 },
		{ OP_END },
	};
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 next = 0, exits = 0;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_with_ops(list, &vcpu);
	ring = ring_of(vcpu);
	ASSERT_EQ(0, coalesced(vm, true, ZONE_GPA, 4, 0));
	for (;;) {
		u32 first = ring->first, last = ring->last, held = 0;

		ASSERT_EQ(0, __vcpu_run(vcpu));
		last = ring->last;
		for (; first != last; first = (first + 1) % max, held++)
			expect_entry(_metadata, ring, first, ZONE_GPA, 4,
				     next++, 0);
		ring->first = last;
		if (get_ucall(vcpu, &uc) != UCALL_NONE)
			break;
		ASSERT_EQ((u32)KVM_EXIT_MMIO, vcpu->run->exit_reason);
		EXPECT_EQ(ZONE_GPA, vcpu->run->mmio.phys_addr);
		EXPECT_EQ(next++, *(u32 *)vcpu->run->mmio.data);
		if (!exits++ && kmod_loaded("kestrel"))
			EXPECT_EQ(max - 1, held);
		ASSERT_GE(max + 5, next);
	}
	EXPECT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	EXPECT_EQ(max + 5, next);
	EXPECT_LE(1U, exits);
	run_done(_metadata, vcpu);
	vm_free(vm);
}

/*
 * The ring's indices are userspace's to scribble on: a `last` outside the
 * ring must not make the kernel write outside it (the write exits); a
 * `first` outside it, whatever the kernel makes of it, must not either.
 */
TEST(coalesced_ring_indices_from_userspace)
{
	const struct guest_op list[] = {
		{ OP_MMIO_W, ZONE_GPA, 4, 1 },
		{ OP_MMIO_W, ZONE_GPA, 4, 2 },
		{ OP_MMIO_W, ZONE_GPA, 4, 3 },
		{ OP_MMIO_W, ZONE_GPA, 4, 4 },
		{ OP_END },
	};
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	TEST_REQUIRE_KVM();
	vm = vm_with_ops(list, &vcpu);
	ring = ring_of(vcpu);
	ASSERT_EQ(0, coalesced(vm, true, ZONE_GPA, 4, 0));
	ring->last = 0xffffffffU;
	run_op(_metadata, vcpu, 0, KVM_EXIT_MMIO);
	ring->last = KVM_COALESCED_MMIO_MAX;
	run_op(_metadata, vcpu, 1, KVM_EXIT_MMIO);
	ring->last = 0;
	ring->first = 0x7fffffffU;
	ASSERT_EQ(0, __vcpu_run(vcpu));
	if (get_ucall(vcpu, &uc) == UCALL_NONE) {
		ASSERT_EQ((u32)KVM_EXIT_MMIO, vcpu->run->exit_reason);
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	}
	EXPECT_EQ(2U, uc.args[0]);
	EXPECT_GT((u32)KVM_COALESCED_MMIO_MAX, ring->last);
	ring->first = 0;
	ring->last = 0;
	run_op(_metadata, vcpu, 3, 0);
	EXPECT_EQ(1U, ring->last);
	expect_entry(_metadata, ring, 0, ZONE_GPA, 4, 4, 0);
	run_done(_metadata, vcpu);
	vm_free(vm);
}

TEST(coalesced_unregister)
{
	static const struct guest_op list[] = {
		{ OP_MMIO_W, ZONE_GPA, 4, 1 },
		{ OP_MMIO_W, ZONE_GPA, 4, 2 },
		{ OP_MMIO_W, ZONE_GPA + 0x2000, 4, 3 },
		{ OP_MMIO_W, ZONE_GPA + 0x2000, 4, 4 },
		{ OP_END },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_with_ops(list, &vcpu);
	ASSERT_EQ(0, coalesced(vm, true, ZONE_GPA, 0x1000, 0));
	ASSERT_EQ(0, coalesced(vm, true, ZONE_GPA + 0x2000, 0x100, 0));
	run_op(_metadata, vcpu, 0, 0);
	/* A range inside the zone removes the zone (KVM's rule). */
	EXPECT_EQ(0, coalesced(vm, false, ZONE_GPA + 0x10, 4, 0));
	run_op(_metadata, vcpu, 1, KVM_EXIT_MMIO);
	/*
	 * A range around a zone, or of the other kind, removes nothing,
	 * and still succeeds.
	 */
	EXPECT_EQ(0, coalesced(vm, false, ZONE_GPA + 0x1000, 0x10000, 0));
	EXPECT_EQ(0, coalesced(vm, false, ZONE_GPA + 0x2000, 4, 1));
	run_op(_metadata, vcpu, 2, 0);
	EXPECT_EQ(0, coalesced(vm, false, ZONE_GPA + 0x2000, 0x100, 0));
	run_op(_metadata, vcpu, 3, KVM_EXIT_MMIO);
	EXPECT_EQ(2U, ring_of(vcpu)->last);
	run_done(_metadata, vcpu);
	vm_free(vm);
}

/*
 * pio must be 0 or 1; 1000 devices per bus, ioeventfds not counted
 * (KVM's NR_IOBUS_DEVS, -ENOSPC).
 */
TEST(coalesced_errno_and_limit)
{
	struct kvm_coalesced_mmio_zone z = { .addr = ZONE_GPA, .size = 4 };
	struct kvm_vm *vm;
	int i, r = 0, efd;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	z.pio = 2;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, &z));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, &z));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* Nothing to remove is not an error. */
	EXPECT_EQ(0, coalesced(vm, false, ZONE_GPA, 4, 0));

	for (i = 0; i < 1000; i++) {
		r = coalesced(vm, true, ZONE_GPA + 8 * i, 4, 0);
		if (r)
			break;
	}
	EXPECT_EQ(1000, i) TH_LOG("zone %d: %s", i, strerror(-r));
	EXPECT_EQ(-ENOSPC, coalesced(vm, true, ZONE_GPA + 0x100000, 4, 0));
	/* Nor does an ioeventfd fit then, though ioeventfds do not count. */
	ASSERT_LE(0, efd = new_efd());
	EXPECT_EQ(-ENOSPC, ioeventfd(vm, efd, ZONE_GPA + 0x100000, 4, 0, 0));
	/* The PIO bus has its own count. */
	EXPECT_EQ(0, coalesced(vm, true, PORT, 4, 1));
	vm_free(vm);

	/* 1001 ioeventfds on a bus leave room for other devices. */
	vm = vm_create();
	for (i = 0; i < 1001; i++) {
		r = ioeventfd(vm, efd, MMIO_GPA + 8 * i, 4, 0, 0);
		if (r)
			break;
	}
	EXPECT_EQ(1001, i) TH_LOG("ioeventfd %d: %s", i, strerror(-r));
	EXPECT_EQ(0, coalesced(vm, true, ZONE_GPA, 4, 0));
	close(efd);
	vm_free(vm);
}

TEST_HARNESS_MAIN
