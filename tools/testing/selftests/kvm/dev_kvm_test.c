// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/kvm system ioctls, as Documentation/virt/kvm/api.rst section 4
 * defines them, on Kestrel.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "test_util.h"

/*
 * The capabilities Kestrel implements fully.  KVM_CHECK_EXTENSION must
 * report exactly these, and 0 for every other value.
 */
static bool kestrel_implements(long cap)
{
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:
	case KVM_CAP_NR_MEMSLOTS:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_XSAVE:
	case KVM_CAP_XSAVE2:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_INTR_SHADOW:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_SET_GUEST_DEBUG2:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_EXT_EMUL_CPUID:
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_X86_USER_SPACE_MSR:
	case KVM_CAP_X86_MSR_FILTER:
	case KVM_CAP_SREGS2:
	case KVM_CAP_HLT:
	case KVM_CAP_SYNC_REGS:
	case KVM_CAP_MSR_PLATFORM_INFO:
	case KVM_CAP_MCE:
	case KVM_CAP_ADJUST_CLOCK:
	case KVM_CAP_KVMCLOCK_CTRL:
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
	case KVM_CAP_ENABLE_CAP:
	case KVM_CAP_MULTI_ADDRESS_SPACE:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_VAPIC:
	case KVM_CAP_X2APIC_API:
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_IRQ_ROUTING:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_COALESCED_MMIO:
	case KVM_CAP_COALESCED_PIO:
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_DISABLE_QUIRKS:
	case KVM_CAP_DISABLE_QUIRKS2:
	case KVM_CAP_VCPU_ATTRIBUTES:
	case KVM_CAP_BINARY_STATS_FD:
		return true;
	case KVM_CAP_XCRS:
		/* As KVM: only on a host that uses XSAVE (Bochs's does not). */
		return host_cpu_has("xsave");
	default:
		return false;
	}
}

FIXTURE(dev_kvm) {
	int fd;
};

FIXTURE_SETUP(dev_kvm)
{
	int r = 0;

	self->fd = -1;
	if (!kmod_loaded("kestrel"))
		r = kestrel_load();
	if (r == -EOPNOTSUPP)
		SKIP_FIXTURE("Kestrel does not load on this CPU (module_load_test covers why)");
	ASSERT_EQ(0, r) TH_LOG("loading kestrel: %s", strerror(-r));
	self->fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/kvm: %s", strerror(errno));
}

FIXTURE_TEARDOWN(dev_kvm)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev_kvm, api_version_is_12)
{
	EXPECT_EQ(KVM_API_VERSION, 12);
	EXPECT_EQ(12, ioctl(self->fd, KVM_GET_API_VERSION, 0));
	/* "no arguments": a non-zero one is -EINVAL, as in KVM. */
	EXPECT_EQ(-1, ioctl(self->fd, KVM_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev_kvm, check_extension_reports_only_what_is_implemented)
{
	long cap;

	for (cap = -16; cap < 1024; cap++) {
		int r = ioctl(self->fd, KVM_CHECK_EXTENSION, cap);

		if (kestrel_implements(cap)) {
			EXPECT_LT(0, r) TH_LOG("capability %ld", cap);
		} else {
			EXPECT_EQ(0, r) TH_LOG("capability %ld is reported as %d",
					       cap, r);
		}
	}
	/* Upper bits of the argument are not a different capability. */
	EXPECT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, 1UL << 40));
}

TEST_F(dev_kvm, vcpu_mmap_size_covers_run_pio_and_coalesced_pages)
{
	long page = sysconf(_SC_PAGESIZE);
	int size = ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	/*
	 * struct kvm_run, the PIO data page (KVM_PIO_PAGE_OFFSET), then the
	 * coalesced MMIO ring (KVM_COALESCED_MMIO_PAGE_OFFSET), as in KVM.
	 */
	ASSERT_LE((long)sizeof(struct kvm_run), page);
	EXPECT_EQ(KVM_PIO_PAGE_OFFSET + 1, KVM_COALESCED_MMIO_PAGE_OFFSET);
	EXPECT_EQ(page * (KVM_COALESCED_MMIO_PAGE_OFFSET + 1), size);
	EXPECT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET,
		  ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO));
	EXPECT_EQ(-1, ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev_kvm, unknown_ioctls_are_enotty)
{
	struct termios t;

	EXPECT_EQ(-1, ioctl(self->fd, _IO(KVMIO, 0xfe), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOW(KVMIO, 0xdd, __u64), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TCGETS, &t));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev_kvm, trace_ioctls_are_eopnotsupp)
{
	/* The long-removed tracing ioctls answer -EOPNOTSUPP in KVM. */
	EXPECT_EQ(-1, ioctl(self->fd, KVM_TRACE_ENABLE, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, ioctl(self->fd, KVM_TRACE_DISABLE, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(dev_kvm, dev_kvm_cannot_be_mapped_or_read)
{
	char buf[8];

	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   self->fd, 0));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev_kvm, each_open_file_holds_the_module)
{
	int base = kmod_refcnt("kestrel"), fds[32], i;

	ASSERT_LE(1, base);	/* our own fd */
	for (i = 0; i < 32; i++) {
		fds[i] = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
		EXPECT_EQ(12, ioctl(fds[i], KVM_GET_API_VERSION, 0));
	}
	EXPECT_EQ(base + 32, kmod_refcnt("kestrel"));
	for (i = 0; i < 32; i++)
		close(fds[i]);
	EXPECT_EQ(base, kmod_refcnt("kestrel"));
}

TEST_HARNESS_MAIN
