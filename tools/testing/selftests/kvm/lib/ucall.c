// SPDX-License-Identifier: GPL-2.0
/*
 * ucalls, guest and host side; see ucall.h.
 *
 * The guest half runs inside guests: it must not call libc.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "ucall.h"

void ucall(u64 cmd, u64 arg0, u64 arg1, u64 arg2, u64 arg3)
{
	struct ucall uc;

	uc.cmd = cmd;
	uc.args[0] = arg0;
	uc.args[1] = arg1;
	uc.args[2] = arg2;
	uc.args[3] = arg3;
	uc.file = NULL;
	uc.text = NULL;
	uc.line = 0;
	__asm__ __volatile__("outl %%eax, %%dx"
			     : : "a"(0), "d"(UCALL_PORT), "D"(&uc) : "memory");
}

void ucall_assert(const char *file, int line, const char *text, u64 a,
		  u64 b)
{
	struct ucall uc;

	uc.cmd = UCALL_ABORT;
	uc.args[0] = a;
	uc.args[1] = b;
	uc.args[2] = 0;
	uc.args[3] = 0;
	uc.file = file;
	uc.text = text;
	uc.line = line;
	__asm__ __volatile__("outl %%eax, %%dx"
			     : : "a"(0), "d"(UCALL_PORT), "D"(&uc) : "memory");
}

/* A NUL-terminated string at guest address @p, as a host pointer. */
static const char *guest_string(struct kvm_vm *vm, const char *p)
{
	const char *s;
	int i;

	for (i = 0; p && i < 4096; i++) {
		s = __addr_gpa2hva(vm, (uintptr_t)p + i, 1);
		if (!s)
			return NULL;
		if (!*s)
			return __addr_gpa2hva(vm, (uintptr_t)p, 1);
	}
	return NULL;
}

int get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_vm *vm = vcpu->vm;
	struct ucall tmp;
	struct kvm_regs regs;
	u64 gpa;

	if (!uc)
		uc = &tmp;
	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != UCALL_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT)
		return UCALL_NONE;

	vcpu_regs_get(vcpu, &regs);
	gpa = regs.rdi;
	if (vm->mode != GUEST_MODE_LONG64)
		gpa &= 0xffffffffULL;
	vm_read_mem(vm, gpa, uc, sizeof(*uc));
	uc->file = guest_string(vm, uc->file);
	uc->text = guest_string(vm, uc->text);

	if (uc->cmd == UCALL_ABORT)
		fprintf(stderr, "# vCPU %u: guest assertion %s:%llu: %s (%#llx, %#llx)\n",
			vcpu->id, uc->file ? uc->file : "?",
			uc->line,
			uc->text ? uc->text : "?",
			uc->args[0],
			uc->args[1]);
	else if (uc->cmd == UCALL_UNHANDLED)
		fprintf(stderr, "# vCPU %u: guest exception %llu, error code %#llx, at RIP %#llx\n",
			vcpu->id, uc->args[0],
			uc->args[1],
			uc->args[2]);
	return (int)uc->cmd;
}

int vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	int cmd;

	vcpu_run(vcpu);
	cmd = get_ucall(vcpu, uc);
	if (cmd == UCALL_NONE) {
		fprintf(stderr, "# vCPU %u: %s (%u) where a ucall was expected",
			vcpu->id, exit_reason_str(run->exit_reason),
			run->exit_reason);
		if (run->exit_reason == KVM_EXIT_IO)
			fprintf(stderr, ": port %#x", run->io.port);
		if (run->exit_reason == KVM_EXIT_MMIO)
			fprintf(stderr, ": gpa %#llx",
				run->mmio.phys_addr);
		if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			fprintf(stderr, ": reason %#llx",
				run->fail_entry.hardware_entry_failure_reason);
		fprintf(stderr, "\n");
	}
	return cmd;
}
