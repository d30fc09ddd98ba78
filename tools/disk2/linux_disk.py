"""The `linux` guest disk of mkdisk2.py: GRUB 2 loads Debian 12's kernel and
an initramfs of ours from an ext2 partition.

    sector 0         GRUB's boot.img (grub-pc-bin), as for the grub kind
    LBA 1..          core.img: biosdisk, part_msdos, ext2, linux, ... and an
                     embedded configuration that loads /boot/vmlinuz and
                     /boot/initrd.img from (,msdos1) - the first partition of
                     the drive GRUB booted from, 0x80 natively, 0x81 in chain
                     mode - and boots them
    LBA MARKER_LBA   MARKER, which the initramfs reads back through the
                     kernel's IDE driver
    LBA PART_LBA..   the partition, type 0x83: ext2 made with `mke2fs -d`
                     (no root, no loop device) holding /boot/vmlinuz and
                     /boot/initrd.img

The kernel is the one Debian 12's linux-image-amd64 depends on
(linux-image-<version>-amd64); the initramfs (cpio newc, gzip) holds
busybox-static's busybox, INIT_SCRIPT as /init, and the modules of the PIIX
IDE stack (WANTED_MODULES and what modules.dep says they need, unless
modules.builtin has them) from the same kernel package.

The packages are fetched, not installed: `apt-get download` into a cache
folder (--packages; a .deb of the version apt offers that is there already
is used as it is), `dpkg-deb -x` into a temporary folder, and every file
taken from them is compared with the MD5 sum in the package's own
DEBIAN/md5sums (`dpkg-deb -e`) first. The kernel package ships no
modules.dep (its postinst runs depmod): depmod makes it here, on the
extracted copy.
"""
import glob
import gzip
import os
import re
import shutil
import subprocess
import tempfile

import mkdisk2
from mkdisk2 import Disk2Error, SECTOR, PART_LBA

HEADS, SECTORS_PER_TRACK = mkdisk2.HEADS, mkdisk2.SECTORS_PER_TRACK
DISK_SECTORS = 64 * HEADS * SECTORS_PER_TRACK       # 64 cylinders, 31.5 MiB
PART_TYPE = 0x83                                    # Linux
MARKER_LBA = PART_LBA - 1                           # the gap's last sector
MARKER = f"VMXBOOT LINUX DISK2 MARKER AT LBA {MARKER_LBA}"

META_PACKAGE = "linux-image-amd64"
BUSYBOX_PACKAGE = "busybox-static"
# The PIIX IDE driver stack: the controller Bochs (and QEMU's pc machine)
# emulate.
WANTED_MODULES = ["ata_piix", "libata", "scsi_mod", "sd_mod"]
# busybox's applets /init runs, as links in /bin.
APPLETS = ["sh", "cat", "dd", "dmesg", "grep", "halt", "head", "insmod", "ls", "mount",
           "poweroff", "readlink", "sed", "sleep", "tr", "uname"]
KERNEL_ARGS = "console=ttyS0,115200 panic=-1 rdinit=/init cryptomgr.notests"
# How to boot the disk in Bochs: 256 MiB, and an emulated second of 50
# million instructions (the boot harnesses' bochs_boot.DEFAULT_IPS is a
# million). A kernel that calibrates its clocks against the HPET or the PIT
# (every model without CPUID leaf 0x15, e.g. corei7_haswell_4770) takes its
# timer tick, 250 Hz, every IPS / 250 instructions: at a million, every
# 4,000, and it hardly gets anywhere (at 7.7 G instructions, 25 minutes, it
# had not reached /init). With leaf 0x15 (corei7_skylake_x) the count is
# the same at 1 and 4 million (6.49 and 6.51 G). What waits by the clock
# (the firmware's, the UART's transmit time) costs more at a higher rate.
BOOT_MEGS = 256
BOOT_IPS = 50_000_000
GRUB_MODULES = ["biosdisk", "part_msdos", "ext2", "linux", "normal", "serial", "terminal",
                "echo", "halt"]
GRUB_PREFIX = "(,msdos1)/boot/grub"
# Every file in the initramfs and the partition gets this time (2024-01-01):
# the same packages make the same disk.
FILE_TIME = 1704067200
FS_UUID = "564d5842-4c49-4e55-5844-49534b320000"

GRUB_CONFIG = """serial --unit=0 --speed=115200
terminal_output --append serial
echo vmxboot-linux: grub: loading {version}
linux /boot/vmlinuz {args}
initrd /boot/initrd.img
boot
echo vmxboot-linux: grub: boot failed
halt
"""

# /init: busybox's sh. One line with the kernel's version, the CPU count and
# whether CPUID says hypervisor (the `flags` line of /proc/cpuinfo); the IDE
# modules loaded in dependency order; sector MARKER_LBA of every disk read
# through them and printed (printable characters only), or without a disk
# the IDE controller's state and the kernel's lines about it; the SCI and
# GPE counts that are not 0; ACPI power-off (halt if that fails: HLT with
# interrupts off).
INIT_SCRIPT = """#!/bin/sh
# The init of vmxboot's linux guest disk (tools/disk2/linux_disk.py).
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
say() {{ echo "vmxboot-linux: init: $*"; }}
cpus=$(grep -c '^processor' /proc/cpuinfo)
hypervisor=no
grep -m 1 '^flags' /proc/cpuinfo | grep -qw hypervisor && hypervisor=yes
say "kernel=$(uname -r) cpus=$cpus hypervisor=$hypervisor"
# From here on the kernel's lines go to its log (printed below), not in
# between ours on the console; its power-off line is an emergency one.
dmesg -n 1
for module in {modules}; do
    insmod /lib/modules/$module.ko || say "insmod $module failed"
done
say "modules: {modules}"
# Under SeaBIOS in Bochs the PIIX functions of slot 1, the IDE controller
# among them, are sometimes gone from the kernel's PCI devices by now (see
# README): the bus is scanned again, and says so.
ide=
for device in /sys/bus/pci/devices/*; do
    case $(cat $device/class) in 0x0101*) ide=${{device##*/}}; esac
done
if [ -z "$ide" ]; then
    say "no IDE controller among the PCI devices: rescanning the bus"
    echo 1 > /sys/bus/pci/rescan
fi
acpi=
for counter in /sys/firmware/acpi/interrupts/sci /sys/firmware/acpi/interrupts/gpe[0-9A-F][0-9A-F]; do
    [ -r $counter ] || continue
    read -r count rest < $counter
    [ "$count" = 0 ] || acpi="$acpi ${{counter##*/}}=$count"
done
say "acpi interrupts:${{acpi:- none}}"
n=0
while ! ls /dev/sd? >/dev/null 2>&1 && [ $n -lt 50 ]; do
    sleep 0.1
    n=$((n + 1))
done
disks=0
for disk in /dev/sd?; do
    [ -b "$disk" ] || continue
    text=$(dd if=$disk bs=512 skip={lba} count=1 2>/dev/null | tr -cd 'A-Za-z0-9 .,:=_-' | head -c 64)
    say "${{disk#/dev/}} LBA {lba}: $text"
    disks=$((disks + 1))
done
if [ $disks = 0 ]; then
    say "no disk /dev/sd?"
    for device in /sys/bus/pci/devices/*; do
        case $(cat $device/class) in 0x0101*)
            say "IDE controller ${{device##*/}}: enable=$(cat $device/enable) driver=$(readlink $device/driver)"
        esac
    done
    dmesg | sed '/Run \/init/q' | grep -iE 'ata|piix|scsi|01\.1' | while read -r line; do say "dmesg: $line"; done
fi
dmesg | sed -n '/Run \/init/,$p' | while read -r line; do say "kernel: $line"; done
say "poweroff"
# What is still on its way to the UART would be lost: closing the console,
# ttyS0's last user, waits until it has all gone (a sleep would wait by the
# kernel's clock, which on corei7_skylake_x runs 70 times slower than
# Bochs' at 50 million instructions a second).
exec </dev/null >/dev/null 2>&1
poweroff -f
echo "<0>vmxboot-linux: init: poweroff failed, halting" > /dev/kmsg
halt -f
"""


def run(step, argv, env=None, quiet_stderr=None, **kwargs):
    """Runs ARGV (text, unless text=False); its stdout, or a Disk2Error
    naming STEP and what the command said: a failure, or with QUIET_STDERR
    (a regular expression) a line on stderr that it does not match."""
    kwargs.setdefault("text", True)
    try:
        out = subprocess.run(argv, capture_output=True, env=dict(os.environ, LC_ALL="C", **(env or {})),
                             **kwargs)
    except FileNotFoundError:
        raise Disk2Error(step, f"{argv[0]} not installed (tools/ensure-packages.sh disk2)")
    said = out.stderr if kwargs["text"] else out.stderr.decode(errors="replace")
    if out.returncode != 0:
        raise Disk2Error(step, f"{' '.join(argv[:2])}: {said.strip() or f'exit status {out.returncode}'}")
    if quiet_stderr:
        unexpected = [line for line in said.splitlines() if not re.fullmatch(quiet_stderr, line)]
        if unexpected:
            raise Disk2Error(step, f"{' '.join(argv[:2])}: {' / '.join(unexpected)}")
    return out.stdout


# ---------------------------------------------------------------- packages

def deb_fields(deb, *fields):
    out = run(f"read {os.path.basename(deb)}", ["dpkg-deb", "-f", deb, *fields])
    values = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return [values.get(f, "") for f in fields]


def cached_debs(cache, package):
    """{version: path} of PACKAGE's .debs in CACHE."""
    found = {}
    for deb in sorted(glob.glob(os.path.join(cache, f"{package}_*.deb"))):
        name, version = deb_fields(deb, "Package", "Version")
        if name == package:
            found[version] = deb
    return found


def apt_candidate(package):
    """The version apt would install of PACKAGE, or None if apt knows none."""
    out = run(f"fetch {package}", ["apt-cache", "policy", package])
    m = re.search(r"^\s*Candidate: (\S+)", out, re.M)
    return m.group(1) if m and m.group(1) != "(none)" else None


def fetch(cache, package, version=None):
    """The .deb of PACKAGE in CACHE: VERSION (by default the version apt
    offers), downloaded with apt-get unless it is there already."""
    step = f"fetch {package}"
    os.makedirs(cache, exist_ok=True)
    wanted = version or apt_candidate(package)
    debs = cached_debs(cache, package)
    if wanted is None:
        # No package lists (a fresh machine before apt-get update): a
        # single cached .deb is taken as it is.
        if len(debs) == 1:
            return next(iter(debs.values()))
        raise Disk2Error(step, f"apt knows no {package} and {cache} has "
                               f"{len(debs) or 'no'} .deb of it: run apt-get update")
    if wanted not in debs:
        run(step, ["apt-get", "download", f"{package}={wanted}"], cwd=cache)
        debs = cached_debs(cache, package)
        if wanted not in debs:
            raise Disk2Error(step, f"apt-get download left no {package} {wanted} in {cache}")
    return debs[wanted]


class Package:
    """A .deb extracted into WORK, its files handed out only once they match
    the package's own MD5 sums."""

    def __init__(self, deb, work):
        self.deb = deb
        self.name, self.version, self.depends = deb_fields(deb, "Package", "Version", "Depends")
        step = f"unpack {self.name}"
        control = os.path.join(work, f"{self.name}.control")
        self.root = os.path.join(work, f"{self.name}.data")
        run(step, ["dpkg-deb", "-e", deb, control])
        run(step, ["dpkg-deb", "-x", deb, self.root])
        self.sums = {}
        try:
            with open(os.path.join(control, "md5sums")) as f:
                for line in f:
                    digest, _, path = line.rstrip("\n").partition("  ")
                    self.sums[path] = digest
        except FileNotFoundError:
            raise Disk2Error(step, f"{deb} has no DEBIAN/md5sums")

    def path(self, path):
        """The extracted PATH (relative to /), once it matches its MD5 sum."""
        step = f"check {self.name}:/{path}"
        full = os.path.join(self.root, path)
        if not os.path.isfile(full):
            raise Disk2Error(step, f"not in {os.path.basename(self.deb)}")
        if path not in self.sums:
            raise Disk2Error(step, f"the package's md5sums list no /{path}")
        found = mkdisk2.md5_file(full)
        if found != self.sums[path]:
            raise Disk2Error(step, f"MD5 {found} differs from the package's {self.sums[path]} "
                                   f"({os.path.basename(self.deb)} was changed: delete it to "
                                   f"fetch it again)")
        return full


def kernel_package_name(meta):
    """linux-image-<version>-amd64 and its version, from linux-image-amd64's
    Depends (`linux-image-6.1.0-NN-amd64 (= 6.1.x-y)`)."""
    m = re.fullmatch(r"(linux-image-(\S+-amd64)) \(= (\S+)\)", meta.depends.strip())
    if not m:
        raise Disk2Error(f"read {meta.name}", f"Depends is not one kernel package: {meta.depends!r}")
    return m.group(1), m.group(3), m.group(2)


# ---------------------------------------------------------------- modules

def module_name(path):
    return os.path.basename(path).split(".ko")[0].replace("-", "_")


def load_order(kernel, release, wanted):
    """The modules to insmod for WANTED, each after what it needs, as paths
    below lib/modules/RELEASE; and the wanted ones the kernel has built in."""
    base = f"lib/modules/{release}"
    with open(kernel.path(f"{base}/modules.builtin")) as f:
        builtin = {module_name(line.strip()) for line in f if line.strip()}
    run("depmod", ["depmod", "-b", kernel.root, release])
    deps = {}
    with open(os.path.join(kernel.root, base, "modules.dep")) as f:
        for line in f:
            path, _, needs = line.partition(":")
            deps[module_name(path)] = (path, [module_name(n) for n in needs.split()])
    order, built_in = [], []

    def visit(name, chain):
        if name in chain:
            raise Disk2Error("module order", f"modules.dep has a cycle: {' -> '.join(chain + [name])}")
        if any(module_name(p) == name for p in order):
            return
        for need in deps[name][1]:
            visit(need, chain + [name])
        order.append(deps[name][0])

    for name in wanted:
        if name in builtin:
            built_in.append(name)
        elif name in deps:
            visit(name, [])
        else:
            raise Disk2Error("module order", f"{name} is neither in modules.dep nor in "
                                             f"modules.builtin of {kernel.name}")
    return order, built_in


# ---------------------------------------------------------------- images

def stamp(folder):
    """FILE_TIME on everything in FOLDER (links themselves included), modes
    whatever the umask: 0755 for folders, 0644 for files but /init and
    busybox; returns the paths below FOLDER, sorted."""
    paths = []
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            full = os.path.join(top, name)
            paths.append(os.path.relpath(full, folder))
            if not os.path.islink(full):
                executable = os.path.isdir(full) or paths[-1] in ("init", "bin/busybox")
                os.chmod(full, 0o755 if executable else 0o644)
            os.utime(full, (FILE_TIME, FILE_TIME), follow_symlinks=False)
    os.chmod(folder, 0o755)
    os.utime(folder, (FILE_TIME, FILE_TIME))
    return sorted(paths)


def initramfs(work, busybox, kernel, release, modules):
    """The gzip'd newc cpio archive: /init, /bin/busybox and its links, the
    modules in /lib/modules, empty /dev, /proc and /sys."""
    tree = os.path.join(work, "initramfs")
    for folder in ("bin", "lib/modules", "dev", "proc", "sys"):
        os.makedirs(os.path.join(tree, folder))
    shutil.copyfile(busybox.path("bin/busybox"), os.path.join(tree, "bin/busybox"))
    for applet in APPLETS:
        os.symlink("busybox", os.path.join(tree, "bin", applet))
    names = []
    for path in modules:
        names.append(module_name(path))
        shutil.copyfile(kernel.path(f"lib/modules/{release}/{path}"),
                        os.path.join(tree, "lib/modules", f"{names[-1]}.ko"))
    with open(os.path.join(tree, "init"), "w") as f:
        f.write(INIT_SCRIPT.format(modules=" ".join(names), lba=MARKER_LBA))
    listing = stamp(tree)
    archive = run("cpio", ["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0", "--reproducible"],
                  cwd=tree, input=("\n".join(listing) + "\n").encode(), text=False)
    return gzip.compress(archive, compresslevel=9, mtime=0)


def ext2_partition(work, vmlinuz, initrd, sectors):
    """The partition's bytes: ext2 of SECTORS sectors with /boot/vmlinuz and
    /boot/initrd.img, made by mke2fs from a folder (no mount, no root)."""
    tree = os.path.join(work, "partition")
    os.makedirs(os.path.join(tree, "boot"))
    shutil.copyfile(vmlinuz, os.path.join(tree, "boot/vmlinuz"))
    with open(os.path.join(tree, "boot/initrd.img"), "wb") as f:
        f.write(initrd)
    paths = stamp(tree)
    image = os.path.join(work, "partition.img")
    fake_time = {"E2FSPROGS_FAKE_TIME": str(FILE_TIME)}
    run("mke2fs", ["mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024", "-L", "vmxboot-linux",
                   "-U", FS_UUID, "-E", f"root_owner=0:0,hash_seed={FS_UUID}", "-d", tree,
                   image, f"{sectors * SECTOR // 1024}k"], env=fake_time)
    # mke2fs -d copies each file's ctime and atime as it finds them (the
    # copy's, the read's): FILE_TIME instead, so that the same packages
    # make the same disk.
    commands = os.path.join(work, "debugfs.cmds")
    with open(commands, "w") as f:
        for path in ["/"] + [f"/{p}" for p in paths]:
            f.write(f"sif {path} ctime @{FILE_TIME}\nsif {path} atime @{FILE_TIME}\n")
    run("debugfs", ["debugfs", "-w", "-f", commands, image], env=fake_time,
        quiet_stderr=r"debugfs [0-9.]+ \(.*\)")
    with open(image, "rb") as f:
        data = f.read()
    if len(data) != sectors * SECTOR:
        raise Disk2Error("mke2fs", f"{len(data)} bytes, not the partition's {sectors * SECTOR}")
    return data


def linux(inputs, say=print):
    """The whole disk (bytearray); SAY gets the lines about what went in."""
    cache = inputs.packages
    if not cache:
        raise Disk2Error("fetch packages", "the linux kind needs --packages DIR (a cache folder "
                                           "for the .debs: make disk2 passes build/disk2-packages)")
    with tempfile.TemporaryDirectory(prefix="mkdisk2-linux-") as work:
        busybox = Package(fetch(cache, BUSYBOX_PACKAGE), work)
        busybox.path("bin/busybox")
        meta = Package(fetch(cache, META_PACKAGE), work)
        name, version, release = kernel_package_name(meta)
        kernel = Package(fetch(cache, name, version), work)
        vmlinuz = kernel.path(f"boot/vmlinuz-{release}")
        modules, built_in = load_order(kernel, release, WANTED_MODULES)
        say(f"mkdisk2: linux: kernel {release} ({kernel.name} {kernel.version}, "
            f"vmlinuz {os.path.getsize(vmlinuz)} bytes), {busybox.name} {busybox.version}")
        say(f"mkdisk2: linux: modules in load order: "
            f"{' '.join(module_name(m) for m in modules)}"
            + (f"; built in: {' '.join(built_in)}" if built_in else ""))
        initrd = initramfs(work, busybox, kernel, release, modules)
        partition = ext2_partition(work, vmlinuz, initrd, DISK_SECTORS - PART_LBA)

    config = GRUB_CONFIG.format(version=release, args=KERNEL_ARGS)
    boot, core = mkdisk2.grub_boot_code(inputs.root, GRUB_MODULES, config, GRUB_PREFIX)
    if 1 + len(core) // SECTOR > MARKER_LBA:
        raise Disk2Error("place core.img", f"{len(core) // SECTOR} sectors reach the marker "
                                           f"at LBA {MARKER_LBA}")
    disk = bytearray(DISK_SECTORS * SECTOR)
    mkdisk2.put_grub(disk, boot, core, DISK_SECTORS, PART_TYPE)
    disk[MARKER_LBA * SECTOR:MARKER_LBA * SECTOR + len(MARKER)] = MARKER.encode()
    disk[PART_LBA * SECTOR:] = partition
    say(f"mkdisk2: linux: initrd.img {len(initrd)} bytes, core.img {len(core) // SECTOR} sectors, "
        f"marker at LBA {MARKER_LBA}")
    return disk
