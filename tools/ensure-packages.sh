#!/usr/bin/env bash
# Makes sure the Debian 12 packages vmxboot needs are installed.
#   ensure-packages.sh build   what `make image` needs
#   ensure-packages.sh disk2   that, plus the Debian boot code `make disk2` takes
#   ensure-packages.sh fuzz    that of build, plus clang and libFuzzer (`make fuzz`)
#   ensure-packages.sh test    all of them, and what `make run` and `make test` need
# As root it installs what is missing (apt-get); otherwise it prints the
# command to run and fails.
set -euo pipefail

build_packages=(make g++ binutils nasm)
test_packages=(libgtest-dev bochs bochsbios vgabios seabios python3 fdisk qemu-system-x86)
# The guest disks of tools/disk2: SYSLINUX's MBR, GRUB's boot.img and modules,
# grub-mkimage; for the linux disk cpio (the initramfs), e2fsprogs (mke2fs -d)
# and kmod (depmod: the kernel package ships no modules.dep). Its kernel and
# busybox are fetched with apt-get download, not installed.
disk2_packages=(python3 syslinux-common grub-pc-bin grub-common cpio e2fsprogs kmod)
fuzz_packages=(clang libclang-rt-14-dev)

case "${1:-build}" in
  build) wanted=("${build_packages[@]}") ;;
  disk2) wanted=("${build_packages[@]}" "${disk2_packages[@]}") ;;
  fuzz) wanted=("${build_packages[@]}" "${fuzz_packages[@]}") ;;
  test) wanted=("${build_packages[@]}" "${test_packages[@]}" "${disk2_packages[@]}") ;;
  *) echo "usage: $0 build|disk2|fuzz|test" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "vmxboot: missing Debian packages: ${missing[*]}" >&2
  echo "vmxboot: install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "vmxboot: installing missing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
  # A fresh machine has no package lists yet.
  apt-get update >&2
  apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
