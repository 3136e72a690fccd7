// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_info: what /dev/kvm says about itself.  Used by `make demo`; works
 * on Kestrel and on stock KVM alike.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

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
	close(fd);
	return 0;
}
