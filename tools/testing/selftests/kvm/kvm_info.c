// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_info: what /dev/kvm says about itself, then a tiny real-mode guest
 * that prints a line through port 0xe9.  Used by `make demo`; works on
 * Kestrel and on stock KVM alike.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * mov si, msg; mov dx, 0xe9; cld; mov cx, len; rep outsb; hlt; msg: ...
 * (16-bit code at guest-physical 0, CS = DS = 0).
 */
static const char msg[] = "Hello from a real-mode guest running on /dev/kvm\n";

static int run_guest(int kvm)
{
	unsigned char code[64] = { 0xbe, 13, 0, 0xba, 0xe9, 0, 0xfc,
				   0xb9, sizeof(msg) - 1, 0, 0xf3, 0x6e, 0xf4 };
	struct kvm_userspace_memory_region region = { .memory_size = 4096 };
	struct kvm_regs regs = { .rflags = 2 };
	int vm, vcpu, size, exits = 0;
	struct kvm_sregs sregs;
	struct kvm_run *run;
	unsigned char *mem;

	memcpy(code + 13, msg, sizeof(msg) - 1);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		return -1;
	memcpy(mem, code, sizeof(code));
	region.userspace_addr = (unsigned long)mem;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) || vcpu < 0 || size < 0)
		return -1;
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		return -1;
	printf("guest says:             ");
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0))
			return -1;
		exits++;
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0xe9)
			return -1;
		fwrite((char *)run + run->io.data_offset, 1,
		       run->io.size * run->io.count, stdout);
	}
	printf("guest halted after %d exits to userspace\n", exits);
	close(vcpu);
	close(vm);
	return 0;
}

int main(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int cap, ncaps = 0;

	if (fd < 0) {
		perror("/dev/kvm");
		return 1;
	}
	printf("KVM_GET_API_VERSION:    %d\n",
	       ioctl(fd, KVM_GET_API_VERSION, 0));
	printf("KVM_GET_VCPU_MMAP_SIZE: %d\n",
	       ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0));
	for (cap = 0; cap < 1024; cap++)
		if (ioctl(fd, KVM_CHECK_EXTENSION, cap) > 0)
			ncaps++;
	printf("capabilities reported:  %d\n", ncaps);
	if (run_guest(fd)) {
		perror("running the guest");
		return 1;
	}
	close(fd);
	return 0;
}
