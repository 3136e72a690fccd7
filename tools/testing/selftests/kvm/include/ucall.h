/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucalls: guest-to-host reports through port I/O.
 *
 * The guest fills a struct ucall in its memory and executes
 * "out %eax, %dx" with DX = UCALL_PORT and RDI = the struct's guest
 * physical address (guests built by processor.h map memory identity, so
 * the virtual address is the physical one; outside long mode only EDI
 * counts).  That exits to the host as KVM_EXIT_IO, direction out, port
 * UCALL_PORT; get_ucall() reads the struct back.  The next KVM_RUN
 * continues after the OUT.
 *
 * Guest side (C, long mode):
 *	GUEST_SYNC(n)		report progress n; the host checks args[0]
 *	GUEST_SYNC_ARGS(n, a, b, c)	n and three values
 *	GUEST_ASSERT(cond)	if false: UCALL_ABORT with file, line, text
 *	GUEST_ASSERT_EQ(a, b)	if a != b: UCALL_ABORT, also with both values
 *	GUEST_DONE()		the guest finished
 * (an exception in a long-mode guest reports UCALL_UNHANDLED with the
 * vector, error code and RIP in args[0..2]).
 *
 * Guest side (assembly, any mode): GUEST_ASM_UCALL() in x86_64/processor.h.
 *
 * Host side:
 *	vcpu_run(vcpu);
 *	cmd = get_ucall(vcpu, &uc);	UCALL_NONE if the exit is no ucall
 * or, in one step, vcpu_run_ucall(vcpu, &uc).  Both print a guest's
 * assertion failure or exception as TAP comments when they see one.
 */
#ifndef SELFTEST_KVM_UCALL_H
#define SELFTEST_KVM_UCALL_H

#include "kvm_util.h"

#define UCALL_PORT	0x1000

/* Plain numbers: assembly guests use them too. */
#define UCALL_NONE	0	/* not a ucall (host side only) */
#define UCALL_SYNC	1
#define UCALL_ABORT	2	/* GUEST_ASSERT*() failed */
#define UCALL_DONE	3
#define UCALL_UNHANDLED	4	/* exception: vector, error code, RIP */

#define UCALL_MAX_ARGS	4

struct ucall {
	u64 cmd;
	u64 args[UCALL_MAX_ARGS];
	/*
	 * UCALL_ABORT: source file, line and condition text.  The guest
	 * stores its pointers; get_ucall() turns them into host pointers to
	 * the same strings (NULL if they do not point into guest memory).
	 */
	const char *file;
	const char *text;
	u64 line;
};

/* Guest side. */
void ucall(u64 cmd, u64 arg0, u64 arg1, u64 arg2, u64 arg3);
void ucall_assert(const char *file, int line, const char *text, u64 a,
		  u64 b);

#define GUEST_SYNC(n)		ucall(UCALL_SYNC, (n), 0, 0, 0)
#define GUEST_SYNC_ARGS(n, a, b, c)					\
	ucall(UCALL_SYNC, (n), (u64)(a), (u64)(b), (u64)(c))
#define GUEST_DONE()		ucall(UCALL_DONE, 0, 0, 0, 0)
#define GUEST_ASSERT(cond)						\
	do {								\
		if (!(cond))						\
			ucall_assert(__FILE__, __LINE__, #cond, 0, 0);	\
	} while (0)
#define GUEST_ASSERT_EQ(a, b)						\
	do {								\
		u64 __a = (u64)(a), __b = (u64)(b);	\
									\
		if (__a != __b)						\
			ucall_assert(__FILE__, __LINE__, #a " == " #b,	\
				     __a, __b);				\
	} while (0)

/*
 * Host side.  get_ucall() looks at the last exit of @vcpu: for a ucall it
 * copies the struct into @uc (may be NULL) and returns its cmd; for
 * anything else it returns UCALL_NONE (and zeroes @uc).
 */
int get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
/* vcpu_run() then get_ucall(); also prints a non-ucall exit. */
int vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);

#endif /* SELFTEST_KVM_UCALL_H */
