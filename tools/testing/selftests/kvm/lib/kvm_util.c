// SPDX-License-Identifier: GPL-2.0
/*
 * VMs, vCPUs and guest memory through the KVM ioctl API; see kvm_util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

static __thread int assert_errno;

void test_assert_begin(const char *file, int line, const char *cond)
{
	assert_errno = errno;
	fflush(stdout);
	fprintf(stderr, "# %s:%d: assertion \"%s\" failed\n", file, line,
		cond);
}

void test_assert_end(void)
{
	fprintf(stderr, "# errno %d (%s)\n", assert_errno,
		strerror(assert_errno));
	fflush(stderr);
	_exit(1);
}

long host_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

int kvm_open(void)
{
	int fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);

	TEST_ASSERT(fd >= 0, "open %s", KVM_DEV_PATH);
	return fd;
}

bool kvm_available(void)
{
	int fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int kvm_check_cap(long cap)
{
	int fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0)
		return 0;
	r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	close(fd);
	return r < 0 ? 0 : r;
}

struct kvm_vm *vm_create(void)
{
	struct kvm_vm *vm = calloc(1, sizeof(*vm));

	TEST_ASSERT(vm, "calloc");
	vm->kvm_fd = kvm_open();
	vm->fd = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	vm->run_size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT(vm->run_size >= (int)sizeof(struct kvm_run),
		    "KVM_GET_VCPU_MMAP_SIZE %d is too small", vm->run_size);
	vm->mode = GUEST_MODE_NONE;
	return vm;
}

void vm_free(struct kvm_vm *vm)
{
	int i;

	if (!vm)
		return;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct kvm_vcpu *vcpu = vm->vcpus[i];

		munmap(vcpu->run, vm->run_size);
		close(vcpu->fd);
		free(vcpu);
	}
	close(vm->fd);
	close(vm->kvm_fd);
	/* The VM is gone, so its memslots no longer use the backing. */
	for (i = 0; i < vm->nr_memslots; i++)
		munmap(vm->memslots[i].hva, vm->memslots[i].size);
	free(vm);
}

int vm_check_cap(struct kvm_vm *vm, long cap)
{
	int r = ioctl(vm->fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int __vm_set_user_memory_region(struct kvm_vm *vm, u32 slot, u32 flags,
				u64 gpa, u64 size, void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) ? -errno : 0;
}

void vm_set_user_memory_region(struct kvm_vm *vm, u32 slot, u32 flags,
			       u64 gpa, u64 size, void *hva)
{
	int r = __vm_set_user_memory_region(vm, slot, flags, gpa, size, hva);

	errno = -r;
	TEST_ASSERT(!r, "KVM_SET_USER_MEMORY_REGION slot %u flags %#x gpa %#llx size %#llx hva %p",
		    slot, flags, gpa,
		    size, hva);
}

struct vm_memslot *vm_memslot_find(struct kvm_vm *vm, u32 slot)
{
	int i;

	for (i = 0; i < vm->nr_memslots; i++)
		if (vm->memslots[i].slot == slot)
			return &vm->memslots[i];
	return NULL;
}

void *vm_add_memslot(struct kvm_vm *vm, u32 slot, u64 gpa,
		     u64 size, u32 flags)
{
	struct vm_memslot *ms;
	void *hva;

	TEST_ASSERT(vm->nr_memslots < VM_MAX_MEMSLOTS, "too many memslots");
	TEST_ASSERT(!vm_memslot_find(vm, slot), "slot %u already added", slot);
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(hva != MAP_FAILED, "mmap %#llx bytes",
		    size);
	vm_set_user_memory_region(vm, slot, flags, gpa, size, hva);
	ms = &vm->memslots[vm->nr_memslots++];
	ms->slot = slot;
	ms->flags = flags;
	ms->gpa = gpa;
	ms->size = size;
	ms->hva = hva;
	return hva;
}

void vm_memslot_move(struct kvm_vm *vm, u32 slot, u64 new_gpa)
{
	struct vm_memslot *ms = vm_memslot_find(vm, slot);

	TEST_ASSERT(ms, "no slot %u", slot);
	vm_set_user_memory_region(vm, slot, ms->flags, new_gpa, ms->size,
				  ms->hva);
	ms->gpa = new_gpa;
}

void vm_memslot_delete(struct kvm_vm *vm, u32 slot)
{
	struct vm_memslot *ms = vm_memslot_find(vm, slot);

	TEST_ASSERT(ms, "no slot %u", slot);
	vm_set_user_memory_region(vm, slot, ms->flags, ms->gpa, 0, ms->hva);
	munmap(ms->hva, ms->size);
	*ms = vm->memslots[--vm->nr_memslots];
}

void *__addr_gpa2hva(struct kvm_vm *vm, u64 gpa, u64 len)
{
	int i;

	for (i = 0; i < vm->nr_memslots; i++) {
		struct vm_memslot *ms = &vm->memslots[i];

		if (gpa >= ms->gpa && len <= ms->size &&
		    gpa - ms->gpa <= ms->size - len)
			return (char *)ms->hva + (gpa - ms->gpa);
	}
	return NULL;
}

void *addr_gpa2hva(struct kvm_vm *vm, u64 gpa)
{
	void *hva = __addr_gpa2hva(vm, gpa, 1);

	TEST_ASSERT(hva, "gpa %#llx is in no memslot", gpa);
	return hva;
}

void vm_write_mem(struct kvm_vm *vm, u64 gpa, const void *src, size_t len)
{
	void *hva = __addr_gpa2hva(vm, gpa, len);

	TEST_ASSERT(hva, "gpa %#llx + %zu is not inside one memslot",
		    gpa, len);
	memcpy(hva, src, len);
}

void vm_read_mem(struct kvm_vm *vm, u64 gpa, void *dst, size_t len)
{
	void *hva = __addr_gpa2hva(vm, gpa, len);

	TEST_ASSERT(hva, "gpa %#llx + %zu is not inside one memslot",
		    gpa, len);
	memcpy(dst, hva, len);
}

struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, u32 id)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	TEST_ASSERT(vcpu, "calloc");
	TEST_ASSERT(vm->nr_vcpus < VM_MAX_VCPUS, "too many vCPUs");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	TEST_ASSERT(vcpu->fd >= 0, "KVM_CREATE_VCPU %u", id);
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap of vCPU %u", id);
	vm->vcpus[vm->nr_vcpus++] = vcpu;
	return vcpu;
}

/* One MSR through KVM_SET_MSRS/KVM_GET_MSRS: the ioctl's result (1 = done). */
int vcpu_msr_set(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e = { .index = index, .data = data } };

	return ioctl(vcpu->fd, KVM_SET_MSRS, &m);
}

int vcpu_msr_get(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e = { .index = index } };
	int r = ioctl(vcpu->fd, KVM_GET_MSRS, &m);

	*data = m.e.data;
	return r;
}

int __vcpu_run(struct kvm_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, 0) ? -errno : 0;
}

void vcpu_run(struct kvm_vcpu *vcpu)
{
	int r = __vcpu_run(vcpu);

	errno = -r;
	TEST_ASSERT(!r, "KVM_RUN of vCPU %u (exit_reason %s)", vcpu->id,
		    exit_reason_str(vcpu->run->exit_reason));
}

void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	kvm_ioctl(vcpu->fd, KVM_GET_REGS, regs);
}

void vcpu_regs_set(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	kvm_ioctl(vcpu->fd, KVM_SET_REGS, regs);
}

void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	kvm_ioctl(vcpu->fd, KVM_GET_SREGS, sregs);
}

int __vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return ioctl(vcpu->fd, KVM_SET_SREGS, sregs) ? -errno : 0;
}

void vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	kvm_ioctl(vcpu->fd, KVM_SET_SREGS, sregs);
}

const char *exit_reason_str(u32 reason)
{
	static const struct {
		u32 reason;
		const char *name;
	} names[] = {
		{ KVM_EXIT_UNKNOWN, "KVM_EXIT_UNKNOWN" },
		{ KVM_EXIT_EXCEPTION, "KVM_EXIT_EXCEPTION" },
		{ KVM_EXIT_IO, "KVM_EXIT_IO" },
		{ KVM_EXIT_HYPERCALL, "KVM_EXIT_HYPERCALL" },
		{ KVM_EXIT_DEBUG, "KVM_EXIT_DEBUG" },
		{ KVM_EXIT_HLT, "KVM_EXIT_HLT" },
		{ KVM_EXIT_MMIO, "KVM_EXIT_MMIO" },
		{ KVM_EXIT_IRQ_WINDOW_OPEN, "KVM_EXIT_IRQ_WINDOW_OPEN" },
		{ KVM_EXIT_SHUTDOWN, "KVM_EXIT_SHUTDOWN" },
		{ KVM_EXIT_FAIL_ENTRY, "KVM_EXIT_FAIL_ENTRY" },
		{ KVM_EXIT_INTR, "KVM_EXIT_INTR" },
		{ KVM_EXIT_SET_TPR, "KVM_EXIT_SET_TPR" },
		{ KVM_EXIT_TPR_ACCESS, "KVM_EXIT_TPR_ACCESS" },
		{ KVM_EXIT_NMI, "KVM_EXIT_NMI" },
		{ KVM_EXIT_INTERNAL_ERROR, "KVM_EXIT_INTERNAL_ERROR" },
		{ KVM_EXIT_SYSTEM_EVENT, "KVM_EXIT_SYSTEM_EVENT" },
		{ KVM_EXIT_IOAPIC_EOI, "KVM_EXIT_IOAPIC_EOI" },
		{ KVM_EXIT_X86_RDMSR, "KVM_EXIT_X86_RDMSR" },
		{ KVM_EXIT_X86_WRMSR, "KVM_EXIT_X86_WRMSR" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].reason == reason)
			return names[i].name;
	return "KVM_EXIT_?";
}

void vcpu_run_expect_exit(struct kvm_vcpu *vcpu, u32 reason)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	if (run->exit_reason == reason)
		return;
	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		fprintf(stderr, "# hardware_entry_failure_reason %#llx\n",
			run->fail_entry.hardware_entry_failure_reason);
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		fprintf(stderr, "# internal error suberror %u, %u data words\n",
			run->internal.suberror, run->internal.ndata);
	if (run->exit_reason == KVM_EXIT_IO)
		fprintf(stderr, "# io port %#x %s size %u count %u\n",
			run->io.port, run->io.direction ? "out" : "in",
			run->io.size, run->io.count);
	if (run->exit_reason == KVM_EXIT_MMIO)
		fprintf(stderr, "# mmio gpa %#llx len %u %s\n",
			run->mmio.phys_addr,
			run->mmio.len, run->mmio.is_write ? "write" : "read");
	errno = 0;
	TEST_ASSERT(run->exit_reason == reason,
		    "vCPU %u: exit_reason %s (%u), expected %s (%u)", vcpu->id,
		    exit_reason_str(run->exit_reason), run->exit_reason,
		    exit_reason_str(reason), reason);
}

int kvm_run_hlt_guest(int kvm_fd, int vm_fd)
{
	struct kvm_userspace_memory_region region = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 2 };
	struct kvm_run *run = MAP_FAILED;
	unsigned char *mem;
	int vcpu = -1, size = 0, r;

	mem = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	mem[0] = 0xf4;	/* hlt */
	region.memory_size = page;
	region.userspace_addr = (unsigned long)mem;

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		goto out_errno;
	size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vcpu = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (size < 0 || vcpu < 0)
		goto out_errno;
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs))
		goto out_errno;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) ||
	    ioctl(vcpu, KVM_SET_REGS, &regs) || ioctl(vcpu, KVM_RUN, 0))
		goto out_errno;
	r = run->exit_reason;
	goto out;

out_errno:
	r = -errno;
out:
	if (run != MAP_FAILED)
		munmap(run, size);
	if (vcpu >= 0)
		close(vcpu);
	munmap(mem, page);
	return r;
}
