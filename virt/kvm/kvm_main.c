// SPDX-License-Identifier: GPL-2.0
/*
 * Kestrel generic core: module life cycle, the per-CPU enabling of hardware
 * virtualization, and the /dev/kvm device with its system ioctls.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>

#include <kestrel/compat.h>
#include <kestrel/kvm_host.h>

MODULE_AUTHOR("Kestrel developers");
MODULE_DESCRIPTION("Kestrel: x86 hardware virtualization behind the KVM ABI");
MODULE_LICENSE("GPL");

/*
 * Virtualization is on for as long as the module is loaded: enabled on every
 * online CPU at load, on CPUs that come online later, and turned off when a
 * CPU goes offline, on reboot/kexec and at unload.
 */
static DEFINE_PER_CPU(bool, hardware_enabled);
static atomic_t hardware_enable_failed;
static bool kvm_rebooting;

static void hardware_enable_nolock(void *unused)
{
	if (this_cpu_read(hardware_enabled) || READ_ONCE(kvm_rebooting))
		return;
	if (kvm_arch_hardware_enable()) {
		atomic_inc(&hardware_enable_failed);
		return;
	}
	this_cpu_write(hardware_enabled, true);
}

static void hardware_disable_nolock(void *unused)
{
	if (!this_cpu_read(hardware_enabled))
		return;
	this_cpu_write(hardware_enabled, false);
	kvm_arch_hardware_disable();
}

/*
 * STARTING/DYING callbacks run on the CPU itself with interrupts off and
 * must not fail.  A CPU whose enabling fails (the backend says why) stays
 * without virtualization.
 */
static int kvm_starting_cpu(unsigned int cpu)
{
	hardware_enable_nolock(NULL);
	return 0;
}

static int kvm_dying_cpu(unsigned int cpu)
{
	hardware_disable_nolock(NULL);
	return 0;
}

static int kvm_reboot(struct notifier_block *nb, unsigned long code, void *p)
{
	/*
	 * A kexec'd kernel must find the CPUs the way firmware left them,
	 * and a CPU in VMX operation blocks INIT.
	 */
	cpus_read_lock();
	WRITE_ONCE(kvm_rebooting, true);
	on_each_cpu(hardware_disable_nolock, NULL, 1);
	cpus_read_unlock();
	return NOTIFY_OK;
}

static struct notifier_block kvm_reboot_notifier = {
	.notifier_call = kvm_reboot,
	.priority = 0,
};

static int hardware_enable_all(void)
{
	int r;

	cpus_read_lock();
	r = cpuhp_setup_state_nocalls_cpuslocked(KVM_CPUHP_STATE,
						 "kestrel:starting",
						 kvm_starting_cpu,
						 kvm_dying_cpu);
	if (r) {
		if (r == -EBUSY)
			pr_err("another KVM is loaded (kvm.ko with kvm_amd or kvm_intel): unload it first\n");
		goto out;
	}
	atomic_set(&hardware_enable_failed, 0);
	on_each_cpu(hardware_enable_nolock, NULL, 1);
	if (atomic_read(&hardware_enable_failed)) {
		on_each_cpu(hardware_disable_nolock, NULL, 1);
		cpuhp_remove_state_nocalls_cpuslocked(KVM_CPUHP_STATE);
		r = -EBUSY;
	}
out:
	cpus_read_unlock();
	return r;
}

static void hardware_disable_all(void)
{
	cpus_read_lock();
	cpuhp_remove_state_nocalls_cpuslocked(KVM_CPUHP_STATE);
	on_each_cpu(hardware_disable_nolock, NULL, 1);
	cpus_read_unlock();
}

static long kvm_vm_ioctl_check_extension_generic(long ext)
{
	/*
	 * A capability is reported only once it is fully implemented; none
	 * is yet.
	 */
	return 0;
}

static long kvm_vcpu_mmap_size(void)
{
	/* struct kvm_run, then the PIO data page at KVM_PIO_PAGE_OFFSET. */
	return PAGE_SIZE * (KVM_PIO_PAGE_OFFSET + 1);
}

static long kvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension_generic(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : kvm_vcpu_mmap_size();
	case KVM_TRACE_ENABLE:
	case KVM_TRACE_PAUSE:
	case KVM_TRACE_DISABLE:
		return -EOPNOTSUPP;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kvm_chardev_ops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kvm_dev_ioctl,
	.compat_ioctl	= kvm_dev_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvm_dev = {
	.minor	= KVM_MINOR,
	.name	= "kvm",
	.fops	= &kvm_chardev_ops,
	.mode	= 0666,
};

static int __init kvm_init(void)
{
	int r;

	r = kvm_arch_init();
	if (r)
		return r;

	r = hardware_enable_all();
	if (r)
		goto err_arch;
	register_reboot_notifier(&kvm_reboot_notifier);

	/* Last: once /dev/kvm exists, userspace may open it. */
	r = misc_register(&kvm_dev);
	if (r) {
		if (r == -EBUSY)
			pr_err("/dev/kvm (misc minor %d) is already registered, probably by kvm.ko: unload kvm_amd/kvm_intel first\n",
			       KVM_MINOR);
		else
			pr_err("cannot register /dev/kvm: %d\n", r);
		goto err_hardware;
	}
	return 0;

err_hardware:
	unregister_reboot_notifier(&kvm_reboot_notifier);
	hardware_disable_all();
err_arch:
	kvm_arch_exit();
	return r;
}

static void __exit kvm_exit(void)
{
	misc_deregister(&kvm_dev);
	unregister_reboot_notifier(&kvm_reboot_notifier);
	hardware_disable_all();
	kvm_arch_exit();
}

module_init(kvm_init);
module_exit(kvm_exit);
