#!/usr/bin/env python3
"""Build a guest disk for chain mode from Debian's own boot code.

    mkdisk2.py --kind mbr-empty|mbr-vbr|grub --out FILE [--vbr VBR.bin] [--root DIR]

Every kind is a 16-head x 63-sector disk of DISK_SECTORS sectors (Bochs
takes its geometry from the size) whose MBR partition table has one entry,
at PART_LBA to the end:

  mbr-empty  SYSLINUX's mbr.bin (syslinux-common), unmodified; the entry is
             not active, so the MBR prints "Missing operating system." and
             executes INT 18h (the BIOS's "boot failed" path).
  mbr-vbr    the same MBR; the entry is active and its first sectors hold
             our VBR (guest/chain/vbr.asm, --vbr), which checks the MBR's
             hand-over, prints a line and powers off through ACPI.
  grub       GRUB 2.06 (grub-pc-bin): boot.img in the MBR, patched as
             grub-bios-setup patches it, and a core.img made here with
             grub-mkimage in the gap after the MBR (LBA 1..), whose embedded
             configuration turns on the serial terminal, echoes GRUB_LINE
             and halts (GRUB's ACPI power-off).

Each file taken from a package is first compared with the MD5 sum that
dpkg recorded for it when the package was installed
(/var/lib/dpkg/info/<package>.md5sums); grub-mkimage is run on checked
copies. The image is written to a temporary file beside FILE and renamed
into place: on any error FILE is left as it was. --root DIR looks for the
package files and dpkg's lists under DIR instead of / (for tests).
"""
import argparse
import glob
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

SECTOR = 512
HEADS, SECTORS_PER_TRACK = 16, 63
DISK_SECTORS = 4 * HEADS * SECTORS_PER_TRACK      # 4 cylinders, 2 MiB
PART_LBA = 2048                                     # the usual 1 MiB gap
PART_TYPE = 0xDA                                    # "non-FS data"
DISK_SIGNATURE = 0x3244_4D56                        # "VMD2"

SYSLINUX_MBR = "usr/lib/syslinux/mbr/mbr.bin"
GRUB_DIR = "usr/lib/grub/i386-pc"
GRUB_LINE = "vmxboot-chain: grub echo"
GRUB_MODULES = ["biosdisk", "part_msdos", "serial", "terminal", "echo", "halt"]
# The rescue parser of GRUB's kernel runs an embedded configuration one
# command per line, before any module is loaded from a disk.
GRUB_CONFIG = f"""serial --unit=0 --speed=115200
terminal_output --append serial
echo {GRUB_LINE}
halt
"""

# GRUB 2.06 boot.img (grub-core/boot/i386/pc/boot.S, include/grub/i386/pc/boot.h)
# and diskboot.img: the fields grub-bios-setup writes.
GRUB_BPB = (0x03, 0x5A)               # copied from the disk's old sector 0
GRUB_KERNEL_SECTOR = 0x5C             # 64-bit LBA of core.img's first sector
GRUB_BOOT_DRIVE = 0x64                # 0xFF: use DL as the BIOS passed it
GRUB_DRIVE_CHECK = 0x66               # jmp over "force 0x80": NOPs on a hard disk
GRUB_PART_START = 0x1B8               # signature and table: the disk's own
BLOCKLIST = SECTOR - 12               # diskboot.img: {u64 start, u16 len, u16 segment}
CORE_SEGMENT = 0x820                  # where diskboot loads the rest of core.img

KINDS = ("mbr-empty", "mbr-vbr", "grub")


class Disk2Error(Exception):
    """A step that failed: `step` names it, the message says what was wrong."""

    def __init__(self, step, message):
        super().__init__(f"{step}: {message}")


def chs(lba):
    """CHS triple of an MBR entry for LBA (1023/254/63 beyond CHS's reach)."""
    cylinder, rest = divmod(lba, HEADS * SECTORS_PER_TRACK)
    head, sector = divmod(rest, SECTORS_PER_TRACK)
    if cylinder > 1023:
        return bytes([0xFE, 0xFF, 0xFF])
    return bytes([head, ((cylinder >> 2) & 0xC0) | (sector + 1), cylinder & 0xFF])


def partition_entry(active, lba, count):
    return (bytes([0x80 if active else 0x00]) + chs(lba) + bytes([PART_TYPE])
            + chs(lba + count - 1) + struct.pack("<II", lba, count))


def partition_table(active):
    """Bytes 0x1B8..0x1FF of sector 0: disk signature, one entry, 0x55AA."""
    entries = partition_entry(active, PART_LBA, DISK_SECTORS - PART_LBA) + bytes(48)
    return struct.pack("<IH", DISK_SIGNATURE, 0) + entries + b"\x55\xAA"


def md5sums(root, package):
    """{path relative to /: md5 hex} as dpkg recorded them for PACKAGE."""
    info = os.path.join(root, "var/lib/dpkg/info")
    lists = glob.glob(os.path.join(info, f"{package}.md5sums")) + \
        glob.glob(os.path.join(info, f"{package}:*.md5sums"))
    if not lists:
        raise Disk2Error(f"check {package}",
                         f"dpkg has no checksum list for {package} in {info}: "
                         f"install it (tools/ensure-packages.sh disk2)")
    sums = {}
    with open(lists[0]) as f:
        for line in f:
            digest, _, path = line.rstrip("\n").partition("  ")
            sums[path] = digest
    return sums


def package_file(root, package, path, sums=None):
    """The bytes of PATH (relative to /) from PACKAGE, once they match dpkg's MD5."""
    sums = sums if sums is not None else md5sums(root, package)
    full = os.path.join(root, path)
    step = f"check {package}:/{path}"
    if not os.path.isfile(full):
        raise Disk2Error(step, f"{full} not found: install {package} "
                               f"(tools/ensure-packages.sh disk2)")
    if path not in sums:
        raise Disk2Error(step, f"dpkg lists no checksum for /{path} in {package}")
    with open(full, "rb") as f:
        data = f.read()
    found = hashlib.md5(data).hexdigest()
    if found != sums[path]:
        raise Disk2Error(step, f"MD5 {found} differs from the package's {sums[path]}: "
                               f"the file was changed after installation "
                               f"(reinstall {package})")
    return data


def new_disk():
    return bytearray(DISK_SECTORS * SECTOR)


def mbr_empty(root, _vbr):
    mbr = package_file(root, "syslinux-common", SYSLINUX_MBR)
    disk = new_disk()
    put_syslinux_mbr(disk, mbr, active=False)
    return disk


def mbr_vbr(root, vbr_path):
    mbr = package_file(root, "syslinux-common", SYSLINUX_MBR)
    if not vbr_path:
        raise Disk2Error("read the VBR", "mbr-vbr needs --vbr (build/chain-vbr.bin: make disk2 builds it)")
    try:
        with open(vbr_path, "rb") as f:
            vbr = f.read()
    except OSError as e:
        raise Disk2Error("read the VBR", f"{vbr_path}: {e.strerror}")
    if not vbr or len(vbr) % SECTOR or vbr[510:512] != b"\x55\xAA":
        raise Disk2Error("read the VBR", f"{vbr_path} is not whole sectors ending its "
                                         f"first with 0x55AA ({len(vbr)} bytes)")
    if len(vbr) > (DISK_SECTORS - PART_LBA) * SECTOR:
        raise Disk2Error("read the VBR", f"{vbr_path} is larger than the partition")
    disk = new_disk()
    put_syslinux_mbr(disk, mbr, active=True)
    disk[PART_LBA * SECTOR:PART_LBA * SECTOR + len(vbr)] = vbr
    return disk


def put_syslinux_mbr(disk, mbr, active):
    # mbr.bin is the code before the disk signature (440 bytes); it is
    # copied as it is and the table follows it.
    if len(mbr) > GRUB_PART_START:
        raise Disk2Error("place mbr.bin", f"{len(mbr)} bytes, more than the "
                                          f"{GRUB_PART_START} before the disk signature")
    disk[0:len(mbr)] = mbr
    disk[GRUB_PART_START:SECTOR] = partition_table(active)


def grub_modules(moddep, wanted):
    """WANTED and every module they need, from GRUB's moddep.lst."""
    deps = {}
    for line in moddep.decode().splitlines():
        name, _, needs = line.partition(":")
        deps[name.strip()] = needs.split()
    todo, seen = list(wanted), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in deps:
            raise Disk2Error("grub modules", f"no module {name!r} in moddep.lst")
        seen.add(name)
        todo += deps[name]
    return sorted(seen)


def grub_core(root, work):
    """core.img made by grub-mkimage from checked copies of GRUB's files."""
    sums = md5sums(root, "grub-pc-bin")
    lib = os.path.join(work, "i386-pc")
    os.mkdir(lib)
    moddep = package_file(root, "grub-pc-bin", f"{GRUB_DIR}/moddep.lst", sums)
    names = ["kernel.img", "lzma_decompress.img", "diskboot.img", "moddep.lst"] + \
        [f"{m}.mod" for m in grub_modules(moddep, GRUB_MODULES)]
    for name in names:
        with open(os.path.join(lib, name), "wb") as f:
            f.write(package_file(root, "grub-pc-bin", f"{GRUB_DIR}/{name}", sums))
    config = os.path.join(work, "embedded.cfg")
    with open(config, "w") as f:
        f.write(GRUB_CONFIG)
    core = os.path.join(work, "core.img")
    try:
        out = subprocess.run(["grub-mkimage", "-d", lib, "-O", "i386-pc", "-o", core,
                              "-c", config, "-p", "/boot/grub", *GRUB_MODULES],
                             capture_output=True, text=True)
    except FileNotFoundError:
        raise Disk2Error("grub-mkimage", "not installed: install grub-common "
                                         "(tools/ensure-packages.sh disk2)")
    if out.returncode != 0:
        raise Disk2Error("grub-mkimage", out.stderr.strip() or f"exit status {out.returncode}")
    with open(core, "rb") as f:
        return bytearray(f.read())


def grub(root, _vbr):
    boot = bytearray(package_file(root, "grub-pc-bin", f"{GRUB_DIR}/boot.img"))
    with tempfile.TemporaryDirectory(prefix="mkdisk2-") as work:
        core = grub_core(root, work)
    sectors = (len(core) + SECTOR - 1) // SECTOR
    if not 2 <= sectors < PART_LBA:
        raise Disk2Error("place core.img", f"{sectors} sectors do not fit the gap "
                                           f"LBA 1..{PART_LBA - 1}")
    core += bytes(sectors * SECTOR - len(core))
    # diskboot.img's blocklist: grub-mkimage wrote the length and segment of
    # the rest of core.img; where it lies is the installer's to write.
    start, length, segment = struct.unpack_from("<QHH", core, BLOCKLIST)
    if length != sectors - 1 or segment != CORE_SEGMENT:
        raise Disk2Error("place core.img", f"unexpected blocklist in diskboot.img "
                                           f"(length {length}, segment {segment:#x})")
    if any(core[BLOCKLIST - 12:BLOCKLIST]):
        raise Disk2Error("place core.img", "no terminator before diskboot.img's blocklist")
    struct.pack_into("<Q", core, BLOCKLIST, 2)           # core.img at LBA 1, the rest at 2

    disk = new_disk()
    # What grub-bios-setup does to boot.img: the old sector's BPB range
    # (zeros here, a fresh disk), NOPs over the jump that skips forcing a
    # hard-disk drive number, DL kept (0xFF), core.img's first LBA, and the
    # disk's own signature and partition table.
    boot[GRUB_BPB[0]:GRUB_BPB[1]] = bytes(GRUB_BPB[1] - GRUB_BPB[0])
    if boot[GRUB_DRIVE_CHECK] != 0xEB:
        raise Disk2Error("patch boot.img", f"no jmp at {GRUB_DRIVE_CHECK:#x}: not GRUB 2.06's boot.img")
    boot[GRUB_DRIVE_CHECK:GRUB_DRIVE_CHECK + 2] = b"\x90\x90"
    boot[GRUB_BOOT_DRIVE] = 0xFF
    struct.pack_into("<Q", boot, GRUB_KERNEL_SECTOR, 1)
    boot[GRUB_PART_START:SECTOR] = partition_table(active=True)
    disk[0:SECTOR] = boot
    disk[SECTOR:SECTOR + len(core)] = core
    return disk


BUILDERS = {"mbr-empty": mbr_empty, "mbr-vbr": mbr_vbr, "grub": grub}


def build(kind, out, vbr=None, root="/"):
    """Builds disk KIND into OUT (all or nothing)."""
    if kind not in BUILDERS:
        raise Disk2Error("choose the disk", f"unknown KIND {kind!r}: one of {', '.join(KINDS)}")
    disk = BUILDERS[kind](root, vbr)
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".disk2-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(disk)
        os.chmod(tmp, 0o644)                        # mkstemp's 0600 is for secrets
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", required=True, help=" | ".join(KINDS))
    p.add_argument("--out", required=True)
    p.add_argument("--vbr", help="the VBR for mbr-vbr (build/chain-vbr.bin)")
    p.add_argument("--root", default="/", help="find package files and dpkg's lists here")
    a = p.parse_args()
    try:
        build(a.kind, a.out, a.vbr, a.root)
    except Disk2Error as e:
        sys.exit(f"mkdisk2: {a.kind}: {e} (nothing written to {a.out})")
    print(f"mkdisk2: {a.out}: {a.kind}, {DISK_SECTORS} sectors, partition at LBA {PART_LBA}")


if __name__ == "__main__":
    main()
