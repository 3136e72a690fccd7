// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading kestrel.ko on an SVM or VMX host: what it enables on each
 * CPU, /dev/kvm, CPU hotplug, and every refusal path (no SVM/VMX, no nested
 * paging, stock KVM owning /dev/kvm, SVM already in use), checked against
 * the stock kvm/kvm-amd modules of the same kernel.
 *
 * Expectations come from the CPU flags the host kernel reports, so each
 * test knows which variant of the emulated host it runs in.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "host_util.h"
#include "test_util.h"
#include "kvm_util.h"

static bool svm_with_npt(void)
{
	return host_cpu_has("svm") && host_cpu_has("npt");
}

/* Every online CPU has EFER.SVME == @on; HSAVE_PA is set exactly then. */
static void assert_svm_on_all_cpus(struct __test_metadata *_metadata, bool on)
{
	int cpu;

	for (cpu = 0; cpu <= host_max_cpu(); cpu++) {
		uint64_t efer, hsave;

		if (!host_cpu_online(cpu))
			continue;
		ASSERT_EQ(0, host_msr_read(cpu, MSR_EFER, &efer));
		ASSERT_EQ(0, host_msr_read(cpu, MSR_VM_HSAVE_PA, &hsave));
		EXPECT_EQ(on, !!(efer & EFER_SVME))
			TH_LOG("CPU %d EFER %#llx", cpu, (unsigned long long)efer);
		EXPECT_EQ(on, hsave != 0)
			TH_LOG("CPU %d VM_HSAVE_PA %#llx", cpu,
			       (unsigned long long)hsave);
	}
}

static bool dev_kvm_is_misc_232(void)
{
	struct stat st;

	return stat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode) &&
	       major(st.st_rdev) == KVM_MISC_MAJOR &&
	       minor(st.st_rdev) == KVM_MISC_MINOR;
}

/* Load kestrel expecting -@err, and a kernel log line containing @why. */
static void assert_refused(struct __test_metadata *_metadata, int err,
			   const char *why)
{
	int kmsg = kmsg_open();
	char *log;

	ASSERT_LE(0, kmsg);
	EXPECT_EQ(-err, kestrel_load());
	log = kmsg_read_new(kmsg);
	close(kmsg);
	ASSERT_NE(NULL, log);
	EXPECT_NE(NULL, strstr(log, why)) TH_LOG("no \"%s\" in:\n%s", why, log);
	free(log);
	EXPECT_FALSE(kmod_loaded("kestrel"));
}

FIXTURE(kestrel) {
	int unused;
};

FIXTURE_SETUP(kestrel)
{
	stock_kvm_unload();
	ASSERT_EQ(0, kestrel_unload_if_loaded());
}

FIXTURE_TEARDOWN(kestrel)
{
}

TEST_F(kestrel, loads_on_svm_and_registers_dev_kvm)
{
	int kmsg = kmsg_open();
	char *log;

	if (!svm_with_npt())
		SKIP(return, "host CPU lacks SVM with nested paging");
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, kestrel_load());
	log = kmsg_read_new(kmsg);
	ASSERT_NE(NULL, log);
	EXPECT_NE(NULL, strstr(log, "kestrel: SVM backend: NPT ")) TH_LOG("%s", log);
	EXPECT_NE(NULL, strstr(log, host_cpu_has("la57") ? "NPT 5-level" :
					"NPT 4-level")) TH_LOG("%s", log);
	free(log);
	close(kmsg);

	EXPECT_TRUE(dev_kvm_is_misc_232());
	assert_svm_on_all_cpus(_metadata, true);
}

TEST_F(kestrel, unload_disables_svm_and_removes_dev_kvm)
{
	if (!svm_with_npt())
		SKIP(return, "host CPU lacks SVM with nested paging");
	ASSERT_EQ(0, kestrel_load());
	ASSERT_EQ(0, kmod_unload("kestrel"));
	EXPECT_FALSE(kmod_loaded("kestrel"));
	EXPECT_NE(0, access("/dev/kvm", F_OK));
	assert_svm_on_all_cpus(_metadata, false);
}

/*
 * VMX (Intel) host: the backend's line, /dev/kvm, and VMXOFF on unload:
 * a VMX left on (CR4.VMXE set) would make the next load refuse every CPU
 * as owned by another hypervisor.  IA32_FEATURE_CONTROL ends up locked
 * with VMX outside SMX enabled (SDM vol. 3C, 23.7).
 */
TEST_F(kestrel, loads_on_vmx_and_reloads)
{
	int kmsg = kmsg_open();
	uint64_t fc;
	char *log;
	int cpu;

	if (!host_cpu_has("vmx"))
		SKIP(return, "not a VMX host (SVM hosts: loads_on_svm_*)");
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, kestrel_load());
	log = kmsg_read_new(kmsg);
	ASSERT_NE(NULL, log);
	EXPECT_NE(NULL, strstr(log, "kestrel: VMX backend: EPT ")) TH_LOG("%s", log);
	EXPECT_NE(NULL, strstr(log, host_cpu_has("la57") ? "EPT 5-level" :
					"EPT 4-level")) TH_LOG("%s", log);
	free(log);
	close(kmsg);
	EXPECT_TRUE(dev_kvm_is_misc_232());
	for (cpu = 0; cpu <= host_max_cpu(); cpu++) {
		if (!host_cpu_online(cpu))
			continue;
		ASSERT_EQ(0, host_msr_read(cpu, 0x3a, &fc));
		EXPECT_EQ(5ULL, fc & 5) TH_LOG("CPU %d FEATURE_CONTROL %#llx",
					       cpu, (unsigned long long)fc);
	}

	ASSERT_EQ(0, kmod_unload("kestrel"));
	EXPECT_NE(0, access("/dev/kvm", F_OK));
	ASSERT_EQ(0, kestrel_load());
	EXPECT_TRUE(dev_kvm_is_misc_232());
}

TEST_F(kestrel, refuses_without_svm_or_vmx)
{
	if (host_cpu_has("svm") || host_cpu_has("vmx"))
		SKIP(return, "host CPU has SVM or VMX");
	assert_refused(_metadata, EOPNOTSUPP,
		       "kestrel: no hardware virtualization: CPU has neither AMD SVM");
	EXPECT_NE(0, access("/dev/kvm", F_OK));
}

TEST_F(kestrel, refuses_svm_without_npt)
{
	if (!host_cpu_has("svm") || host_cpu_has("npt"))
		SKIP(return, "host CPU is not SVM without nested paging");
	assert_refused(_metadata, EOPNOTSUPP,
		       "kestrel: SVM without nested paging");
	EXPECT_NE(0, access("/dev/kvm", F_OK));
	assert_svm_on_all_cpus(_metadata, false);
}

TEST_F(kestrel, open_dev_kvm_pins_the_module)
{
	int fd;

	if (!svm_with_npt())
		SKIP(return, "host CPU lacks SVM with nested paging");
	ASSERT_EQ(0, kestrel_load());
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, kmod_refcnt("kestrel"));
	EXPECT_EQ(-EWOULDBLOCK, kmod_unload("kestrel"));
	EXPECT_TRUE(kmod_loaded("kestrel"));
	EXPECT_EQ(12, ioctl(fd, KVM_GET_API_VERSION, 0));
	close(fd);
	EXPECT_EQ(0, kmod_refcnt("kestrel"));
	EXPECT_EQ(0, kmod_unload("kestrel"));
}

/*
 * A leak of even one page per load shows up in the free page count: the
 * emulated host runs nothing else.  The slack allows for the module
 * loader's and the slab allocator's own caches.
 */
#define LOAD_CYCLES		200
#define LEAK_SLACK_PAGES	32

TEST_F_TIMEOUT(kestrel, load_unload_200_times_without_leaking, 600)
{
	long before, after;
	int i;

	if (!svm_with_npt())
		SKIP(return, "host CPU lacks SVM with nested paging");
	/* One cycle first, so that one-time allocations are not counted. */
	ASSERT_EQ(0, kestrel_load());
	ASSERT_EQ(0, kmod_unload("kestrel"));
	before = host_free_pages();
	for (i = 0; i < LOAD_CYCLES; i++) {
		ASSERT_EQ(0, kestrel_load()) TH_LOG("cycle %d", i);
		ASSERT_TRUE(dev_kvm_is_misc_232()) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, kmod_unload("kestrel")) TH_LOG("cycle %d", i);
	}
	after = host_free_pages();
	TH_LOG("free pages before %ld, after %ld", before, after);
	EXPECT_GT(LEAK_SLACK_PAGES, before - after);
	assert_svm_on_all_cpus(_metadata, false);
}

static int run_one_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, r;

	if (kvm < 0)
		return -errno;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	r = vm < 0 ? -errno : kvm_run_hlt_guest(kvm, vm);
	if (vm >= 0)
		close(vm);
	close(kvm);
	return r;
}

/*
 * Everything a VM owns (VMCB, nested page tables, kvm_run, guest FPU) goes
 * when its last file closes, and the module can then be unloaded.
 */
TEST_F_TIMEOUT(kestrel, vms_are_freed_when_closed, 300)
{
	long before, after;
	int i;

	if (!svm_with_npt())
		SKIP(return, "host CPU lacks SVM with nested paging");
	ASSERT_EQ(0, kestrel_load());
	ASSERT_EQ(KVM_EXIT_HLT, run_one_vm());
	before = host_free_pages();
	for (i = 0; i < 20; i++)
		ASSERT_EQ(KVM_EXIT_HLT, run_one_vm()) TH_LOG("VM %d", i);
	after = host_free_pages();
	TH_LOG("free pages before %ld, after %ld", before, after);
	EXPECT_GT(LEAK_SLACK_PAGES, before - after);
	EXPECT_EQ(0, kmod_refcnt("kestrel"));
	EXPECT_EQ(0, kmod_unload("kestrel"));
}

TEST_F_TIMEOUT(kestrel, cpu_hotplug_enables_and_disables, 120)
{
	if (!svm_with_npt())
		SKIP(return, "host CPU lacks SVM with nested paging");
	if (host_max_cpu() < 1 || !host_cpu_online(1))
		SKIP(return, "needs a second CPU (-smp 2)");

	/* A CPU that comes online after the load gets SVM enabled. */
	ASSERT_EQ(0, host_cpu_set_online(1, false));
	ASSERT_EQ(0, kestrel_load());
	ASSERT_EQ(0, host_cpu_set_online(1, true));
	assert_svm_on_all_cpus(_metadata, true);

	/* And again after going offline and back online while loaded. */
	ASSERT_EQ(0, host_cpu_set_online(1, false));
	assert_svm_on_all_cpus(_metadata, true);
	ASSERT_EQ(0, host_cpu_set_online(1, true));
	assert_svm_on_all_cpus(_metadata, true);

	/* Unloading while a CPU is offline, then bringing it back. */
	ASSERT_EQ(0, host_cpu_set_online(1, false));
	ASSERT_EQ(0, kmod_unload("kestrel"));
	ASSERT_EQ(0, host_cpu_set_online(1, true));
	assert_svm_on_all_cpus(_metadata, false);
}

/* Side by side with the stock kvm + kvm-amd modules of the same kernel. */
FIXTURE(stock_kvm) {
	int kvm_fd;
	int vm_fd;
};

FIXTURE_SETUP(stock_kvm)
{
	self->kvm_fd = -1;
	self->vm_fd = -1;
	if (!svm_with_npt())
		SKIP_FIXTURE("host CPU lacks SVM with nested paging");
	ASSERT_EQ(0, kestrel_unload_if_loaded());
	ASSERT_EQ(0, stock_kvm_load()) TH_LOG("modprobe %s failed", stock_kvm_module());
	self->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->kvm_fd);
}

FIXTURE_TEARDOWN(stock_kvm)
{
	if (self->vm_fd >= 0)
		close(self->vm_fd);
	if (self->kvm_fd >= 0)
		close(self->kvm_fd);
	stock_kvm_unload();
	EXPECT_FALSE(kmod_loaded(stock_kvm_module()));
}

TEST_F(stock_kvm, kestrel_refuses_while_stock_kvm_is_loaded)
{
	/* Stock KVM enables SVM only while a VM exists: none does yet. */
	assert_svm_on_all_cpus(_metadata, false);
	assert_refused(_metadata, EBUSY, "kestrel: another KVM is loaded");
	/* Kestrel's failed load left SVM as it found it... */
	assert_svm_on_all_cpus(_metadata, false);
	/* ...and stock KVM still runs guests. */
	self->vm_fd = ioctl(self->kvm_fd, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm_fd);
	EXPECT_EQ(KVM_EXIT_HLT, kvm_run_hlt_guest(self->kvm_fd, self->vm_fd));
}

TEST_F(stock_kvm, kestrel_refuses_while_stock_kvm_runs_a_vm)
{
	self->vm_fd = ioctl(self->kvm_fd, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm_fd);
	assert_svm_on_all_cpus(_metadata, true);
	assert_refused(_metadata, EBUSY, "kestrel: another KVM is loaded");
	/* Kestrel did not turn off the SVM that stock KVM is using. */
	assert_svm_on_all_cpus(_metadata, true);
	EXPECT_EQ(KVM_EXIT_HLT, kvm_run_hlt_guest(self->kvm_fd, self->vm_fd));
}

/*
 * Another hypervisor (not KVM) has SVM on, simulated by setting EFER.SVME
 * through the msr driver on the last CPU only: Kestrel must refuse, undo
 * what it enabled on the other CPUs, and leave that CPU's SVME alone.
 */
TEST_F(kestrel, refuses_when_another_hypervisor_enabled_svm)
{
	int cpu, last = host_max_cpu();
	uint64_t efer;

	if (!svm_with_npt())
		SKIP(return, "host CPU lacks SVM with nested paging");
	while (last > 0 && !host_cpu_online(last))
		last--;
	ASSERT_EQ(0, host_msr_read(last, MSR_EFER, &efer));
	ASSERT_EQ(0, host_msr_write(last, MSR_EFER, efer | EFER_SVME));

	assert_refused(_metadata, EBUSY, "kestrel: SVM is already enabled on CPU ");

	for (cpu = 0; cpu <= host_max_cpu(); cpu++) {
		uint64_t e;

		if (!host_cpu_online(cpu))
			continue;
		ASSERT_EQ(0, host_msr_read(cpu, MSR_EFER, &e));
		EXPECT_EQ(cpu == last, !!(e & EFER_SVME)) TH_LOG("CPU %d", cpu);
	}
	ASSERT_EQ(0, host_msr_write(last, MSR_EFER, efer));

	/* With SVM free again, Kestrel loads. */
	EXPECT_EQ(0, kestrel_load());
	assert_svm_on_all_cpus(_metadata, true);
}

TEST_F(kestrel, stock_kvm_amd_cannot_load_over_kestrel)
{
	int fd;

	if (!svm_with_npt())
		SKIP(return, "host CPU lacks SVM with nested paging");
	ASSERT_EQ(0, kestrel_load());
	EXPECT_NE(0, stock_kvm_load());
	EXPECT_FALSE(kmod_loaded(stock_kvm_module()));
	/*
	 * kvm.ko must have failed before registering anything it would not
	 * unregister (see KVM_CPUHP_STATE), so unloading it is safe; a
	 * dangling syscore_ops would oops the next kvm_amd load or poweroff.
	 */
	stock_kvm_unload();
	EXPECT_FALSE(kmod_loaded("kvm"));

	/* /dev/kvm is still Kestrel's, with SVM still on everywhere. */
	assert_svm_on_all_cpus(_metadata, true);
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, kmod_refcnt("kestrel"));
	EXPECT_EQ(12, ioctl(fd, KVM_GET_API_VERSION, 0));
	close(fd);
	EXPECT_EQ(0, kmod_unload("kestrel"));
}

/*
 * VMX: stock kvm_intel loaded over Kestrel is refused before its init runs
 * (which would WARN registering its emergency callback over Kestrel's),
 * with one line; kvm.ko unloads cleanly and /dev/kvm is still Kestrel's.
 * The kernel log judge fails the run on any WARN.
 */
TEST_F(kestrel, stock_kvm_intel_cannot_load_over_kestrel)
{
	int kmsg = kmsg_open();
	char *log;
	int fd;

	if (!host_cpu_has("vmx"))
		SKIP(return, "not a VMX host (SVM: stock_kvm_amd_*)");
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, kestrel_load());
	EXPECT_NE(0, stock_kvm_load());
	EXPECT_FALSE(kmod_loaded("kvm_intel"));
	log = kmsg_read_new(kmsg);
	close(kmsg);
	ASSERT_NE(NULL, log);
	EXPECT_NE(NULL, strstr(log, "kestrel: kvm_intel cannot load while Kestrel owns VMX"))
		TH_LOG("%s", log);
	free(log);
	stock_kvm_unload();
	EXPECT_FALSE(kmod_loaded("kvm"));

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(12, ioctl(fd, KVM_GET_API_VERSION, 0));
	close(fd);
	EXPECT_EQ(0, kmod_unload("kestrel"));
}

/* VMX: Kestrel refuses to load over stock kvm_intel, with one line. */
TEST_F(kestrel, refuses_while_kvm_intel_is_loaded)
{
	if (!host_cpu_has("vmx"))
		SKIP(return, "not a VMX host (SVM: the stock_kvm fixture)");
	ASSERT_EQ(0, stock_kvm_load());
	assert_refused(_metadata, EBUSY, "kestrel: another KVM is loaded");
	stock_kvm_unload();
	EXPECT_FALSE(kmod_loaded("kvm_intel"));
}

/*
 * Last (the harness runs fixtures in the order they are defined): the
 * programs after this one expect Kestrel loaded.  On SVM the tests before
 * leave it so; on VMX every test that would is SVM-only and skipped.
 */
FIXTURE(last) {
	int unused;
};

FIXTURE_SETUP(last)
{
}

FIXTURE_TEARDOWN(last)
{
}

TEST_F(last, leaves_kestrel_loaded)
{
	if (!svm_with_npt() && !host_cpu_has("vmx"))
		SKIP(return, "no host CPU Kestrel loads on");
	if (!kmod_loaded("kestrel"))
		ASSERT_EQ(0, kestrel_load());
	EXPECT_TRUE(dev_kvm_is_misc_232());
}

TEST_HARNESS_MAIN
