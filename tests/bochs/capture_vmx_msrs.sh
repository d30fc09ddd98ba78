#!/bin/sh
# Boots vmx_msr_probe.asm in Bochs once per CPU model and prints what it
# reported. Usage: tests/bochs/capture_vmx_msrs.sh [model...] (defaults to
# every long-mode VMX model of Bochs 2.7, as tools/bochs_models.py lists them).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nasm -f bin "$here/vmx_msr_probe.asm" -o "$work/probe.bin"
dd if=/dev/zero of="$work/disk.img" bs=512 count=2880 status=none
dd if="$work/probe.bin" of="$work/disk.img" conv=notrunc status=none
models=${*:-$(python3 -c "import sys; sys.path.insert(0, sys.argv[1]); import bochs_models
print(*bochs_models.vmx_models())" "$here/../../tools")}
for model in $models; do
  cat > "$work/bochsrc" <<RC
megs: 32
cpu: model=$model
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
floppya: 1_44=$work/disk.img, status=inserted
boot: floppy
display_library: rfb, options="timeout=0"
port_e9_hack: enabled=1
speaker: enabled=0
sound: driver=dummy
log: $work/bochs.log
RC
  printf 'c\n' > "$work/cmds"
  echo "# model=$model"
  bochs -q -f "$work/bochsrc" -rc "$work/cmds" 2>/dev/null | grep -a -E '^(msr|no vmx)' || true
done
