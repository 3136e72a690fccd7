// SPDX-License-Identifier: GPL-2.0
/*
 * Binary statistics: KVM_GET_STATS_FD on a VM or a vCPU (api.rst 4.133)
 * returns a read-only fd whose contents are, at fixed offsets: a struct
 * kvm_stats_header, an id string ("kvm-PID" or "kvm-PID/vcpu-ID"), one
 * struct kvm_stats_desc per statistic each followed by its name (both
 * strings in fields of header.name_size bytes), then the data: one u64
 * per statistic at data_offset + desc.offset.
 *
 * Everything but the data is fixed when the fd is made; the data is read
 * from the live counters at each read(), unlocked, as KVM does: each
 * counter has one writer (the vCPU thread, or atomics for the VM's), and
 * a reader sees some recent value of each.  The fd holds a reference on
 * the VM, which keeps the vCPUs alive too (they go with the VM).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <kestrel/kvm_host.h>

#define KVM_STAT_VM(name)						\
	{ #name, KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE |	\
		 KVM_STATS_BASE_POW10, offsetof(struct kvm_vm_stat, name) }

static const struct kvm_stat_desc kvm_vm_stats_desc[] = {
	KVM_STAT_VM(remote_tlb_flush),
	KVM_STAT_VM(remote_tlb_flush_requests),
};

static_assert(sizeof(atomic64_t) == sizeof(u64));

struct kvm_stats_file {
	struct kvm *kvm;
	const void *data;		/* the live counters, u64 each */
	size_t data_size;
	size_t meta_size;		/* header, id, descriptors */
	u8 meta[];
};

/* Copy what of [@start, @start + @len) the read at *pos covers. */
static ssize_t kvm_stats_copy(char __user **buf, size_t *size, loff_t *pos,
			      const void *src, loff_t start, size_t len)
{
	size_t n;

	if (!*size || *pos < start || *pos >= start + (loff_t)len)
		return 0;
	n = min_t(size_t, *size, start + len - *pos);
	if (copy_to_user(*buf, src + (*pos - start), n))
		return -EFAULT;
	*buf += n;
	*size -= n;
	*pos += n;
	return n;
}

static ssize_t kvm_stats_read(struct file *file, char __user *buf,
			      size_t size, loff_t *ppos)
{
	struct kvm_stats_file *sf = file->private_data;
	loff_t pos = *ppos;
	ssize_t a, b;

	if (pos < 0)
		return -EINVAL;
	a = kvm_stats_copy(&buf, &size, &pos, sf->meta, 0, sf->meta_size);
	if (a < 0)
		return a;
	b = kvm_stats_copy(&buf, &size, &pos, sf->data, sf->meta_size,
			   sf->data_size);
	/* What was copied counts, and moves the position (a short read). */
	*ppos = pos;
	if (b < 0)
		return a ? a : b;
	return a + b;
}

static int kvm_stats_release(struct inode *inode, struct file *file)
{
	struct kvm_stats_file *sf = file->private_data;

	kvm_put_kvm(sf->kvm);
	kfree(sf);
	return 0;
}

static const struct file_operations kvm_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= kvm_stats_read,
	.release	= kvm_stats_release,
	.llseek		= noop_llseek,
};

/* Header, id and descriptors, laid out as the comment at the top says. */
static void kvm_stats_fill_meta(u8 *meta, const char *id,
				const struct kvm_stat_desc *descs, int n,
				size_t desc_size)
{
	struct kvm_stats_header *h = (void *)meta;
	int i;

	h->flags = 0;
	h->name_size = KVM_STATS_NAME_SIZE;
	h->num_desc = n;
	h->id_offset = sizeof(*h);
	h->desc_offset = h->id_offset + KVM_STATS_NAME_SIZE;
	h->data_offset = h->desc_offset + n * desc_size;
	strscpy(meta + h->id_offset, id, KVM_STATS_NAME_SIZE);
	for (i = 0; i < n; i++) {
		struct kvm_stats_desc *d = (void *)meta + h->desc_offset +
					   i * desc_size;

		d->flags = descs[i].flags;
		d->exponent = 0;
		d->size = 1;
		d->offset = descs[i].offset;
		d->bucket_size = 0;
		strscpy(d->name, descs[i].name, KVM_STATS_NAME_SIZE);
	}
}

static int kvm_stats_fd(struct kvm *kvm, const char *name, const char *id,
			const struct kvm_stat_desc *descs, int n,
			const void *data, size_t data_size)
{
	size_t desc_size = sizeof(struct kvm_stats_desc) + KVM_STATS_NAME_SIZE;
	size_t meta_size = sizeof(struct kvm_stats_header) +
			   KVM_STATS_NAME_SIZE + n * desc_size;
	struct kvm_stats_file *sf;
	struct file *file;
	int fd;

	sf = kzalloc(sizeof(*sf) + meta_size, GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->kvm = kvm;
	sf->data = data;
	sf->data_size = data_size;
	sf->meta_size = meta_size;
	kvm_stats_fill_meta(sf->meta, id, descs, n, desc_size);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto err_free;
	file = anon_inode_getfile(name, &kvm_stats_fops, sf, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto err_free;
	}
	/* Each part sits at a fixed offset: pread() it, as KVM allows. */
	file->f_mode |= FMODE_PREAD;
	kvm_get_kvm(kvm);
	fd_install(fd, file);
	return fd;

err_free:
	kfree(sf);
	return fd;
}

int kvm_vm_stats_fd(struct kvm *kvm)
{
	return kvm_stats_fd(kvm, "kvm-vm-stats", kvm->stats_id,
			    kvm_vm_stats_desc,
			    ARRAY_SIZE(kvm_vm_stats_desc), &kvm->stat,
			    sizeof(kvm->stat));
}

int kvm_vcpu_stats_fd(struct kvm_vcpu *vcpu)
{
	return kvm_stats_fd(vcpu->kvm, "kvm-vcpu-stats", vcpu->stats_id,
			    kvm_vcpu_stats_desc,
			    kvm_vcpu_stats_count, &vcpu->arch.stat,
			    sizeof(vcpu->arch.stat));
}
