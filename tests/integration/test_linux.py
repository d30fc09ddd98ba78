#!/usr/bin/env python3
"""Integration tests of the linux guest disk (tools/disk2/linux_disk.py,
`make disk2 KIND=linux`): GRUB 2 loads Debian 12's kernel and a busybox
initramfs whose /init prints the kernel's version, the CPU count and the
hypervisor flag, reads a marker sector of its disk through the kernel's IDE
driver (ata_piix) and powers off through ACPI.

The disk is built here (its .debs fetched into BUILD/disk2-packages, or
taken from there) and booted with 256 MiB on corei7_skylake_x under the
Bochs BIOS and on corei7_haswell_4770 under SeaBIOS, natively (no vmxboot)
and as the guest of vmxboot's chain mode, whose /init output is held
against the native one (all but the hypervisor flag, the marker sector read
through the IDE driver included); and under the VMM on a two-CPU Skylake,
where the kernel must find one CPU. A boot takes some 6-7 G emulated
instructions, minutes of wall time: not part of make test (`make
test-linux`, which .ci/run runs after make test).

The builder's refusals are tested too: a changed or missing file in a
package, no cache folder; each with a clear error and the old image kept.

Run: python3 tests/integration/test_linux.py --build build [unittest args]
"""
import glob
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "disk2"))
import boots  # noqa: E402
import parallel_unittest  # noqa: E402
import linux_disk  # noqa: E402
sys.path.insert(0, HERE)
import test_chain  # noqa: E402  (the chain image's build)

BUILD = "build"
MKDISK2 = os.path.join(ROOT, "tools", "disk2", "mkdisk2.py")
# The native boots: test name: (CPU, BIOS).
BOOTS = {"test_skylake_bochs_bios": ("corei7_skylake_x", "bochs"),
         "test_haswell_seabios": ("corei7_haswell_4770", "seabios")}
# Wall seconds for one boot: some 100-200 s alone, more beside other runs.
BOOT_TIMEOUT = 900
# /init's line when the IDE controller is missing from the kernel's PCI
# devices and it scans the bus again: seen under SeaBIOS only (some boots
# in three; tools/disk2/README.md), never under the Bochs BIOS.
RESCAN = "vmxboot-linux: init: no IDE controller among the PCI devices: rescanning the bus"
INIT_LINE = re.compile(r"^vmxboot-linux: init: kernel=(\S+) cpus=(\d+) hypervisor=(yes|no)$", re.M)
# The kernel's own line as it powers off (kernel/reboot.c).
KERNEL_POWER_DOWN = "reboot: Power down"


def packages():
    return os.path.join(BUILD, "disk2-packages")


def mkdisk2_cli(*args):
    return subprocess.run([sys.executable, MKDISK2, *args], capture_output=True, text=True)


_disk = {}
_disk_lock = threading.Lock()


def linux_image():
    """(path, kernel release, mkdisk2's output) of the disk, built once."""
    with _disk_lock:
        if not _disk:
            work = tempfile.mkdtemp(prefix="vmxboot-linux-test-")
            out = os.path.join(work, "disk2-linux.img")
            start = time.monotonic()
            r = mkdisk2_cli("--kind", "linux", "--packages", packages(), "--out", out)
            if r.returncode != 0:
                raise AssertionError(f"mkdisk2 linux: {r.stderr}")
            m = re.search(r"^mkdisk2: linux: kernel (\S+) ", r.stdout, re.M)
            if not m:
                raise AssertionError(f"mkdisk2 linux printed no kernel version: {r.stdout}")
            sys.stderr.write(f"test_linux: built the disk in {time.monotonic() - start:.1f} s\n")
            _disk.update(path=out, release=m.group(1), stdout=r.stdout, work=work)
    return _disk["path"], _disk["release"], _disk["stdout"]


def cleanup():
    for made in (_disk, _chain):
        if made:
            shutil.rmtree(made["work"], ignore_errors=True)


def debugfs_dump(image, path, out):
    """PATH from the ext2 file system IMAGE, written to OUT."""
    r = subprocess.run(["debugfs", "-R", f"dump {path} {out}", image], capture_output=True,
                       text=True)
    if r.returncode != 0 or not os.path.exists(out):
        raise AssertionError(f"debugfs dump {path}: {r.stderr}")
    with open(out, "rb") as f:
        return f.read()


def deb_md5(deb, path):
    """The MD5 sum DEB's own md5sums give PATH (relative to /)."""
    with tempfile.TemporaryDirectory() as ctl:
        subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True)
        with open(os.path.join(ctl, "md5sums")) as f:
            for line in f:
                digest, _, name = line.rstrip("\n").partition("  ")
                if name == path:
                    return digest
    raise AssertionError(f"{deb}: no md5sum for {path}")


def only_deb(pattern):
    found = glob.glob(os.path.join(packages(), pattern))
    if len(found) != 1:
        raise AssertionError(f"{len(found)} {pattern} in {packages()}, want 1")
    return found[0]


class Builder(unittest.TestCase):
    """The disk mkdisk2 builds and its refusals; no boots."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vmxboot-linux-builder-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_layout_and_contents(self):
        image, release, stdout = linux_image()
        with open(image, "rb") as f:
            disk = f.read()
        self.assertEqual(len(disk), linux_disk.DISK_SECTORS * 512)
        self.assertEqual(disk[510:512], b"\x55\xAA")
        # One active entry, type 0x83, LBA 2048 to the end.
        status, kind = disk[0x1BE], disk[0x1BE + 4]
        lba, count = struct.unpack_from("<II", disk, 0x1BE + 8)
        self.assertEqual((status, kind, lba, lba + count), (0x80, 0x83, 2048, len(disk) // 512))
        self.assertEqual(disk[0x1CE:0x1FE], bytes(48))
        # boot.img patched, core.img at LBA 1 with its rest at 2.
        self.assertEqual(struct.unpack_from("<Q", disk, 0x5C)[0], 1)
        start, length, segment = struct.unpack_from("<QHH", disk, 512 + 500)
        self.assertEqual((start, segment), (2, 0x820))
        self.assertLess(2 + length, linux_disk.MARKER_LBA)
        # The marker, alone in its sector.
        marker = disk[linux_disk.MARKER_LBA * 512:(linux_disk.MARKER_LBA + 1) * 512]
        self.assertEqual(marker.rstrip(b"\0"), linux_disk.MARKER.encode())
        self.assertIn(f"mkdisk2: linux: kernel {release} (linux-image-{release} ", stdout)

        # The partition: ext2 holding the package's vmlinuz unchanged and
        # the initramfs.
        part = os.path.join(self.tmp, "part.img")
        with open(part, "wb") as f:
            f.write(disk[2048 * 512:])
        self.assertEqual(struct.unpack_from("<H", disk, 2048 * 512 + 1024 + 56)[0], 0xEF53)
        vmlinuz = debugfs_dump(part, "/boot/vmlinuz", os.path.join(self.tmp, "vmlinuz"))
        deb = only_deb(f"linux-image-{release}_*.deb")
        self.assertEqual(hashlib.md5(vmlinuz).hexdigest(), deb_md5(deb, f"boot/vmlinuz-{release}"))
        initrd = debugfs_dump(part, "/boot/initrd.img", os.path.join(self.tmp, "initrd.img"))
        self.assertEqual(initrd[:2], b"\x1f\x8b", "gzip")
        listing = subprocess.run(f"zcat {self.tmp}/initrd.img | cpio -t --quiet", shell=True,
                                 capture_output=True, text=True, check=True).stdout.split()
        for name in ["init", "bin/busybox", "bin/sh", "lib/modules/ata_piix.ko",
                     "lib/modules/libata.ko", "lib/modules/scsi_mod.ko", "lib/modules/sd_mod.ko"]:
            self.assertIn(name, listing)

    def test_the_same_packages_make_the_same_disk(self):
        image, _, _ = linux_image()
        again = os.path.join(self.tmp, "again.img")
        r = mkdisk2_cli("--kind", "linux", "--packages", packages(), "--out", again)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(subprocess.run(["cmp", image, again]).returncode, 0,
                         "two builds from the same packages differ")

    def fake_cache(self, change):
        """A package cache with the real kernel .debs and a busybox-static
        .deb repacked after CHANGE(tree) edited its files (its
        DEBIAN/md5sums kept as the package has them)."""
        cache = os.path.join(self.tmp, "packages")
        os.makedirs(cache)
        linux_image()                       # the real .debs fetched
        for deb in glob.glob(os.path.join(packages(), "linux-image-*.deb")):
            os.symlink(os.path.abspath(deb), os.path.join(cache, os.path.basename(deb)))
        real = only_deb("busybox-static_*.deb")
        tree = os.path.join(self.tmp, "busybox-tree")
        subprocess.run(["dpkg-deb", "-R", real, tree], check=True)
        change(tree)
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Znone", "-b", tree,
                        os.path.join(cache, os.path.basename(real))],
                       check=True, capture_output=True)
        return cache

    def refused(self, cache, needle):
        out = os.path.join(self.tmp, "disk2-linux.img")
        with open(out, "wb") as f:
            f.write(b"an older image")
        r = mkdisk2_cli("--kind", "linux", "--packages", cache, "--out", out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(needle, r.stderr)
        self.assertIn(f"nothing written to {out}", r.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"an older image")
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith(".disk2-")], [],
                         "a temporary file was left")
        return r

    def test_changed_package_file_is_refused_and_old_image_kept(self):
        def change(tree):
            with open(os.path.join(tree, "bin/busybox"), "r+b") as f:
                f.seek(0x1000)
                byte = f.read(1)
                f.seek(0x1000)
                f.write(bytes([byte[0] ^ 1]))
        cache = self.fake_cache(change)     # fetches the real packages first
        real = deb_md5(only_deb("busybox-static_*.deb"), "bin/busybox")
        r = self.refused(cache, "linux: check busybox-static:/bin/busybox: MD5 ")
        self.assertIn(f"differs from the package's {real}", r.stderr)
        self.assertIn("was changed: delete it to fetch it again", r.stderr)

    def test_missing_package_file_is_refused_and_old_image_kept(self):
        self.refused(self.fake_cache(lambda tree: os.unlink(os.path.join(tree, "bin/busybox"))),
                     "linux: check busybox-static:/bin/busybox: not in busybox-static_")

    def test_no_package_cache_is_refused(self):
        out = os.path.join(self.tmp, "disk2-linux.img")
        r = mkdisk2_cli("--kind", "linux", "--out", out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("linux: fetch packages: the linux kind needs --packages DIR", r.stderr)
        self.assertFalse(os.path.exists(out))


# The boots under vmxboot's chain mode: test name: (CPU, BIOS, CPUs). The
# same disk as drive 0x81 (vmxboot's own disk is the kernel's sda, the
# linux disk its sdb).
VMM_BOOTS = {"test_skylake_bochs_bios": ("corei7_skylake_x", "bochs", 1),
             "test_haswell_seabios": ("corei7_haswell_4770", "seabios", 1),
             "test_two_cpus": ("corei7_skylake_x", "bochs", 2)}
# What the chain image's VMM says of a machine with more CPUs than the one
# VMX runs on (vmm/guests/bios_chain/profile_runtime.cpp).
ONE_PROCESSOR = "vmx: the guest's MADT shows it 1 of 2 processors (VMX runs on this one only)"

_chain = {}
_chain_lock = threading.Lock()


def chain_image():
    """vmxboot's chain-mode image (end wait 0), built once from BUILD."""
    with _chain_lock:
        if not _chain:
            work = tempfile.mkdtemp(prefix="vmxboot-linux-chain-")
            test_chain.BUILD = BUILD
            _chain.update(path=test_chain.build_chain_image(work, "chain"), work=work)
    return _chain["path"]


def native_request(cpu, bios):
    image, _, _ = linux_image()
    return boots.bochs(image, cpu=cpu, bios=bios, timeout=BOOT_TIMEOUT,
                       megs=linux_disk.BOOT_MEGS, ips=linux_disk.BOOT_IPS, com1_ticks=True)


def vmm_request(cpu, bios, cpus):
    image, _, _ = linux_image()
    return boots.bochs(chain_image(), cpu=cpu, bios=bios, cpus=cpus, timeout=BOOT_TIMEOUT,
                       megs=linux_disk.BOOT_MEGS, ips=linux_disk.BOOT_IPS, disk2=image)


def start_selected():
    """Queues every boot the selected tests want (one emulator per core):
    the native boots the comparisons need too."""
    wanted = parallel_unittest.selected
    boots.start([native_request(*key) for name, key in BOOTS.items()
                 if wanted(NativeBoots, name) or wanted(UnderTheVmm, name)] +
                [vmm_request(*key) for name, key in VMM_BOOTS.items()
                 if wanted(UnderTheVmm, name)])


def booted(request, what):
    r = boots.result(request)
    ticks = {name: r.com1_line_tick(line) for name, line in
             [("grub", "vmxboot-linux: grub: loading"), ("console", "Linux version"),
              ("init", "vmxboot-linux: init: kernel=")]}
    # (Only the native boots record when each COM1 line came.)
    at = f"COM1 lines at tick {ticks}, " if request.arguments.get("com1_ticks") else ""
    sys.stderr.write(f"test_linux: {what}: {at}power-off at tick {r.power_off_tick}\n")
    return r


def guest_text(serial):
    """What the guest wrote to COM1 under the VMM, which marks each of its
    lines `guest| `."""
    return "".join(l[len("guest| "):] + "\n" for l in serial.splitlines()
                   if l.startswith("guest| "))


def init_output(text):
    """/init's own lines, as alike as a native boot and one under the VMM
    can be: the hypervisor flag, the kernel's log (its timestamps), the
    SeaBIOS rescan note and the disks' names left out; the sectors read
    kept, in order, the empty ones (vmxboot's own disk under the VMM, too
    small to have the marker's LBA) dropped."""
    out = []
    for line in text.splitlines():
        if not line.startswith("vmxboot-linux: init: ") or line == RESCAN:
            continue
        rest = line[len("vmxboot-linux: init: "):]
        if rest.startswith("kernel: "):
            continue
        rest = re.sub(r" hypervisor=(yes|no)$", "", rest)
        disk = re.match(r"sd[a-z] (LBA \d+:) ?(.*)$", rest)
        if disk:
            if not disk.group(2):
                continue
            rest = f"sd? {disk.group(1)} {disk.group(2)}"
        out.append(rest)
    return out


class NativeBoots(unittest.TestCase):
    """The disk booted natively, no vmxboot."""

    @classmethod
    def setUpClass(cls):
        start_selected()

    def check(self, cpu, bios):
        r = booted(native_request(cpu, bios), f"{cpu} under {bios}, native")
        _, release, _ = linux_image()
        tail = r.serial[-1500:]
        self.assertFalse(r.timed_out, f"no end within {BOOT_TIMEOUT} s; COM1: {tail!r}")
        self.assertFalse(r.triple_faulted, "triple fault")
        self.assertNotIn("Kernel panic", r.serial)
        self.assertIn(f"vmxboot-linux: grub: loading {release}", r.serial)
        lines = INIT_LINE.findall(r.serial)
        self.assertEqual(len(lines), 1, f"want one init line; COM1: {tail!r}")
        self.assertEqual(lines[0], (release, "1", "no"))
        if bios == "seabios" and RESCAN in r.serial:
            sys.stderr.write(f"test_linux: {cpu} under {bios}: {RESCAN}\n")
        else:
            self.assertNotIn(RESCAN, r.serial)
        self.assertNotIn("failed", "\n".join(l for l in r.serial.splitlines()
                                             if l.startswith("vmxboot-linux:")))
        # The marker, read through ata_piix as the disk's first /dev/sd.
        marker = (f"vmxboot-linux: init: sda LBA {linux_disk.MARKER_LBA}: "
                  f"{linux_disk.MARKER}\n")
        self.assertIn(marker, r.serial)
        self.assertRegex(r.serial, r"(?m)^vmxboot-linux: init: kernel: \[ *[0-9.]+\] scsi host0: ata_piix$",
                         "the kernel's ata_piix line, as /init prints the kernel's log")
        self.assertLess(r.serial.index("vmxboot-linux: init: kernel="), r.serial.index(marker))
        self.assertLess(r.serial.index(marker), r.serial.index("vmxboot-linux: init: poweroff\n"))
        self.assertIn(KERNEL_POWER_DOWN, r.serial)
        self.assertTrue(r.powered_off, "no ACPI power-off")

    def test_skylake_bochs_bios(self):
        self.check("corei7_skylake_x", "bochs")

    def test_haswell_seabios(self):
        self.check("corei7_haswell_4770", "seabios")


class UnderTheVmm(unittest.TestCase):
    """The disk as the guest of vmxboot's chain mode: the kernel goes to
    long mode under the VMM, runs its userspace and powers off; /init says
    what it says natively, but for the hypervisor flag."""

    @classmethod
    def setUpClass(cls):
        start_selected()

    def check(self, cpu, bios, cpus):
        what = f"{cpu} under {bios}, {cpus} CPU(s), chain mode"
        r = booted(vmm_request(cpu, bios, cpus), what)
        _, release, _ = linux_image()
        self.assertEqual(r.problems(), [], f"{what}: the run contract\n{r.serial[-3000:]}")
        code, pairs = r.result
        self.assertEqual((code, pairs.get("guest"), pairs.get("guest-end")),
                         ("ok", "chain", "poweroff"), f"{what}\n{r.serial[-3000:]}")
        guest = guest_text(r.serial)
        self.assertIn(f"vmxboot-linux: grub: loading {release}", guest)
        self.assertNotIn("Kernel panic", guest)
        self.assertEqual(INIT_LINE.findall(guest), [(release, "1", "yes")], what)
        # The linux disk is drive 0x81: the kernel's second disk.
        self.assertIn(f"vmxboot-linux: init: sdb LBA {linux_disk.MARKER_LBA}: "
                      f"{linux_disk.MARKER}\n", guest)
        self.assertIn(KERNEL_POWER_DOWN, guest)
        self.assertIn("vmxboot-linux: init: poweroff\n", guest)
        # The exit summary by reason, the power-off seen by the VMM.
        self.assertRegex(r.serial, r"vmx: chain guest: \d+ VM exits: .*io-instruction \d+")
        self.assertIn("vmx: guest end poweroff:", r.serial)
        return r, guest

    def compare(self, cpu, bios, cpus=1):
        r, guest = self.check(cpu, bios, cpus)
        native = booted(native_request(cpu, bios), f"{cpu} under {bios}, native")
        self.assertEqual(init_output(guest), init_output(native.serial),
                         f"/init under the VMM and natively on {cpu} under {bios}")

    def test_skylake_bochs_bios(self):
        self.compare("corei7_skylake_x", "bochs")

    def test_haswell_seabios(self):
        self.compare("corei7_haswell_4770", "seabios")

    def test_two_cpus(self):
        # Bochs with two CPUs: the kernel finds one (the MADT the VMM hands
        # over lists only the VMM's), not even one to hot-add later, so it
        # never starts the other outside the VMM.
        r, guest = self.check("corei7_skylake_x", "bochs", 2)
        self.assertIn(ONE_PROCESSOR, r.serial.splitlines())
        self.assertIn("smpboot: Allowing 1 CPUs, 0 hotplug CPUs", guest)
        self.assertIn("smp: Brought up 1 node, 1 CPU", guest)


def configure(build):
    """The build to test (parallel_unittest.main_for): what the chain image
    is made of."""
    global BUILD
    BUILD = build
    parallel_unittest.require(build, ["stage1.bin", "stage2.bin", "vmm.bin", "host/mkimage"],
                              "run `make image` first")


def main():
    try:
        status = parallel_unittest.main_for([sys.modules[__name__]])
    finally:
        cleanup()
    sys.exit(status)


if __name__ == "__main__":
    main()
