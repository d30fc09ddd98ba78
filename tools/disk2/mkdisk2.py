#!/usr/bin/env python3
"""Build a guest disk for chain mode from Debian's own boot code.

    mkdisk2.py --kind mbr-empty|mbr-vbr|grub|linux --out FILE [--vbr VBR.bin]
               [--root DIR] [--packages DIR]

Every kind is a 16-head x 63-sector disk (Bochs takes its geometry from
the size), of DISK_SECTORS sectors but for linux, whose MBR partition table
has one entry, at PART_LBA to the end:

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
  linux      GRUB as for grub, loading Debian 12's kernel and an initramfs
             of ours from an ext2 partition (linux_disk.py, which says
             more): the initramfs's /init prints a line, reads a sector of
             its disk through the kernel's IDE driver and powers off.

Each file taken from a package is first compared with the MD5 sum that
dpkg recorded for it when the package was installed
(/var/lib/dpkg/info/<package>.md5sums); grub-mkimage is run on checked
copies (the linux kind's packages are fetched into --packages DIR and
checked against their own md5sums instead: linux_disk.py). The image is written to a temporary file beside FILE and renamed
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

KINDS = ("mbr-empty", "mbr-vbr", "grub", "linux")


class Inputs:
    """What a kind may take besides the packages: root (where the
    installed packages' files and dpkg's lists are), vbr (mbr-vbr's VBR),
    packages (the linux kind's .deb cache)."""

    def __init__(self, root="/", vbr=None, packages=None):
        self.root, self.vbr, self.packages = root, vbr, packages


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


def partition_entry(active, lba, count, part_type=PART_TYPE):
    return (bytes([0x80 if active else 0x00]) + chs(lba) + bytes([part_type])
            + chs(lba + count - 1) + struct.pack("<II", lba, count))


def partition_table(active, disk_sectors=DISK_SECTORS, part_type=PART_TYPE):
    """Bytes 0x1B8..0x1FF of sector 0: disk signature, one entry (PART_LBA
    to the disk's end), 0x55AA."""
    entries = partition_entry(active, PART_LBA, disk_sectors - PART_LBA, part_type) + bytes(48)
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


def md5_file(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def mbr_empty(inputs):
    mbr = package_file(inputs.root, "syslinux-common", SYSLINUX_MBR)
    disk = new_disk()
    put_syslinux_mbr(disk, mbr, active=False)
    return disk


def mbr_vbr(inputs):
    mbr = package_file(inputs.root, "syslinux-common", SYSLINUX_MBR)
    vbr_path = inputs.vbr
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


def grub_core(root, work, modules, config, prefix):
    """core.img made by grub-mkimage from checked copies of GRUB's files:
    MODULES (and what they need), the embedded CONFIG, PREFIX."""
    sums = md5sums(root, "grub-pc-bin")
    lib = os.path.join(work, "i386-pc")
    os.mkdir(lib)
    moddep = package_file(root, "grub-pc-bin", f"{GRUB_DIR}/moddep.lst", sums)
    names = ["kernel.img", "lzma_decompress.img", "diskboot.img", "moddep.lst"] + \
        [f"{m}.mod" for m in grub_modules(moddep, modules)]
    for name in names:
        with open(os.path.join(lib, name), "wb") as f:
            f.write(package_file(root, "grub-pc-bin", f"{GRUB_DIR}/{name}", sums))
    config_file = os.path.join(work, "embedded.cfg")
    with open(config_file, "w") as f:
        f.write(config)
    core = os.path.join(work, "core.img")
    try:
        out = subprocess.run(["grub-mkimage", "-d", lib, "-O", "i386-pc", "-o", core,
                              "-c", config_file, "-p", prefix, *modules],
                             capture_output=True, text=True)
    except FileNotFoundError:
        raise Disk2Error("grub-mkimage", "not installed: install grub-common "
                                         "(tools/ensure-packages.sh disk2)")
    if out.returncode != 0:
        raise Disk2Error("grub-mkimage", out.stderr.strip() or f"exit status {out.returncode}")
    with open(core, "rb") as f:
        return bytearray(f.read())


def grub_boot_code(root, modules, config, prefix):
    """GRUB's two parts, ready for a disk: boot.img patched as
    grub-bios-setup patches it (but for the partition table, put_grub's)
    and core.img (MODULES, the embedded CONFIG, PREFIX) in whole sectors,
    its blocklist saying that its rest follows it at LBA 2."""
    boot = bytearray(package_file(root, "grub-pc-bin", f"{GRUB_DIR}/boot.img"))
    with tempfile.TemporaryDirectory(prefix="mkdisk2-") as work:
        core = grub_core(root, work, modules, config, prefix)
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

    # What grub-bios-setup does to boot.img: the old sector's BPB range
    # (zeros here, a fresh disk), NOPs over the jump that skips forcing a
    # hard-disk drive number, DL kept (0xFF), core.img's first LBA.
    boot[GRUB_BPB[0]:GRUB_BPB[1]] = bytes(GRUB_BPB[1] - GRUB_BPB[0])
    if boot[GRUB_DRIVE_CHECK] != 0xEB:
        raise Disk2Error("patch boot.img", f"no jmp at {GRUB_DRIVE_CHECK:#x}: not GRUB 2.06's boot.img")
    boot[GRUB_DRIVE_CHECK:GRUB_DRIVE_CHECK + 2] = b"\x90\x90"
    boot[GRUB_BOOT_DRIVE] = 0xFF
    struct.pack_into("<Q", boot, GRUB_KERNEL_SECTOR, 1)
    return boot, core


def put_grub(disk, boot, core, disk_sectors=DISK_SECTORS, part_type=PART_TYPE):
    """boot.img with the disk's own signature and partition table (active)
    in sector 0, core.img from LBA 1."""
    boot[GRUB_PART_START:SECTOR] = partition_table(True, disk_sectors, part_type)
    disk[0:SECTOR] = boot
    disk[SECTOR:SECTOR + len(core)] = core


def grub(inputs):
    boot, core = grub_boot_code(inputs.root, GRUB_MODULES, GRUB_CONFIG, "/boot/grub")
    disk = new_disk()
    put_grub(disk, boot, core)
    return disk


def linux(inputs):
    import linux_disk       # imports this module (see the end of the file)
    return linux_disk.linux(inputs)


BUILDERS = {"mbr-empty": mbr_empty, "mbr-vbr": mbr_vbr, "grub": grub, "linux": linux}


def build(kind, out, vbr=None, root="/", packages=None):
    """Builds disk KIND into OUT (all or nothing); returns its size in sectors."""
    if kind not in BUILDERS:
        raise Disk2Error("choose the disk", f"unknown KIND {kind!r}: one of {', '.join(KINDS)}")
    disk = BUILDERS[kind](Inputs(root, vbr, packages))
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
    return len(disk) // SECTOR


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", required=True, help=" | ".join(KINDS))
    p.add_argument("--out", required=True)
    p.add_argument("--vbr", help="the VBR for mbr-vbr (build/chain-vbr.bin)")
    p.add_argument("--root", default="/", help="find package files and dpkg's lists here")
    p.add_argument("--packages", help="the linux kind's .deb cache (build/disk2-packages)")
    a = p.parse_args()
    try:
        sectors = build(a.kind, a.out, a.vbr, a.root, a.packages)
    except Disk2Error as e:
        sys.exit(f"mkdisk2: {a.kind}: {e} (nothing written to {a.out})")
    print(f"mkdisk2: {a.out}: {a.kind}, {sectors} sectors, partition at LBA {PART_LBA}")


if __name__ == "__main__":
    # Run as the module `mkdisk2`, the one linux_disk.py imports: a script's
    # __main__ would be a second copy, with a Disk2Error of its own.
    import mkdisk2
    mkdisk2.main()
