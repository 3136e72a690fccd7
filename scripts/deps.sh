#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install everything Kestrel needs to build, check and test, from Debian 12's
# own package archive only.  The kernel image and headers come from the same
# metapackages so their versions match.  Bochs is the emulated Intel VMX host
# (QEMU TCG has no VMX): it needs a GUI plugin package to install, bochs-x
# being the small one (the runs use its built-in RFB display), and boots an
# isolinux ISO made with xorriso.
set -eu

PKGS="
build-essential
bc
bison
flex
kmod
cpio
xz-utils
python3
perl
git
sparse
linux-image-amd64
linux-headers-amd64
linux-source-6.1
qemu-system-x86
busybox-static
bochs
bochs-x
bochsbios
vgabios
isolinux
syslinux
syslinux-common
xorriso
"

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $PKGS

# The emulated host boots the newest installed Debian amd64 kernel whose
# headers are installed too; say which.
kver=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
echo "deps: kernel headers ${kver:-MISSING}"
