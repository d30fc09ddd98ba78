#!/usr/bin/env python3
"""Integration tests of the guest disks chain mode is to boot (tools/disk2):
each is built from Debian's packages here and booted natively in Bochs -
no vmxboot - on corei7_skylake_x under the Bochs BIOS and SeaBIOS, so that
a later run under the VMM can be held against what the disk does alone.

  mbr-empty  SYSLINUX's MBR says "Missing operating system." on the screen
             and reaches its INT 18h (the run ends there: what the BIOS does
             next is its own business);
  mbr-vbr    our VBR finds the MBR's hand-over right, says so on the screen
             and COM1, prints the PIT's and the PIC's state as the BIOS left
             them (which test_chain.py holds a run under the VMM against),
             and powers off through ACPI (on the legacy Bochs BIOS, which has
             no ACPI tables, it says so and halts);
  grub       GRUB 2.06 echoes its line on COM1 and powers off (ACPI).

The builder's refusals (unknown kind, missing package file, changed file,
bad VBR) are tested too: a clear error and no image written.

Needs build/chain-vbr.bin and its listing (make disk2 KIND=mbr-vbr, or
make integration).
Run: python3 tests/integration/test_guest_disks.py --build build [unittest args]
"""
import atexit
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "disk2"))
import boots  # noqa: E402
import parallel_unittest  # noqa: E402
import mkdisk2  # noqa: E402

BUILD = "build"
CPU = "corei7_skylake_x"
BIOSES = ["bochs", "seabios"]
KINDS = ["mbr-empty", "mbr-vbr", "grub"]
# Every disk under each BIOS, and the VBR on the legacy Bochs BIOS, which has
# no ACPI tables.
RUNS = [(k, b) for k in KINDS for b in BIOSES] + [("mbr-vbr", "bochs-legacy")]
MKDISK2 = os.path.join(ROOT, "tools", "disk2", "mkdisk2.py")
SYSLINUX_MBR = "/" + mkdisk2.SYSLINUX_MBR
# SYSLINUX's MBR copies itself to 0:0600 before it runs on.
SYSLINUX_MBR_ADDR = 0x600
VBR_OK = "vmxboot-chain: vbr: hand-over ok, drive=0x80"
VBR_OFF = re.compile(r"^vmxboot-chain: vbr: ACPI power-off, PM1a_CNT=0x[0-9A-F]{4} SLP_TYP=\d \(_S5_\)$",
                     re.M)
# The VBR's line with the PIT's and the PIC's state (guest/chain/vbr.asm,
# timer_state): read-back status of PIT channels 0 (OUT masked) and 2, port
# 0x61's bits 3:0, the two PICs' masks.
VBR_TIMERS = (r"vmxboot-chain: vbr: pit ch0=0x[0-7][0-9A-F] ch2=0x[0-9A-F]{2} port61=0x0[0-9A-F] "
              r"pic masks=0x[0-9A-F]{2} 0x[0-9A-F]{2}")
# What it says natively in Bochs 2.7 on corei7_skylake_x: both BIOSes program
# channel 0 as 0x34 (16-bit access, mode 2, binary) and leave channel 2 in
# Bochs' power-on state (mode 4, low byte access, OUT high: 0x98) with its
# gate on (port 0x61 bit 0); their PIC masks differ by IRQ8 (the RTC's).
NATIVE_TIMERS = {
    "bochs": "vmxboot-chain: vbr: pit ch0=0x34 ch2=0x98 port61=0x01 pic masks=0xB8 0x8F",
    "seabios": "vmxboot-chain: vbr: pit ch0=0x34 ch2=0x98 port61=0x01 pic masks=0xB8 0x8E",
}
BOOT_TIMEOUT = 90


def vbr_bin():
    return os.path.join(BUILD, "chain-vbr.bin")


def mkdisk2_cli(*args):
    return subprocess.run([sys.executable, MKDISK2, *args], capture_output=True, text=True)


def vbr_power_off_address():
    """The linear address of the VBR's one `out dx, ax` (its S5 write), from
    NASM's listing; the VBR runs where it is assembled (org 0x7C00)."""
    with open(os.path.join(BUILD, "chain-vbr.lst")) as f:
        found = re.findall(r"^\s*\d+ ([0-9A-F]{8}) EF\s+out dx, ax", f.read(), re.M)
    if len(found) != 1:
        raise AssertionError(f"chain-vbr.lst: {len(found)} `out dx, ax`, want 1")
    return 0x7C00 + int(found[0], 16)


def int18_address():
    """Where SYSLINUX's MBR executes its INT 18h (CD 18), once relocated."""
    with open(SYSLINUX_MBR, "rb") as f:
        code = f.read()
    at = [i for i in range(len(code) - 1) if code[i:i + 2] == b"\xCD\x18"]
    if len(at) != 1:
        raise AssertionError(f"{SYSLINUX_MBR}: {len(at)} INT 18h instructions, want 1")
    return SYSLINUX_MBR_ADDR + at[0]


class Builder(unittest.TestCase):
    """mkdisk2's output and its refusals; no boots."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vmxboot-disk2-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def fake_root(self, mbr):
        """A --root with dpkg's real checksum list for syslinux-common and
        MBR (bytes, or None for no file) as its mbr.bin."""
        info = os.path.join(self.tmp, "root", "var/lib/dpkg/info")
        os.makedirs(info)
        shutil.copy("/var/lib/dpkg/info/syslinux-common.md5sums", info)
        if mbr is not None:
            path = os.path.join(self.tmp, "root", mkdisk2.SYSLINUX_MBR)
            os.makedirs(os.path.dirname(path))
            with open(path, "wb") as f:
                f.write(mbr)
        return os.path.join(self.tmp, "root")

    def build(self, kind):
        out = os.path.join(self.tmp, f"disk2-{kind}.img")
        r = mkdisk2_cli("--kind", kind, "--vbr", vbr_bin(), "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            disk = f.read()
        self.assertEqual(len(disk), mkdisk2.DISK_SECTORS * 512)
        self.assertEqual(disk[510:512], b"\x55\xAA")
        self.assertEqual(os.listdir(self.tmp), [os.path.basename(out)], "a temporary file was left")
        return disk

    def entry(self, disk):
        status, kind = disk[0x1BE], disk[0x1BE + 4]
        lba, count = struct.unpack_from("<II", disk, 0x1BE + 8)
        self.assertEqual(disk[0x1CE:0x1FE], bytes(48), "one partition entry only")
        self.assertEqual((kind, lba, lba + count), (0xDA, 2048, mkdisk2.DISK_SECTORS))
        return status

    def test_mbr_empty_is_syslinux_mbr_unmodified_without_active_entry(self):
        disk = self.build("mbr-empty")
        with open(SYSLINUX_MBR, "rb") as f:
            mbr = f.read()
        self.assertEqual(disk[:len(mbr)], mbr)
        self.assertEqual(self.entry(disk), 0x00)

    def test_mbr_vbr_has_active_entry_and_our_vbr_at_its_start(self):
        disk = self.build("mbr-vbr")
        with open(SYSLINUX_MBR, "rb") as f:
            self.assertEqual(disk[:440], f.read())
        self.assertEqual(self.entry(disk), 0x80)
        with open(vbr_bin(), "rb") as f:
            vbr = f.read()
        self.assertEqual(disk[2048 * 512:2048 * 512 + len(vbr)], vbr)

    def test_grub_boot_img_patched_and_core_img_after_the_mbr(self):
        disk = self.build("grub")
        self.assertEqual(disk[0x66:0x68], b"\x90\x90", "the drive-check jump is NOPed")
        self.assertEqual(disk[0x64], 0xFF, "DL as the BIOS passed it")
        self.assertEqual(struct.unpack_from("<Q", disk, 0x5C)[0], 1, "core.img at LBA 1")
        self.assertEqual(self.entry(disk), 0x80)
        start, length, segment = struct.unpack_from("<QHH", disk, 512 + 500)
        self.assertEqual((start, segment), (2, 0x820))
        self.assertTrue(1 <= length < 2046, length)
        # The rest of core.img lies right after its first sector, nothing beyond.
        end = (2 + length) * 512
        self.assertTrue(any(disk[end - 512:end]))
        self.assertEqual(disk[end:2048 * 512], bytes(2048 * 512 - end))

    def refused(self, args, out, needle):
        r = mkdisk2_cli(*args, "--out", out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(needle, r.stderr)
        self.assertIn(f"nothing written to {out}", r.stderr)
        return r

    def test_unknown_kind_is_refused(self):
        out = os.path.join(self.tmp, "disk2-bogus.img")
        self.refused(["--kind", "bogus"], out, "unknown KIND 'bogus': one of mbr-empty, mbr-vbr, grub")
        self.assertFalse(os.path.exists(out))
        self.assertEqual(os.listdir(self.tmp), [])

    def test_missing_package_file_is_refused(self):
        root = self.fake_root(None)
        out = os.path.join(self.tmp, "disk2-mbr-empty.img")
        self.refused(["--kind", "mbr-empty", "--root", root], out,
                     "mbr.bin not found: install syslinux-common")
        self.assertFalse(os.path.exists(out))

    def test_changed_package_file_is_refused_and_old_image_kept(self):
        with open(SYSLINUX_MBR, "rb") as f:
            mbr = bytearray(f.read())
        mbr[0x100] ^= 0x01
        root = self.fake_root(bytes(mbr))
        out = os.path.join(self.tmp, "disk2-mbr-empty.img")
        with open(out, "wb") as f:
            f.write(b"an older image")
        self.refused(["--kind", "mbr-empty", "--root", root], out,
                     "differs from the package's 8cb37afc263a219ebb7586f9c495114e")
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"an older image")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["disk2-mbr-empty.img", "root"])

    def test_bad_vbr_is_refused(self):
        short = os.path.join(self.tmp, "short.bin")
        with open(short, "wb") as f:
            f.write(b"\x90" * 100)
        out = os.path.join(self.tmp, "disk2-mbr-vbr.img")
        self.refused(["--kind", "mbr-vbr", "--vbr", short], out, "is not whole sectors")
        self.refused(["--kind", "mbr-vbr", "--vbr", os.path.join(self.tmp, "none.bin")], out,
                     "No such file")
        self.assertFalse(os.path.exists(out))


_disks = {}
_disks_lock = threading.Lock()
_work = None


def disk(kind):
    """The guest disk KIND (mkdisk2, with build/chain-vbr.bin), built once a
    process: the native boots here and test_chain.py's boots under the VMM
    boot the same file, so the pool (tools/boots.py) boots each native run
    once for both."""
    global _work
    with _disks_lock:
        if kind not in _disks:
            if _work is None:
                _work = tempfile.mkdtemp(prefix="vmxboot-disk2-boot-")
                atexit.register(shutil.rmtree, _work, True)
            out = os.path.join(_work, f"disk2-{kind}.img")
            r = mkdisk2_cli("--kind", kind, "--vbr", vbr_bin(), "--out", out)
            if r.returncode != 0:
                raise AssertionError(f"mkdisk2 {kind}: {r.stderr}")
            _disks[kind] = out
    return _disks[kind]


def native(kind, bios):
    """The boot of disk KIND natively under BIOS: SYSLINUX's MBR up to its
    INT 18h, the VBR with a stop at its S5 write, GRUB to its power-off."""
    if kind == "mbr-empty":
        plan = dict(stops=[int18_address()], end_at_last_stop=True)
    elif kind == "mbr-vbr":
        plan = dict(stops=[vbr_power_off_address()])
    else:
        plan = {}
    return boots.bochs(disk(kind), cpu=CPU, bios=bios, timeout=BOOT_TIMEOUT, **plan)


def timers_line(serial):
    """The VBR's one PIT/PIC line in SERIAL (native, no `guest| ` mark),
    or None unless there is exactly one."""
    found = re.findall(f"(?m)^{VBR_TIMERS}$", serial)
    return found[0] if len(found) == 1 else None


class NativeBoots(unittest.TestCase):
    """Each disk booted natively on corei7_skylake_x under each BIOS."""

    @classmethod
    def setUpClass(cls):
        # Only the runs the selected tests need (`NativeBoots.test_<kind>_<bios>`).
        boots.start([native(k, b) for k, b in RUNS
                     if parallel_unittest.selected(cls, f"test_{k}_{b}".replace("-", "_"))])

    def run_of(self, kind, bios, halts=False):
        r = boots.result(native(kind, bios))
        if halts:
            return r
        self.assertFalse(r.timed_out, f"{kind} under {bios} did not end within {BOOT_TIMEOUT} s; "
                                      f"COM1: {r.serial[-500:]!r}")
        self.assertFalse(r.triple_faulted, "triple fault")
        self.assertFalse(r.halted, f"{kind} under {bios} halted; COM1: {r.serial[-500:]!r}")
        return r

    def check_mbr_empty(self, bios):
        r = self.run_of("mbr-empty", bios)
        self.assertEqual(len(r.stop_ticks), 1, "SYSLINUX's MBR never reached its INT 18h")
        screen = r.vga_text()
        self.assertIn("Missing operating system.", screen)
        self.assertNotIn("vmxboot", screen + r.serial)

    def check_mbr_vbr(self, bios):
        r = self.run_of("mbr-vbr", bios)
        self.assertNotIn("bad hand-over", r.serial)
        self.assertIn(VBR_OK + "\n", r.serial)
        self.assertEqual(timers_line(r.serial), NATIVE_TIMERS[bios], r.serial)
        self.assertIn(NATIVE_TIMERS[bios], r.vga_text(), "the PIT/PIC line on the screen")
        self.assertLess(r.serial.index(VBR_OK), r.serial.index(NATIVE_TIMERS[bios]))
        self.assertRegex(r.serial, VBR_OFF)
        self.assertEqual(len(r.stop_ticks), 1, "the VBR never reached its S5 write")
        self.assertIn(VBR_OK, r.vga_text(), "the VBR's line on the screen")
        self.assertTrue(r.powered_off, "no ACPI power-off")
        self.assertEqual(r.power_off_tick, r.stop_ticks[0], "power-off by the VBR's own write")

    def check_grub(self, bios):
        r = self.run_of("grub", bios)
        lines = [l.strip() for l in r.serial.splitlines()]
        self.assertTrue(any(l.endswith(mkdisk2.GRUB_LINE) for l in lines),
                        f"GRUB's echo on COM1; got {r.serial[-300:]!r}")
        self.assertNotIn("doesn't know how to halt", r.serial)
        self.assertTrue(r.powered_off, "GRUB's halt did not power off")

    def test_mbr_empty_bochs(self):
        self.check_mbr_empty("bochs")

    def test_mbr_empty_seabios(self):
        self.check_mbr_empty("seabios")

    def test_mbr_vbr_bochs(self):
        self.check_mbr_vbr("bochs")

    def test_mbr_vbr_seabios(self):
        self.check_mbr_vbr("seabios")

    def test_mbr_vbr_bochs_legacy(self):
        # No ACPI tables: the VBR says so and halts (interrupts off).
        r = self.run_of("mbr-vbr", "bochs-legacy", halts=True)
        self.assertIn(VBR_OK + "\n", r.serial)
        self.assertIsNotNone(timers_line(r.serial), r.serial)
        self.assertIn("vmxboot-chain: vbr: halting: no ACPI RSDP\n", r.serial)
        self.assertTrue(r.halted, "the VBR did not halt")
        self.assertFalse(r.powered_off or r.timed_out)

    def test_grub_bochs(self):
        self.check_grub("bochs")

    def test_grub_seabios(self):
        self.check_grub("seabios")


def configure(build):
    global BUILD
    BUILD = build
    parallel_unittest.require(build, ["chain-vbr.bin", "chain-vbr.lst"],
                              "run `make disk2 KIND=mbr-vbr` first")


def main():
    sys.exit(parallel_unittest.main_for([sys.modules[__name__]]))


if __name__ == "__main__":
    main()
