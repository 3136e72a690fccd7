// SPDX-License-Identifier: GPL-2.0
/*
 * Creating VMs and vCPUs (api.rst 4.2 KVM_CREATE_VM, 4.7 KVM_CREATE_VCPU,
 * 4.5 KVM_GET_VCPU_MMAP_SIZE, 4.10 KVM_RUN) and the errnos of the rules,
 * as stock KVM applies them on x86.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_util.h"

TEST(create_vm_type)
{
	int kvm, fd;

	TEST_REQUIRE_KVM();
	kvm = kvm_open();
	/* x86 has only the default machine type, 0. */
	fd = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-1, ioctl(kvm, KVM_CREATE_VM, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(kvm, KVM_CREATE_VM, 0x80000000UL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(kvm, KVM_CREATE_VM, ~0UL));
	EXPECT_EQ(EINVAL, errno);
	/* Several VMs per /dev/kvm file, each with its own file. */
	fd = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, fd);
	EXPECT_NE(-1, fcntl(fd, F_GETFD));
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	close(kvm);
}

TEST(create_vcpu_ids)
{
	int max_id, max_vcpus, nr_vcpus, a, b;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	max_id = kvm_check_cap(KVM_CAP_MAX_VCPU_ID);
	max_vcpus = kvm_check_cap(KVM_CAP_MAX_VCPUS);
	nr_vcpus = kvm_check_cap(KVM_CAP_NR_VCPUS);

	/*
	 * api.rst: vCPU ids are below KVM_CAP_MAX_VCPU_ID, or below
	 * KVM_CAP_MAX_VCPUS when that is not reported.
	 */
	ASSERT_LT(0, nr_vcpus);
	ASSERT_LE(nr_vcpus, max_vcpus);
	if (max_id <= 0)
		max_id = max_vcpus;
	ASSERT_LE(max_vcpus, max_id);

	a = ioctl(vm->fd, KVM_CREATE_VCPU, 0UL);
	ASSERT_LE(0, a);
	/* The same id again. */
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_VCPU, 0UL));
	EXPECT_EQ(EEXIST, errno);
	b = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)max_id - 1);
	EXPECT_LE(0, b);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)max_id));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_VCPU, 0xffffffffUL));
	EXPECT_EQ(EINVAL, errno);
	/* Ids need not be dense. */
	EXPECT_LE(0, ioctl(vm->fd, KVM_CREATE_VCPU, 7UL));
	EXPECT_TRUE(fcntl(a, F_GETFD) & FD_CLOEXEC);
	vm_free(vm);
}

TEST(vcpu_mmap_size)
{
	long page = host_page_size();
	int kvm, size;

	TEST_REQUIRE_KVM();
	kvm = kvm_open();
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	/* kvm_run, then on x86 the PIO data page (KVM_PIO_PAGE_OFFSET). */
	ASSERT_LE((KVM_PIO_PAGE_OFFSET + 1) * page, size);
	EXPECT_EQ(0, size % page);
	EXPECT_LE((long)sizeof(struct kvm_run), page);
	close(kvm);
}

TEST(kvm_run_argument)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE_KVM();
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);

	/* KVM_RUN takes no argument. */
	EXPECT_EQ(-1, ioctl(vcpu->fd, KVM_RUN, 1UL));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);
}

/*
 * KVM_CAP_MAX_VCPU_ID: a VM lowers its vCPU id limit once, before its
 * first vCPU; the limit then holds for KVM_CREATE_VCPU.
 */
TEST(max_vcpu_id_cap)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID };
	struct kvm_vm *vm;
	int max;

	TEST_REQUIRE_KVM();
	max = kvm_check_cap(KVM_CAP_MAX_VCPU_ID);
	ASSERT_LT(0, max);
	vm = vm_create();
	cap.args[0] = max + 1;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(EINVAL, errno);
	cap.args[0] = 2;
	EXPECT_EQ(0, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(0, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	cap.args[0] = 3;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_CREATE_VCPU, 2));
	EXPECT_EQ(EINVAL, errno);
	vm_vcpu_add(vm, 1);
	vm_free(vm);

	/* The first vCPU fixes the default. */
	vm = vm_create();
	vm_vcpu_add(vm, 0);
	cap.args[0] = 2;
	EXPECT_EQ(-1, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	vm_free(vm);
}

TEST_HARNESS_MAIN
