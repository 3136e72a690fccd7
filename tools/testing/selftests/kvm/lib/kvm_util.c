// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal guest building through the KVM ioctl API; see kvm_util.h.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

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
