/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMs, vCPUs and guest memory through the KVM ioctl API of <linux/kvm.h>
 * (Documentation/virt/kvm/api.rst), for selftests.
 *
 * The usual flow:
 *
 *	vm = vm_create();			KVM_CREATE_VM, type 0
 *	hva = vm_add_memslot(vm, 0, gpa, size, 0);
 *						anonymous memory as a memslot
 *	vcpu = vm_vcpu_add(vm, 0);		KVM_CREATE_VCPU, kvm_run mapped
 *	vcpu_sregs_get(vcpu, &sregs); ...; vcpu_sregs_set(vcpu, &sregs);
 *	vcpu_run(vcpu);				KVM_RUN, must return 0
 *	... vcpu->run->exit_reason ...
 *	vm_free(vm);				closes and unmaps everything
 *
 * x86 guests that are ready to run (real mode, 32-bit protected mode,
 * 64-bit long mode running C code of the test binary) are built by
 * x86_64/processor.h; guest-to-host reports by ucall.h.
 *
 * Naming: a function whose name starts with "__" returns 0 (or a result)
 * or -errno and leaves the judgement to the caller; the same name without
 * the underscores asserts success with TEST_ASSERT(), which prints where
 * and why (with the errno text) and ends the test as failed.
 */
#ifndef SELFTEST_KVM_UTIL_H
#define SELFTEST_KVM_UTIL_H

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The kernel's integer types (asm-generic/int-ll64.h) and helpers. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;

#ifndef BIT
#define BIT(n)		(1UL << (n))
#endif
#ifndef BIT_ULL
#define BIT_ULL(n)	(1ULL << (n))
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
/*
 * One access of exactly the object's size, never merged, split or
 * omitted by the compiler: for memory shared with the host or another
 * vCPU, and for MMIO from guest code.
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/*
 * TEST_ASSERT(cond, fmt, ...): when @cond is false, print the file, line,
 * the condition, the printf-style message and errno with its text (as TAP
 * comment lines), then end the process with exit status 1, which the
 * kselftest harness reports as a failed test.  Usable from any thread.
 */
#define TEST_ASSERT(cond, fmt, ...)					\
	do {								\
		if (!(cond)) {						\
			test_assert_begin(__FILE__, __LINE__, #cond);	\
			fprintf(stderr, "# " fmt "\n", ##__VA_ARGS__);	\
			test_assert_end();				\
		}							\
	} while (0)

/* TEST_ASSERT()'s halves: save errno and print where; print errno, exit. */
void test_assert_begin(const char *file, int line, const char *cond);
noreturn void test_assert_end(void);

/* ioctl() that must succeed; evaluates to its non-negative result. */
#define kvm_ioctl(fd, cmd, arg)						\
	({								\
		int __r = ioctl(fd, cmd, arg);				\
		TEST_ASSERT(__r >= 0, "%s failed", #cmd);		\
		__r;							\
	})

#define KVM_DEV_PATH		"/dev/kvm"

/* The most memslots a struct kvm_vm keeps track of. */
#define VM_MAX_MEMSLOTS		16
/* The most vCPUs a struct kvm_vm keeps track of. */
#define VM_MAX_VCPUS		64

enum guest_mode {
	GUEST_MODE_NONE,		/* vm_create(): nothing set up */
	GUEST_MODE_REAL,		/* real mode */
	GUEST_MODE_PROT32,		/* 32-bit protected mode, no paging */
	GUEST_MODE_PROT32_PAGING,	/* 32-bit protected mode, 2-level paging */
	GUEST_MODE_LONG64,		/* 64-bit long mode, 4-level paging */
};

/* One memslot of a VM, as vm_add_memslot() registered it. */
struct vm_memslot {
	u32 slot;		/* kvm_userspace_memory_region.slot */
	u32 flags;		/* KVM_MEM_* */
	u64 gpa;		/* guest physical base */
	u64 size;		/* bytes, page multiple */
	void *hva;		/* backing: anonymous private mapping */
};

struct kvm_vm {
	int kvm_fd;		/* /dev/kvm */
	int fd;			/* the VM */
	int run_size;		/* KVM_GET_VCPU_MMAP_SIZE */
	enum guest_mode mode;	/* what processor.c set up, if anything */
	int nr_memslots;
	struct vm_memslot memslots[VM_MAX_MEMSLOTS];
	int nr_vcpus;
	struct kvm_vcpu *vcpus[VM_MAX_VCPUS];
};

struct kvm_vcpu {
	struct kvm_vm *vm;
	u32 id;		/* the KVM_CREATE_VCPU argument */
	int fd;
	struct kvm_run *run;	/* vm->run_size bytes mapped from fd */
};

/* /dev/kvm */
int kvm_open(void);					/* asserts */
/* /dev/kvm can be opened (else false, with errno saying why). */
bool kvm_available(void);

/*
 * For kselftest_harness tests, first in a TEST() or FIXTURE_SETUP: skip
 * the test, saying why, when /dev/kvm cannot be opened (no KVM module
 * loaded: e.g. in the emulated host's variants without SVM).  Like
 * SKIP_FIXTURE() of test_util.h, it ends the test's process with the
 * harness's skip status, so neither the rest nor a teardown runs.
 */
#define TEST_REQUIRE_KVM()						\
	do {								\
		if (!kvm_available())					\
			SKIP(_exit(255), "%s: %s", KVM_DEV_PATH,	\
			     strerror(errno));				\
	} while (0)
/* KVM_CHECK_EXTENSION on /dev/kvm; 0 for "no" or on error. */
int kvm_check_cap(long cap);
long host_page_size(void);

/* VMs */
struct kvm_vm *vm_create(void);			/* KVM_CREATE_VM type 0 */
void vm_free(struct kvm_vm *vm);
int vm_check_cap(struct kvm_vm *vm, long cap);	/* on the VM fd */

/*
 * Memslots.  vm_add_memslot() maps @size bytes of anonymous private memory
 * (zero-filled; MADV_DONTNEED gives zero pages back) and registers it as
 * memslot @slot at @gpa with KVM_MEM_* @flags; returns the host address.
 * __vm_set_user_memory_region() is the raw ioctl (0 or -errno) and keeps
 * no records; vm_set_user_memory_region() asserts it succeeds.
 */
void *vm_add_memslot(struct kvm_vm *vm, u32 slot, u64 gpa,
		     u64 size, u32 flags);
int __vm_set_user_memory_region(struct kvm_vm *vm, u32 slot, u32 flags,
				u64 gpa, u64 size, void *hva);
void vm_set_user_memory_region(struct kvm_vm *vm, u32 slot, u32 flags,
			       u64 gpa, u64 size, void *hva);
/* Move a vm_add_memslot() slot to @new_gpa (same backing), or delete it. */
void vm_memslot_move(struct kvm_vm *vm, u32 slot, u64 new_gpa);
void vm_memslot_delete(struct kvm_vm *vm, u32 slot);
struct vm_memslot *vm_memslot_find(struct kvm_vm *vm, u32 slot);

/*
 * Guest physical memory from the host, through the memslots' backing.
 * __addr_gpa2hva() returns NULL when [gpa, gpa + len) is not inside one
 * memslot; addr_gpa2hva() asserts it is (len 1).
 */
void *__addr_gpa2hva(struct kvm_vm *vm, u64 gpa, u64 len);
void *addr_gpa2hva(struct kvm_vm *vm, u64 gpa);
void vm_write_mem(struct kvm_vm *vm, u64 gpa, const void *src, size_t len);
void vm_read_mem(struct kvm_vm *vm, u64 gpa, void *dst, size_t len);

/* vCPUs */
struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, u32 id);
/* KVM_RUN: __vcpu_run() returns 0 or -errno; vcpu_run() asserts 0. */
int vcpu_msr_set(struct kvm_vcpu *vcpu, u32 index, u64 data);
int vcpu_msr_get(struct kvm_vcpu *vcpu, u32 index, u64 *data);
int __vcpu_run(struct kvm_vcpu *vcpu);
void vcpu_run(struct kvm_vcpu *vcpu);
void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
void vcpu_regs_set(struct kvm_vcpu *vcpu, const struct kvm_regs *regs);
void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
int __vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);
void vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);

/* "KVM_EXIT_IO" for 2, etc.; "KVM_EXIT_?" for unknown values. */
const char *exit_reason_str(u32 reason);

/*
 * Run @vcpu once and assert KVM_RUN succeeded with exit @reason; prints
 * the exit it got otherwise (including KVM_EXIT_FAIL_ENTRY and internal
 * error details).
 */
void vcpu_run_expect_exit(struct kvm_vcpu *vcpu, u32 reason);

/*
 * On the VM vm_fd, map one page at guest physical 0 holding a HLT, create
 * vCPU 0 in real mode at 0:0 and run it.  Returns the kvm_run exit reason,
 * or a negative errno if an ioctl failed.  Self-contained: used by
 * module_load_test to check /dev/kvm works after (re)loads.
 */
int kvm_run_hlt_guest(int kvm_fd, int vm_fd);

#endif /* SELFTEST_KVM_UTIL_H */
