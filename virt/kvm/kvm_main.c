// SPDX-License-Identifier: GPL-2.0
/*
 * Kestrel generic core: module life cycle, the per-CPU enabling of hardware
 * virtualization, and the /dev/kvm device with its system ioctls.
 */
#define pr_fmt(fmt) "kestrel: " fmt

#include <linux/anon_inodes.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/syscore_ops.h>

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
/*
 * Whether this CPU may run a guest now: virtualization may have failed to
 * come up on it, or been turned off for a reboot.  Called with interrupts
 * off, so the reboot IPI cannot turn it off between this and VMRUN.
 */
bool kvm_can_enter_guest(void)
{
	lockdep_assert_irqs_disabled();
	return this_cpu_read(hardware_enabled) && !READ_ONCE(kvm_rebooting);
}

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

/*
 * Suspend to RAM/disk: the other CPUs have gone offline already (their
 * DYING callback turned virtualization off); the syscore callbacks run on
 * the last one, interrupts off.  Turn it off there too before the
 * firmware takes over (a CPU in VMX operation blocks INIT, and VMXON
 * state does not survive sleep), and on again at resume, as KVM does.
 */
static int kvm_suspend(void)
{
	lockdep_assert_irqs_disabled();
	hardware_disable_nolock(NULL);
	return 0;
}

static void kvm_resume(void)
{
	lockdep_assert_irqs_disabled();
	hardware_enable_nolock(NULL);
}

static struct syscore_ops kvm_syscore_ops = {
	.suspend = kvm_suspend,
	.resume = kvm_resume,
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
	/* A capability is reported only once it is fully implemented. */
	switch (ext) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_COALESCED_PIO:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_BINARY_STATS_FD:
		return 1;
	case KVM_CAP_COALESCED_MMIO:
		/* Where the ring is in the vCPU mapping, as KVM answers. */
		return KVM_COALESCED_MMIO_PAGE_OFFSET;
	case KVM_CAP_NR_VCPUS:
		return min_t(unsigned int, num_online_cpus(), KVM_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return KVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVM_MAX_VCPU_IDS;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_USER_MEM_SLOTS;
	case KVM_CAP_MULTI_ADDRESS_SPACE:
		/* Memslot sets, each with its own NPT root (api.rst 4.35). */
		return KVM_ADDRESS_SPACE_NUM;
	default:
		return kvm_arch_check_extension(ext);
	}
}

static long kvm_vcpu_mmap_size(void)
{
	/*
	 * struct kvm_run, the PIO data page at KVM_PIO_PAGE_OFFSET, then the
	 * coalesced MMIO ring at KVM_COALESCED_MMIO_PAGE_OFFSET (the next).
	 */
	return PAGE_SIZE * (KVM_COALESCED_MMIO_PAGE_OFFSET + 1);
}

/*
 * vCPUs
 */

static void kvm_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct kvm_vcpu *vcpu = container_of(pn, struct kvm_vcpu,
					     preempt_notifier);

	kvm_arch_vcpu_load(vcpu, cpu);
	vcpu->preempted = false;
}

static void kvm_sched_out(struct preempt_notifier *pn,
			  struct task_struct *next)
{
	struct kvm_vcpu *vcpu = container_of(pn, struct kvm_vcpu,
					     preempt_notifier);

	/* Still on the runqueue: preempted, not blocked (as KVM). */
	if (current->on_rq)
		vcpu->preempted = true;
	kvm_arch_vcpu_put(vcpu);
}

static struct preempt_ops kvm_preempt_ops = {
	.sched_in = kvm_sched_in,
	.sched_out = kvm_sched_out,
};

/* Make the vCPU's per-CPU state current; it follows the thread around. */
void vcpu_load(struct kvm_vcpu *vcpu)
{
	int cpu = get_cpu();

	preempt_notifier_register(&vcpu->preempt_notifier);
	kvm_arch_vcpu_load(vcpu, cpu);
	put_cpu();
}

void vcpu_put(struct kvm_vcpu *vcpu)
{
	preempt_disable();
	kvm_arch_vcpu_put(vcpu);
	preempt_notifier_unregister(&vcpu->preempt_notifier);
	preempt_enable();
}

static void kvm_ipi_ack(void *unused)
{
}

static DEFINE_PER_CPU(cpumask_var_t, kvm_kick_mask);

/*
 * Ask every vCPU to flush the guest-physical TLB before it next enters, and
 * wait until every vCPU that was in guest mode has left it: after this, no
 * CPU uses a zapped translation.  Callable with mmu_lock held.
 */
void kvm_flush_remote_tlbs(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	struct cpumask *mask;
	int i, n, me;

	atomic64_inc(&kvm->stat.remote_tlb_flush_requests);
	atomic_long_inc(&kvm->tlb_flush_gen);
	/* Order the generation before reading vcpu->mode (pairs with entry). */
	smp_mb__after_atomic();

	me = get_cpu();
	mask = this_cpu_cpumask_var_ptr(kvm_kick_mask);
	cpumask_clear(mask);
	/*
	 * Only vCPUs counted in nr_vcpus: one is counted once its fd exists,
	 * and never freed before the VM (pairs with the smp_wmb() in
	 * kvm_vm_ioctl_create_vcpu()).
	 */
	n = atomic_read(&kvm->nr_vcpus);
	smp_rmb(); /* read nr_vcpus before the vCPUs it counts */
	for (i = 0; i < n; i++) {
		int cpu;

		vcpu = xa_load(&kvm->vcpus, i);
		/*
		 * Mode before CPU: the vCPU thread sets vcpu->cpu before it
		 * publishes IN_GUEST_MODE, so this is the CPU it entered on;
		 * read first, the CPU could be the one before a migration,
		 * and the vCPU would go on with the old translations.
		 */
		if (READ_ONCE(vcpu->mode) != IN_GUEST_MODE)
			continue;
		smp_rmb(); /* mode, then cpu: see above */
		cpu = READ_ONCE(vcpu->cpu);
		if (cpu != me && cpu >= 0 && cpu < nr_cpu_ids)
			__cpumask_set_cpu(cpu, mask);
	}
	smp_call_function_many(mask, kvm_ipi_ack, NULL, true);
	put_cpu();
	atomic64_inc(&kvm->stat.remote_tlb_flush);
}

static vm_fault_t kvm_vcpu_fault(struct vm_fault *vmf)
{
	struct kvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KVM_PIO_PAGE_OFFSET)
		page = vcpu->pio_page;
	else if (vmf->pgoff == KVM_COALESCED_MMIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->kvm->coalesced_mmio_ring);
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvm_vcpu_vm_ops = {
	.fault = kvm_vcpu_fault,
};

static int kvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvm_vcpu_vm_ops;
	return 0;
}

static int kvm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvm_vcpu *vcpu = filp->private_data;

	kvm_put_kvm(vcpu->kvm);
	return 0;
}

/*
 * KVM_SET_SIGNAL_MASK (api.rst 4.21): the mask in force during KVM_RUN, so
 * a VMM can keep its vCPU-kick signal blocked except inside the guest.
 * SIGKILL and SIGSTOP cannot be blocked.  No argument: no mask.
 */
static long kvm_vcpu_ioctl_set_sigmask(struct kvm_vcpu *vcpu,
				       struct kvm_signal_mask __user *arg)
{
	struct kvm_signal_mask m;
	sigset_t set;

	if (!arg) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&m, arg, sizeof(m)))
		return -EFAULT;
	if (m.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, arg->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

/*
 * Only the task itself changes ->real_blocked, and it stays a subset of
 * ->blocked, which is what its lockless readers rely on (as in KVM).
 */
static long kvm_vcpu_run(struct kvm_vcpu *vcpu)
{
	long r;

	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
	r = kvm_arch_vcpu_ioctl_run(vcpu);
	if (vcpu->sigset_active) {
		sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
		sigemptyset(&current->real_blocked);
	}
	return r;
}

static long kvm_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	struct kvm_vcpu *vcpu = filp->private_data;
	long r;

	/* A vCPU runs in the address space its VM was created in. */
	if (vcpu->kvm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (ioctl) {
	case KVM_RUN:
		r = arg ? -EINVAL : kvm_vcpu_run(vcpu);
		break;
	case KVM_SET_SIGNAL_MASK:
		r = kvm_vcpu_ioctl_set_sigmask(vcpu, (void __user *)arg);
		break;
	case KVM_GET_STATS_FD:
		r = kvm_vcpu_stats_fd(vcpu);
		break;
	default:
		r = kvm_arch_vcpu_ioctl(vcpu, ioctl, arg);
		break;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

static const struct file_operations kvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= kvm_vcpu_release,
	.unlocked_ioctl	= kvm_vcpu_ioctl,
	.compat_ioctl	= kvm_vcpu_ioctl,
	.mmap		= kvm_vcpu_mmap,
	.llseek		= noop_llseek,
};

static void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct page *pio_page = vcpu->pio_page;

	kvm_arch_vcpu_destroy(vcpu);	/* frees vcpu itself, last */
	free_page((unsigned long)run);
	__free_page(pio_page);
}

static struct kvm_vcpu *kvm_get_vcpu_by_id(struct kvm *kvm, u32 id)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&kvm->vcpus, i, vcpu)
		if (vcpu->vcpu_id == id)
			return vcpu;
	return NULL;
}

static struct kvm_vcpu *kvm_vcpu_new(struct kvm *kvm, u32 id)
{
	struct kvm_vcpu *vcpu = kvm_arch_vcpu_alloc();

	if (!vcpu)
		return NULL;
	vcpu->kvm = kvm;
	vcpu->vcpu_id = id;
	vcpu->cpu = -1;
	snprintf(vcpu->stats_id, sizeof(vcpu->stats_id), "kvm-%d/vcpu-%u",
		 task_pid_nr(current), id);
	mutex_init(&vcpu->mutex);
	preempt_notifier_init(&vcpu->preempt_notifier, &kvm_preempt_ops);
	vcpu->run = (struct kvm_run *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->run || !vcpu->pio_page || kvm_arch_vcpu_create(vcpu)) {
		free_page((unsigned long)vcpu->run);
		if (vcpu->pio_page)
			__free_page(vcpu->pio_page);
		kvm_arch_vcpu_free(vcpu);
		return NULL;
	}
	return vcpu;
}

/*
 * KVM_CAP_MAX_VCPU_ID (api.rst 7.x): a VM may lower the vCPU id limit once,
 * before its first vCPU fixes it at the default; setting the same value
 * again is fine, as in KVM.
 */
int kvm_set_max_vcpu_id(struct kvm *kvm, u64 max)
{
	int r = -EINVAL;

	if (max > KVM_MAX_VCPU_IDS)
		return -EINVAL;
	mutex_lock(&kvm->lock);
	if (kvm->max_vcpu_ids == max) {
		r = 0;
	} else if (!kvm->max_vcpu_ids) {
		kvm->max_vcpu_ids = max;
		r = 0;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

static int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id)
{
	struct kvm_vcpu *vcpu;
	char name[24];
	int r, idx;

	if (id >= KVM_MAX_VCPU_IDS)
		return -EINVAL;
	/*
	 * Counted before it is built, under kvm->lock: VM-wide settings that
	 * the vCPU copies when it is built (KVM_CAP_SPLIT_IRQCHIP) check
	 * created_vcpus under the same lock, so they cannot change under a
	 * vCPU being built.
	 */
	mutex_lock(&kvm->lock);
	kvm->created_vcpus++;
	mutex_unlock(&kvm->lock);
	vcpu = kvm_vcpu_new(kvm, id);
	if (!vcpu) {
		mutex_lock(&kvm->lock);
		kvm->created_vcpus--;
		mutex_unlock(&kvm->lock);
		return -ENOMEM;
	}

	mutex_lock(&kvm->lock);
	if (!kvm->max_vcpu_ids)
		kvm->max_vcpu_ids = KVM_MAX_VCPU_IDS;
	if (id >= kvm->max_vcpu_ids) {
		r = -EINVAL;
		goto err;
	}
	idx = atomic_read(&kvm->nr_vcpus);
	if (idx >= KVM_MAX_VCPUS) {
		r = -EINVAL;
		goto err;
	}
	if (kvm_get_vcpu_by_id(kvm, id)) {
		r = -EEXIST;
		goto err;
	}
	vcpu->vcpu_idx = idx;
	r = xa_insert(&kvm->vcpus, idx, vcpu, GFP_KERNEL_ACCOUNT);
	if (r)
		goto err;

	refcount_inc(&kvm->users);
	snprintf(name, sizeof(name), "kvm-vcpu:%lu", id);
	r = anon_inode_getfd(name, &kvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (r < 0) {
		/* Not yet counted in nr_vcpus: no walker has seen it. */
		xa_erase(&kvm->vcpus, idx);
		refcount_dec(&kvm->users);
		goto err;
	}
	smp_wmb(); /* publish a complete vCPU, see kvm_flush_remote_tlbs() */
	atomic_inc(&kvm->nr_vcpus);
	mutex_unlock(&kvm->lock);
	return r;

err:
	kvm->created_vcpus--;
	mutex_unlock(&kvm->lock);
	kvm_vcpu_destroy(vcpu);
	return r;
}

/*
 * VMs
 */

static struct kvm *kvm_create_vm(unsigned long type)
{
	struct kvm *kvm = kzalloc(sizeof(*kvm), GFP_KERNEL_ACCOUNT);
	int r = -ENOMEM;

	if (!kvm)
		return ERR_PTR(-ENOMEM);
	kvm->mm = current->mm;
	mmgrab(kvm->mm);
	snprintf(kvm->stats_id, sizeof(kvm->stats_id), "kvm-%d",
		 task_pid_nr(current));
	refcount_set(&kvm->users, 1);
	mutex_init(&kvm->lock);
	mutex_init(&kvm->slots_lock);
	spin_lock_init(&kvm->mmu_lock);
	xa_init(&kvm->vcpus);
	INIT_LIST_HEAD(&kvm->ioeventfds);
	kvm_irqfd_vm_init(kvm);
	if (kvm_coalesced_mmio_init(kvm))
		goto err_free;

	if (kvm_alloc_memslots(kvm))
		goto err_ring;
	if (init_srcu_struct(&kvm->srcu))
		goto err_slots;
	r = kvm_arch_init_vm(kvm, type);
	if (r)
		goto err_srcu;
	r = kvm_init_mmu_notifier(kvm);
	if (r)
		goto err_arch;
	preempt_notifier_inc();
	return kvm;

err_arch:
	kvm_arch_destroy_vm(kvm);
err_srcu:
	cleanup_srcu_struct(&kvm->srcu);
err_slots:
	kvm_free_memslots(kvm);
err_ring:
	kvm_coalesced_mmio_free(kvm);
err_free:
	mmdrop(kvm->mm);
	kfree(kvm);
	return ERR_PTR(r);
}

static void kvm_destroy_vm(struct kvm *kvm)
{
	struct mm_struct *mm = kvm->mm;
	struct kvm_vcpu *vcpu;
	unsigned long i;

	/* Timers of in-kernel devices stop before the vCPUs they kick go. */
	kvm_arch_sync_events(kvm);
	mmu_notifier_unregister(&kvm->mmu_notifier, mm);
	xa_for_each(&kvm->vcpus, i, vcpu)
		kvm_vcpu_destroy(vcpu);
	xa_destroy(&kvm->vcpus);
	/* No vCPU is left to reach a device: ioeventfds drop their eventfds. */
	kvm_io_bus_destroy(kvm);
	kvm_coalesced_mmio_free(kvm);
	kvm_arch_destroy_vm(kvm);
	kvm_free_memslots(kvm);
	cleanup_srcu_struct(&kvm->srcu);
	preempt_notifier_dec();
	kfree(kvm);
	mmdrop(mm);
}

void kvm_get_kvm(struct kvm *kvm)
{
	refcount_inc(&kvm->users);
}

void kvm_put_kvm(struct kvm *kvm)
{
	if (refcount_dec_and_test(&kvm->users))
		kvm_destroy_vm(kvm);
}

static int kvm_vm_release(struct inode *inode, struct file *filp)
{
	struct kvm *kvm = filp->private_data;

	/*
	 * As in KVM, irqfds go with the VM fd (only it can assign them),
	 * even if vCPU fds keep the VM alive a while longer.
	 */
	kvm_irqfd_release(kvm);
	kvm_put_kvm(kvm);
	return 0;
}

static long kvm_vm_ioctl_set_memory_region(struct kvm *kvm,
					   unsigned long arg)
{
	struct kvm_userspace_memory_region mem;

	if (copy_from_user(&mem, (void __user *)arg, sizeof(mem)))
		return -EFAULT;
	return kvm_set_memory_region(kvm, &mem);
}

static long kvm_vm_ioctl_ioeventfd(struct kvm *kvm, unsigned long arg)
{
	struct kvm_ioeventfd data;

	if (copy_from_user(&data, (void __user *)arg, sizeof(data)))
		return -EFAULT;
	return kvm_ioeventfd(kvm, &data);
}

static long kvm_vm_ioctl_irqfd(struct kvm *kvm, unsigned long arg)
{
	struct kvm_irqfd data;

	if (copy_from_user(&data, (void __user *)arg, sizeof(data)))
		return -EFAULT;
	return kvm_irqfd(kvm, &data);
}

static long kvm_vm_ioctl_coalesced_mmio(struct kvm *kvm, unsigned int ioctl,
					unsigned long arg)
{
	struct kvm_coalesced_mmio_zone zone;

	if (copy_from_user(&zone, (void __user *)arg, sizeof(zone)))
		return -EFAULT;
	if (ioctl == KVM_REGISTER_COALESCED_MMIO)
		return kvm_vm_ioctl_register_coalesced_mmio(kvm, &zone);
	return kvm_vm_ioctl_unregister_coalesced_mmio(kvm, &zone);
}

static long kvm_vm_ioctl(struct file *filp, unsigned int ioctl,
			 unsigned long arg)
{
	struct kvm *kvm = filp->private_data;

	if (kvm->mm != current->mm)
		return -EIO;
	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return kvm_vm_ioctl_create_vcpu(kvm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		return kvm_vm_ioctl_set_memory_region(kvm, arg);
	case KVM_GET_DIRTY_LOG:
		return kvm_vm_ioctl_get_dirty_log(kvm, (void __user *)arg);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension_generic(arg);
	case KVM_GET_STATS_FD:
		return kvm_vm_stats_fd(kvm);
	case KVM_IOEVENTFD:
		return kvm_vm_ioctl_ioeventfd(kvm, arg);
	case KVM_IRQFD:
		return kvm_vm_ioctl_irqfd(kvm, arg);
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO:
		return kvm_vm_ioctl_coalesced_mmio(kvm, ioctl, arg);
	default:
		return kvm_arch_vm_ioctl(kvm, ioctl, arg);
	}
}

static const struct file_operations kvm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= kvm_vm_release,
	.unlocked_ioctl	= kvm_vm_ioctl,
	.compat_ioctl	= kvm_vm_ioctl,
	.llseek		= noop_llseek,
};

static long kvm_dev_ioctl_create_vm(unsigned long type)
{
	struct kvm *kvm;
	int fd;

	if (type)
		return -EINVAL;
	kvm = kvm_create_vm(type);
	if (IS_ERR(kvm))
		return PTR_ERR(kvm);
	fd = anon_inode_getfd("kvm-vm", &kvm_vm_fops, kvm, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kvm_put_kvm(kvm);
	return fd;
}

static long kvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION;
	case KVM_CREATE_VM:
		return kvm_dev_ioctl_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension_generic(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : kvm_vcpu_mmap_size();
	case KVM_TRACE_ENABLE:
	case KVM_TRACE_PAUSE:
	case KVM_TRACE_DISABLE:
		return -EOPNOTSUPP;
	default:
		return kvm_arch_dev_ioctl(ioctl, arg);
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

static void kvm_free_kick_masks(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		free_cpumask_var(per_cpu(kvm_kick_mask, cpu));
}

static int kvm_alloc_kick_masks(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (!zalloc_cpumask_var_node(&per_cpu(kvm_kick_mask, cpu),
					     GFP_KERNEL, cpu_to_node(cpu))) {
			kvm_free_kick_masks();
			return -ENOMEM;
		}
	}
	return 0;
}

static int __init kvm_init(void)
{
	int r;

	r = kvm_arch_init();
	if (r)
		return r;
	r = kvm_alloc_kick_masks();
	if (r)
		goto err_arch;
	r = kvm_irqfd_init();
	if (r)
		goto err_masks;

	r = hardware_enable_all();
	if (r)
		goto err_irqfd;
	register_reboot_notifier(&kvm_reboot_notifier);
	register_syscore_ops(&kvm_syscore_ops);

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
	unregister_syscore_ops(&kvm_syscore_ops);
	unregister_reboot_notifier(&kvm_reboot_notifier);
	hardware_disable_all();
err_irqfd:
	kvm_irqfd_exit();
err_masks:
	kvm_free_kick_masks();
err_arch:
	kvm_arch_exit();
	return r;
}

static void __exit kvm_exit(void)
{
	misc_deregister(&kvm_dev);
	unregister_syscore_ops(&kvm_syscore_ops);
	unregister_reboot_notifier(&kvm_reboot_notifier);
	hardware_disable_all();
	kvm_irqfd_exit();
	kvm_free_kick_masks();
	kvm_arch_exit();
}

module_init(kvm_init);
module_exit(kvm_exit);
