#!/usr/bin/env python3
"""Integration tests: boot the real image in Bochs and check what COM1 and the
VGA page show.

Every run must keep the run contract (exactly one `vmxboot: result=` line,
last on COM1, one magic breakpoint, then ACPI power-off; no triple fault, no
hang) and end with the result its CPU model calls for, under each BIOS.

Run: python3 tests/integration/test_boot.py --build build [unittest args]
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import bochs_boot  # noqa: E402
import qemu_boot  # noqa: E402

BUILD = "build"

# What each Bochs 2.7 model must end with (shared/notes/bochs.md groups them;
# checked against `bochs --help cpu` below, so a model we do not know fails).
NO_LONG_MODE = ["pentium", "pentium_mmx", "amd_k6_2_chomper", "p2_klamath", "p3_katmai",
                "p4_willamette", "core_duo_t2400_yonah", "atom_n270"]
LONG_MODE_NO_VMX = ["p4_prescott_celeron_336", "athlon64_clawhammer", "athlon64_venice",
                    "turion64_tyler", "phenom_8650_toliman", "zambezi", "trinity_apu", "ryzen"]
VMX = ["bx_generic", "core2_penryn_t9600", "corei5_lynnfield_750", "corei5_arrandale_m520",
       "corei7_sandy_bridge_2600k", "corei7_ivy_bridge_3770k", "corei7_haswell_4770",
       "broadwell_ult", "corei7_skylake_x", "corei3_cnl", "corei7_icelake_u", "tigerlake"]
# What the VMX models end with: the whole demo.
VMX_RESULT = "ok"

EXPECTED = {**{m: "no-long-mode" for m in NO_LONG_MODE},
            **{m: "no-vmx" for m in LONG_MODE_NO_VMX},
            **{m: VMX_RESULT for m in VMX}}
BIOSES = ["bochs", "seabios"]


def layout():
    return bochs_boot.read_layout(BUILD)


def bochs_models():
    out = subprocess.run(["bochs", "--help", "cpu"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    lines = text.split("Supported CPU models:", 1)[1].splitlines()
    return [l.strip() for l in lines if l.strip() and " " not in l.strip() and "[" not in l]


def image():
    return os.path.join(BUILD, "vmxboot.img")


_runs = {}


def run_matrix(jobs):
    """Boots each (model, bios, floppy) once, two at a time (two cores)."""
    todo = [j for j in jobs if j not in _runs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {pool.submit(bochs_boot.boot, image(), cpu=m, bios=b, floppy=f, timeout=120): (m, b, f)
                   for (m, b, f) in todo}
        for fut in concurrent.futures.as_completed(futures):
            _runs[futures[fut]] = fut.result()


def boot_once(model, bios="bochs", floppy=False):
    key = (model, bios, floppy)
    if key not in _runs:
        run_matrix([key])
    return _runs[key]


class RunContract:
    def assert_contract(self, r, what):
        problems = r.problems()
        self.assertEqual(problems, [], f"{what}: {problems}\n--- COM1 ---\n{r.serial}")


class CpuMatrix(unittest.TestCase, RunContract):
    """Every model `bochs --help cpu` lists, under BIOS-bochs-latest and SeaBIOS."""

    @classmethod
    def setUpClass(cls):
        run_matrix([(m, b, False) for m in EXPECTED for b in BIOSES])

    def test_every_bochs_model_has_an_expected_result(self):
        self.assertEqual(sorted(bochs_models()), sorted(EXPECTED),
                         "the models Bochs lists and those this test knows differ")

    def check(self, model, bios):
        r = boot_once(model, bios)
        what = f"cpu={model} bios={bios}"
        self.assert_contract(r, what)
        code, _ = r.result
        self.assertEqual(code, EXPECTED[model], f"{what}\n--- COM1 ---\n{r.serial}")
        # The same line is on the screen.
        self.assertIn(f"vmxboot: result={code}", r.vga_text(), f"{what}: VGA page")
        # stage2 ran and reported the disk path before anything else.
        self.assertIn("vmxboot: stage2", r.serial, what)
        self.assertIn("boot: drive 0x80 via INT 13h extensions", r.serial, what)
        if EXPECTED[model] == "no-long-mode":
            self.assertIn("does not support 64-bit mode", r.serial, what)
            self.assertNotIn("vmxboot VMM", r.serial, what)
        else:
            self.assertIn("vmxboot VMM: running at 0x00400000 in 64-bit mode", r.serial, what)
            self.assertIn("boot timeline", r.serial, what)
            self.assertIn("memory map (E820", r.serial, what)
            self.assertRegex(r.serial, r"cpu: \w+ family 0x[0-9a-f]+ model 0x[0-9a-f]+ stepping",
                             what)
        if EXPECTED[model] == VMX_RESULT:
            self.check_vmx_demo(r, what, bios)

    def check_vmx_demo(self, r, what, bios):
        # Feature control as each BIOS leaves it (shared/notes/bochs.md): the
        # Bochs BIOS locks it with VMX on, SeaBIOS leaves it for the VMM.
        if bios == "bochs":
            self.assertIn("IA32_FEATURE_CONTROL 0x5 (locked, VMX outside SMX on)", r.serial, what)
        else:
            self.assertIn("vmx: IA32_FEATURE_CONTROL was unlocked (0x0), now 0x5", r.serial, what)
        self.assertRegex(r.serial, r"vmx: IA32_VMX_BASIC 0x[0-9a-f]+: revision 0x(2b|4)\b", what)
        self.assertIn("vmx: VMXON, VMCLEAR, VMPTRLD done", r.serial, what)
        # The guest's own line: on COM1 marked as the guest's, on its VGA row.
        self.assertRegex(r.serial, r"(?m)^guest\| Hello from Guest VM \(virtual-8086\)  "
                                   r"MSW=0031  FLAGS=[0-9A-F]{4}  CS=1000$", what)
        # On the screen: the row the guest wrote itself, in its own colours
        # (white on blue, guest/guest.asm), not a copy the VMM printed.
        guest_rows = [i for i, l in enumerate(r.vga_lines)
                      if l.startswith("Hello from Guest VM (virtual-8086)")]
        self.assertTrue(any(r.vga_attrs[i][0] == 0x1F for i in guest_rows),
                        f"{what}: the guest's own row on the screen\n{r.vga_text()}")
        # The VMCALL exit, decoded by name, and the exits by kind.
        self.assertRegex(r.serial, r"vmx: exit \d+: reason 18 vmcall", what)
        self.assertRegex(r.serial, r"vmx:   io-instruction in 0x3fd \(COM1 LSR\) x\d+", what)
        self.assertIn("vmx:   io-instruction rep outsb (COM1 THR) x1", r.serial, what)
        self.assertIn("VMCLEAR, VMXOFF, CR4.VMXE cleared", r.serial, what)
        pairs = r.result[1]
        self.assertEqual(pairs.get("denied"), "0", f"{what}: no port outside the allow-list")
        self.assertGreater(int(pairs["exits"]), 2, what)
        self.assertGreater(int(pairs["com1-bytes"]), 20, what)


def _add_matrix_tests():
    for model in EXPECTED:
        for bios in BIOSES:
            name = f"test_{model}_{bios}"
            setattr(CpuMatrix, name, lambda self, m=model, b=bios: self.check(m, b))


_add_matrix_tests()


class FloppyBoot(unittest.TestCase, RunContract):
    """The image cut to a 1.44 MB floppy boots through CHS (DL=0, no INT 13h
    extensions)."""

    def test_floppy_boots_through_chs(self):
        r = boot_once("corei7_skylake_x", "bochs", floppy=True)
        self.assert_contract(r, "floppy")
        self.assertIn("boot: drive 0x00 via CHS", r.serial)
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)


class DamagedImage(unittest.TestCase, RunContract):
    """stage2 refuses a payload whose CRC does not match and a disk that ends
    before a payload, naming the payload, and still powers off."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="vmxboot-damaged-")
        sys.path.insert(0, os.path.join(HERE, "..", "tools"))
        cls.layout = read_layout(image())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def variant(self, name, mutate):
        path = os.path.join(self.work, name + ".img")
        with open(image(), "rb") as f:
            data = bytearray(f.read())
        data = mutate(data)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def boot(self, path):
        return bochs_boot.boot(path, cpu="corei7_skylake_x", timeout=120)

    def spare_lba(self):
        """stage2's spare copy lies right behind it (image/layout.h)."""
        lba, size = self.layout["stage2"]
        return lba + -(-size // layout()["SECTOR_SIZE"])

    def assert_stage2_reported(self, r, what, part, lba):
        """An intact copy of stage2 reported the damage and powered off."""
        self.assert_contract(r, what)
        self.assertTrue(r.powered_off, what + "\n" + r.serial)
        code, pairs = r.result
        self.assertEqual(code, "bad-image", what + "\n" + r.serial)
        self.assertEqual(pairs.get("payload"), "stage2", what + "\n" + r.serial)
        self.assertEqual(pairs.get("part"), part, what + "\n" + r.serial)
        self.assertEqual(pairs.get("lba"), str(lba), what + "\n" + r.serial)
        self.assertNotIn("vmxboot VMM", r.serial, what)

    def test_flipped_byte_in_each_payload_is_bad_image(self):
        # The VMM is checked by stage2's 64-bit part on CPUs with SSE4.2 and
        # by its 32-bit part on the others: both, on a model of each.
        for name, cpu in (("vmm", "corei7_skylake_x"), ("vmm", "core2_penryn_t9600"),
                          ("guest", "corei7_skylake_x")):
            lba, size = self.layout[name]
            path = self.variant(f"flip-{name}", lambda d, o=lba * 512 + size // 2: flip(d, o))
            r = bochs_boot.boot(path, cpu=cpu, timeout=120)
            what = f"flipped {name} on {cpu}"
            self.assert_contract(r, what)
            code, pairs = r.result
            self.assertEqual(code, "bad-image", what + "\n" + r.serial)
            self.assertEqual(pairs.get("payload"), name, r.serial)
            self.assertEqual(pairs.get("reason"), "crc", r.serial)
            self.assertNotIn("vmxboot VMM", r.serial, what)

    def test_flipped_byte_in_stage2s_first_sector_is_reported_by_its_spare(self):
        # stage1 finds that the first sector's dwords no longer sum to the
        # magic, reads the spare copy behind stage2 over it and runs that,
        # which reports the damage and powers off. A byte in the code and one
        # in the magic, through INT 13h extensions and through CHS (floppy),
        # and under SeaBIOS.
        L = layout()
        lba, _ = self.layout["stage2"]
        for name, offset, floppy, bios in (("code", 100, False, "bochs"),
                                           ("magic", L["STAGE2_MAGIC_OFFSET"], False, "bochs"),
                                           ("code-chs", 300, True, "bochs"),
                                           ("code-seabios", 200, False, "seabios")):
            path = self.variant(f"flip-stage2-first-{name}",
                                lambda d, o=lba * L["SECTOR_SIZE"] + offset: flip(d, o))
            r = bochs_boot.boot(path, cpu="corei7_skylake_x", bios=bios, floppy=floppy,
                                timeout=120)
            what = f"flipped stage2 first sector ({name})"
            self.assert_stage2_reported(r, what, "first", lba)
            self.assertIn("stage1 ran the spare copy", r.serial)
            self.assertIn("vmxboot: result=bad-image payload=stage2", r.vga_text())

    def test_flipped_byte_in_the_spare_first_sector_is_bad_image(self):
        # stage2's first sector checks the spare's first sector on every
        # boot: an image whose spare could not stand in there is refused too.
        spare = self.spare_lba()
        path = self.variant("flip-stage2-spare",
                            lambda d: flip(d, spare * layout()["SECTOR_SIZE"] + 200))
        self.assert_stage2_reported(self.boot(path), "flipped spare", "spare", spare)

    def test_both_copies_of_stage2s_first_sector_damaged_is_refused_by_stage1(self):
        # Nothing stage1 can run is left: with 512 bytes it can only say so
        # on the screen and halt with interrupts off (no COM1, no power-off).
        L = layout()
        lba, _ = self.layout["stage2"]
        spare = self.spare_lba()
        path = self.variant("flip-stage2-both", lambda d: flip(flip(d, lba * L["SECTOR_SIZE"] + 100),
                                                               spare * L["SECTOR_SIZE"] + 100))
        r = bochs_boot.boot(path, cpu="corei7_skylake_x", timeout=5)
        self.assertTrue(r.timed_out)
        self.assertIn("vmxboot Stage2 error", r.vga_text())
        self.assertEqual(r.result_lines, [], r.serial)

    def test_flipped_byte_in_the_rest_of_stage2_is_reported_by_its_spare(self):
        # stage2's first sector sums the others before running them; when
        # they do not match, it reads the spare copy's over them, which
        # reports the damage and powers off.
        L = layout()
        lba, size = self.layout["stage2"]
        self.assertGreater(size, 2 * L["SECTOR_SIZE"])
        path = self.variant("flip-stage2-rest", lambda d: flip(d, lba * L["SECTOR_SIZE"] + size - 100))
        for floppy in (False, True):  # stage1's reader, INT 13h extensions and CHS
            r = bochs_boot.boot(path, cpu="corei7_skylake_x", floppy=floppy, timeout=120)
            what = f"flipped stage2 rest (floppy={floppy})"
            self.assert_stage2_reported(r, what, "rest", lba + 1)
            self.assertIn("Their spare copy", r.serial)

    def test_rest_of_stage2_and_of_its_spare_damaged_is_bad_image_then_a_halt(self):
        # No intact copy of the power-off code is left: the first sector
        # reports on COM1 in the contract's form, says it cannot power off
        # and halts.
        L = layout()
        lba, size = self.layout["stage2"]
        spare = self.spare_lba()
        path = self.variant("flip-stage2-rest-both",
                            lambda d: flip(flip(d, lba * L["SECTOR_SIZE"] + size - 100),
                                           spare * L["SECTOR_SIZE"] + size - 100))
        r = self.boot(path)
        self.assert_contract(r, "flipped stage2 rest and spare rest")
        self.assertTrue(r.halted, r.serial)
        code, pairs = r.result
        self.assertEqual(code, "bad-image", r.serial)
        self.assertEqual(pairs.get("payload"), "stage2", r.serial)
        self.assertEqual(pairs.get("part"), "rest", r.serial)
        self.assertIn("vmxboot: stage2 is damaged (its sum differs from the header's), and its "
                      "spare\nvmxboot: copy is damaged too or could not be read;", r.serial)
        self.assertIn("vmxboot: result=bad-image payload=stage2", r.vga_text())

    def test_flipped_byte_in_header_is_bad_image(self):
        # The header's reserved words, which nothing reads but the CRC.
        L = layout()
        at = L["HEADER_LBA"] * L["SECTOR_SIZE"] + L["ImageHeader_payloads"] - 4
        path = self.variant("flip-header", lambda d: flip(d, at))
        r = self.boot(path)
        self.assert_contract(r, "flipped header")
        self.assertEqual(r.result[0], "bad-image", r.serial)
        self.assertEqual(r.result[1].get("payload"), "header", r.serial)

    def rewrite_header(self, name, field_values):
        """A copy whose header says something else, with a valid CRC: wrong on
        purpose, not damaged. field_values: (offset in the header, value)."""
        L = layout()
        header = L["HEADER_LBA"] * L["SECTOR_SIZE"]
        crc_at = header + L["ImageHeader_header_crc32"]

        def rewrite(d):
            for offset, value in field_values(len(d) // L["SECTOR_SIZE"]):
                struct.pack_into("<I", d, header + offset, value)
            struct.pack_into("<I", d, crc_at, crc32c(bytes(d[header:crc_at])))
            return d
        return self.variant(name, rewrite)

    def entry_field(self, payload, field):
        L = layout()
        return L["ImageHeader_payloads"] + L[payload] * L["SIZEOF_PayloadEntry"] + L[field]

    def test_header_field_out_of_range_is_refused_by_the_same_check_as_inspect(self):
        # stage2 runs image/image_check.h on the header: a guest load address
        # below stage2's window (the CRC valid) is refused by name.
        path = self.rewrite_header("guest-load-7000", lambda sectors: [
            (self.entry_field("PAYLOAD_GUEST", "PayloadEntry_load_addr"), 0x7000)])
        r = self.boot(path)
        self.assert_contract(r, "guest load address 0x7000")
        code, pairs = r.result
        self.assertEqual(code, "bad-image", r.serial)
        self.assertEqual((pairs.get("payload"), pairs.get("reason"), pairs.get("entry"),
                          pairs.get("found")), ("header", "load-addr", "guest", "0x00007000"),
                         r.serial)
        out = subprocess.run([os.path.join(BUILD, "host", "inspect"), path],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("header: guest: load address 0x00007000 expected 0x00010000", out.stderr)

    def test_vmm_beyond_the_end_of_the_disk_is_a_disk_error(self):
        # A header (with a valid CRC) that places the VMM past the last sector
        # of a disk it says is larger: what a truncated copy of a larger image
        # looks like to the BIOS.
        path = self.rewrite_header("vmm-past-end", lambda sectors: [
            (layout()["ImageHeader_disk_sectors"], sectors + 2000),
            (self.entry_field("PAYLOAD_VMM", "PayloadEntry_first_lba"), sectors + 100)])
        r = self.boot(path)
        self.assertEqual(r.problems(), [], r.serial)
        code, pairs = r.result
        self.assertEqual(code, "disk-error", r.serial)
        self.assertEqual(pairs.get("payload"), "vmm", r.serial)
        self.assertEqual(pairs.get("step"), "read", r.serial)


def build_variant(path, *mkimage_args):
    """An image from the same binaries with other header options."""
    b = BUILD
    subprocess.run([os.path.join(b, "host", "mkimage"), "--stage1", f"{b}/stage1.bin",
                    "--stage2", f"{b}/stage2.bin", "--vmm", f"{b}/vmm.bin", "--guest",
                    f"{b}/guest.bin", "--out", path, *mkimage_args],
                   check=True, capture_output=True)
    return path


class OtherMachines(unittest.TestCase, RunContract):
    """Beyond the CPU matrix: the legacy Bochs BIOS (no ACPI tables: the run
    must say it cannot power off and halt), two CPUs, 32 MiB of RAM."""

    def test_legacy_bios_without_acpi_halts_and_says_so(self):
        r = bochs_boot.boot(image(), cpu="corei7_skylake_x", bios="bochs-legacy", timeout=120)
        self.assert_contract(r, "bochs-legacy")
        self.assertTrue(r.halted, r.serial)
        self.assertIn("vmxboot: cannot power off (ACPI: no RSDP; no ACPI tables; the PIIX4 "
                      "power management is disabled)", r.serial)
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)

    def test_two_cpus(self):
        r = bochs_boot.boot(image(), cpu="corei7_skylake_x", cpus=2, timeout=120)
        self.assert_contract(r, "2 CPUs")
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)

    def test_32_mib_of_ram(self):
        r = bochs_boot.boot(image(), cpu="core2_penryn_t9600", megs=32, timeout=120)
        self.assert_contract(r, "32 MiB")
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)


class Qemu(unittest.TestCase):
    """QEMU (TCG, SeaBIOS) has no VMX: the whole chain runs and ends no-vmx,
    from an IDE disk and from a USB stick on xHCI."""

    def check(self, usb):
        r = qemu_boot.boot(image(), usb=usb, timeout=120, press_key=True)
        self.assertEqual(r.problems(), [], r.serial)
        self.assertEqual(r.result[0], "no-vmx", r.serial)
        self.assertIn("vmxboot VMM: running at 0x00400000 in 64-bit mode", r.serial)
        self.assertIn("boot: drive 0x80 via INT 13h extensions", r.serial)

    def test_ide_disk(self):
        self.check(usb=False)

    def test_usb_stick_on_xhci(self):
        self.check(usb=True)

    def test_a_truncated_image_is_a_disk_error_naming_the_payload(self):
        # The image file cut short, as an interrupted copy leaves it (QEMU
        # takes a disk of any size; Bochs wants whole cylinders): the read
        # of the first payload that is not all there fails.
        L = layout()
        lay = read_layout(image())
        with open(image(), "rb") as f:
            data = f.read()
        work = tempfile.mkdtemp(prefix="vmxboot-truncated-")
        try:
            for name in ("vmm", "guest"):
                lba, size = lay[name]
                cut = lba + -(-size // L["SECTOR_SIZE"]) // 2  # half of it on the disk
                path = os.path.join(work, f"cut-in-{name}.img")
                with open(path, "wb") as f:
                    f.write(data[:max(cut, lba + 1) * L["SECTOR_SIZE"]])
                r = qemu_boot.boot(path, timeout=120, press_key=True)
                what = f"image cut inside the {name}"
                self.assertEqual(r.problems(), [], what + "\n" + r.serial)
                code, pairs = r.result
                self.assertEqual(code, "disk-error", what + "\n" + r.serial)
                self.assertEqual(pairs.get("payload"), name, r.serial)
                self.assertEqual(pairs.get("step"), "read", r.serial)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_a_byte_on_com1_ends_the_end_of_run_wait(self):
        # QEMU's PIT runs in real time: without the byte the VMM would count
        # down END_WAIT (15) seconds before powering off.
        r = qemu_boot.boot(image(), timeout=120, press_key=True)
        self.assertEqual(r.problems(), [], r.serial)
        self.assertIsNotNone(r.seconds_after_key, r.serial)
        self.assertLess(r.seconds_after_key, 10, "the wait did not end at the key")


class EndOfRunWait(unittest.TestCase, RunContract):
    """Between the result line and the power-off the VMM waits END_WAIT
    seconds, timed by the PIT: in Bochs an emulated second is `ips` (4
    million) instructions, so the wait shows in the tick count."""

    IPS = 4_000_000

    def waited_ticks(self, seconds):
        with tempfile.TemporaryDirectory() as work:
            path = build_variant(os.path.join(work, "wait.img"), "--end-wait", str(seconds))
            r = bochs_boot.boot(path, cpu="corei7_skylake_x", timeout=120)
        self.assert_contract(r, f"end-wait {seconds}")
        self.assertIsNotNone(r.magic_tick, r.stdout[-500:])
        self.assertIsNotNone(r.power_off_tick, r.log[-500:])
        return r.power_off_tick - r.magic_tick

    def test_no_wait(self):
        self.assertLess(self.waited_ticks(0), self.IPS // 10)

    def test_three_seconds(self):
        ticks = self.waited_ticks(3)
        self.assertGreater(ticks, 3 * self.IPS * 0.95)
        self.assertLess(ticks, 3 * self.IPS * 1.10)


class PartitionTable(unittest.TestCase):
    """sfdisk reads the MBR without a warning: one active, non-empty entry
    that covers the payloads (BIOSes list a USB stick as bootable only then)."""

    def test_sfdisk_reads_one_active_partition_without_warnings(self):
        out = subprocess.run(["sfdisk", "-d", image()], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stderr.strip(), "", "sfdisk warned")
        entries = [l for l in out.stdout.splitlines() if " : start=" in l]
        self.assertEqual(len(entries), 1, out.stdout)
        self.assertIn("bootable", entries[0])
        self.assertRegex(entries[0], r"type=da\b")
        start = int(entries[0].split("start=")[1].split(",")[0])
        size = int(entries[0].split("size=")[1].split(",")[0])
        last_payload_sector = max(lba + (size_b + 511) // 512 - 1
                                  for lba, size_b in read_layout(image()).values())
        self.assertEqual(start, 1)
        self.assertGreaterEqual(start + size - 1, last_payload_sector)


class VmmElf(unittest.TestCase):
    def test_vmm_elf_entry_is_its_first_instruction(self):
        L = layout()
        out = subprocess.run(["readelf", "-h", "-s", os.path.join(BUILD, "vmm.elf")],
                             capture_output=True, text=True, check=True).stdout
        entry = int(out.split("Entry point address:")[1].split()[0], 16)
        self.assertEqual(entry, L["VMM_ADDR"])
        self.assertRegex(out, r"[0-9a-f]+ +\d+ +\w+ +GLOBAL +DEFAULT +\d+ vmm_main",
                         "vmm.elf keeps its symbols")


class HostException(unittest.TestCase, RunContract):
    """An exception inside the VMM ends the run readably, not in a triple fault."""

    def test_page_fault_in_the_vmm_is_reported(self):
        with tempfile.TemporaryDirectory() as work:
            path = build_variant(os.path.join(work, "host-fault.img"), "--inject", "host-fault")
            r = bochs_boot.boot(path, cpu="corei7_skylake_x", timeout=120)
        self.assert_contract(r, "host-fault")
        code, pairs = r.result
        self.assertEqual(code, "host-exception", r.serial)
        self.assertEqual(pairs.get("vector"), "14", r.serial)
        self.assertIn("VMM exception #PF page fault (vector 14)", r.serial)
        self.assertRegex(r.serial, r"cr2=0*100000000 ")
        # The error code decoded, and RIP by the VMM's own symbol table.
        self.assertIn("#PF: page not present, read access, supervisor mode", r.serial)
        self.assertRegex(r.serial, r"\n  at vmm_main\+0x[0-9a-f]+\n")
        self.assertEqual(pairs.get("at"), "vmm_main", r.serial)
        for reg in ("rax=", "rbx=", "r15=", "rip="):
            self.assertIn(reg, r.serial)


class FaultInjection(unittest.TestCase, RunContract):
    """`make image INJECT=<case>`: each case ends with its result, a one-line
    explanation (`inject: <case>: <what was injected>: <what happened>`)
    right before the result line, and the run contract. On every VMX model:
    Core 2 and bx_generic (no EPT, no VMX-preemption timer), the others
    (both)."""

    # Every VMX model (the issue asks for Core 2 and Skylake; the rest cost
    # a few seconds). Bochs' first VMX level (bx_generic, Core 2) has neither
    # EPT nor the VMX-preemption timer (shared/notes/bochs.md: secondary
    # controls 0x49 / 0x41); the later models have both.
    MODELS = VMX
    VMX_LEVEL_1 = {"core2_penryn_t9600", "bx_generic"}
    # VMCS revision IDs (IA32_VMX_BASIC bits 30:0, shared/notes/bochs.md).
    REVISION = {"corei7_icelake_u": 0x4, "tigerlake": 0x4}
    DEFAULT_REVISION = 0x2B
    # case: (result code, {key: value} the result line must carry,
    #        regex the explanation after "inject: <case>: " must match)
    CASES = {
        "feature-locked-off": ("vmx-disabled", {"feature-control": "0x1"},
                               r"IA32_FEATURE_CONTROL taken as 0x1 \(locked, VMX off\), not the "
                               r"0x5 read: VMX is turned off in the firmware setup; the VMM stops before "
                               r"VMXON"),
        "bad-revision": ("vmx-failed", {"step": "vmxon", "error": "0"},
                         r"VMXON region stamped (0x[0-9a-f]+), not the CPU's (0x[0-9a-f]+): "
                         r"vmxon ended in "
                         r"VMfailInvalid"),
        "unaligned-vmcs": ("vmx-failed", {"step": "vmptrld", "error": "9"},
                           r"VMPTRLD of 0x[0-9a-f]+, which is not 4 KiB aligned: vmptrld ended "
                           r"in VMfailValid, error: VMPTRLD with invalid physical address"),
        "bad-control": ("entry-failed", {"check": "primary-controls-allowed", "step": "vmlaunch",
                                         "error": "7"},
                        r"primary-processor-based control bit \d+ \([a-z-]+\) set in the VMCS; "
                        r"MSR 0x48e does not allow it: vmlaunch failed with VM-instruction "
                        r"error 7; the entry checker names primary-controls-allowed"),
        "bad-guest-state": ("entry-failed", {"check": "guest-cs-base-v86",
                                             "error": "invalid-guest-state"},
                            r"guest CS base 0x10010 with selector 0x1000 \(virtual-8086 mode "
                            r"needs 0x10000\): VM entry failed .*names guest-cs-base-v86"),
        "guest-triple-fault": ("guest-exit", {"reason": "triple-fault", "denied": "0"},
                               r"the guest loads an empty IDT and executes INT 0x20 at ring 0: "
                               r"the guest was stopped by exit reason triple-fault"),
        "guest-spin": ("guest-timeout", {"limit-ms": "2000"},
                       r"the guest loops forever with interrupts off: stopped after 2000 ms by "
                       r"the (VMX-preemption timer|PIT \(external-interrupt exits\))"),
        "guest-bad-port": ("ok", {"denied": "4"},
                           r"the guest reads port 0x64, writes port 0x70, reads port 0xcf8 "
                           r"\(32 bits\), rep insb 4 bytes from port 0x60: the guest went on and "
                           r"halted; 4 access\(es\) denied, its rep insb read 0xffffffff"),
        "guest-write-vmm": ("guest-exit", {"vmm-intact": "yes"},
                            r"the guest maps the VMM's 4 MiB through its CR3 and writes to "
                            r"0x400000: the guest was stopped by exit reason (ept-violation at "
                            r"gpa=0x400000|exception-or-nmi); the VMM is intact"),
        "guest-read-vmm": ("guest-exit", {"denied": "0"},
                           r"the guest maps the VMM's 4 MiB through its CR3 and sends 16 bytes "
                           r"from 0x400000 to COM1 with rep outsb: the guest was stopped by exit "
                           r"reason (io-instruction at gpa=0x400000|exception-or-nmi)"),
    }

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="vmxboot-inject-")
        images = {case: build_variant(os.path.join(cls.work, case + ".img"), "--inject", case,
                                      "--end-wait", "0")
                  for case in cls.CASES}
        jobs = [(case, model) for case in cls.CASES for model in cls.MODELS]
        cls.runs = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            futures = {pool.submit(bochs_boot.boot, images[c], cpu=m, timeout=120): (c, m)
                       for (c, m) in jobs}
            for fut in concurrent.futures.as_completed(futures):
                cls.runs[futures[fut]] = fut.result()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def check(self, case, model):
        r = self.runs[(case, model)]
        what = f"inject={case} cpu={model}"
        self.assert_contract(r, what)
        code, pairs = r.result
        want_code, want_pairs, explanation = self.CASES[case]
        self.assertEqual(code, want_code, f"{what}\n--- COM1 ---\n{r.serial}")
        for key, value in want_pairs.items():
            self.assertEqual(pairs.get(key), value, f"{what}: {key}\n{r.serial}")
        lines = [l for l in r.serial.splitlines() if l.strip()]
        self.assertRegex(lines[-2], f"^inject: {case}: {explanation}$",
                         f"{what}: the explanation right before the result line")
        getattr(self, "also_" + case.replace("-", "_"), lambda *a: None)(r, model, pairs, what)

    def test_make_run_expects_each_cases_result(self):
        # `make run INJECT=<case>` insists on what `mkimage --result-of`
        # prints (from image/layout.h): the results these tests want.
        wanted = {case: code for case, (code, _, _) in self.CASES.items()}
        wanted.update({"none": VMX_RESULT, "host-fault": "host-exception"})
        mkimage = os.path.join(BUILD, "host", "mkimage")
        for case, code in wanted.items():
            out = subprocess.run([mkimage, "--result-of", case], capture_output=True, text=True)
            self.assertEqual((out.returncode, out.stdout.strip()), (0, code), case)
        out = subprocess.run([mkimage, "--result-of", "no-such-case"], capture_output=True,
                             text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn("--result-of: no fault-injection case 'no-such-case'", out.stderr)

    def also_bad_revision(self, r, model, pairs, what):
        stamped, cpu = (int(v, 16) for v in re.search(
            r"VMXON region stamped (0x[0-9a-f]+), not the CPU's (0x[0-9a-f]+)", r.serial).groups())
        self.assertEqual(cpu, self.REVISION.get(model, self.DEFAULT_REVISION), what)
        self.assertEqual(stamped, cpu + 1, what)

    def also_feature_locked_off(self, r, model, pairs, what):
        self.assertIn("VMX is turned off in the firmware setup (turn on Intel VT-x there)",
                      r.serial, what)
        self.assertNotIn("VMXON, VMCLEAR, VMPTRLD done", r.serial, what)

    def also_bad_control(self, r, model, pairs, what):
        self.assertTrue(pairs["check"].endswith("-controls-allowed"), what)
        self.assertRegex(r.serial, r"entry check failed: primary-controls-allowed", what)

    def also_guest_spin(self, r, model, pairs, what):
        # No preemption timer on Core 2: PIT ticks (20 Hz) through
        # external-interrupt exits, 40 of them; Skylake's timer exits once.
        if model in self.VMX_LEVEL_1:
            self.assertEqual(pairs.get("timer"), "pit", what)
            self.assertEqual(pairs.get("exits"), "40", what)
        else:
            self.assertEqual(pairs.get("timer"), "preemption", what)
            self.assertEqual(pairs.get("exits"), "1", what)
            self.assertIn("reason 52 preemption-timer", r.serial, what)

    def also_guest_bad_port(self, r, model, pairs, what):
        for line in ("vmx: denied: in 0x64, 1 byte(s): the guest reads all ones",
                     "vmx: denied: out 0x70, 1 byte(s): dropped",
                     "vmx: denied: in 0xcf8, 4 byte(s): the guest reads all ones",
                     "vmx: denied: ins 0x60, 1 byte(s) x4: the guest reads all ones"):
            self.assertIn(line, r.serial, what)
        # The guest went on: its line, then its HLT.
        self.assertRegex(r.serial, r"(?m)^guest\| Hello from Guest VM \(virtual-8086\)", what)

    def stopped_mapping_the_vmm(self, r, model, pairs, what, ept_reason, ept_line):
        """Both guest-*-vmm cases map the VMM's 4 MiB through the guest's CR3.
        Without EPT the page directory is out of the guest's reach: that
        write page-faults (an exception exit, #PF). With EPT the mapping is
        the guest's own; what it then touches stops it at 0x400000."""
        if model in self.VMX_LEVEL_1:
            self.assertEqual(pairs.get("reason"), "exception-or-nmi", what)
            self.assertIn("interruption: vector 14 #PF", r.serial, what)
        else:
            self.assertEqual(pairs.get("reason"), ept_reason, what)
            self.assertEqual(pairs.get("gpa"), "0x400000", what)
            self.assertIn(ept_line, r.serial, what)

    def also_guest_read_vmm(self, r, model, pairs, what):
        # Not one of the VMM's bytes reached COM1: the VMM, carrying out the
        # guest's OUTS, does not read what EPT does not give the guest.
        with open(os.path.join(BUILD, "vmm.bin"), "rb") as f:
            vmm_head = f.read(16).decode("latin-1")
        self.assertNotIn(vmm_head[:4], r.serial, what)
        self.stopped_mapping_the_vmm(r, model, pairs, what, "io-instruction",
                                     "stopped: outs source is not the guest's memory")

    def also_guest_write_vmm(self, r, model, pairs, what):
        self.assertRegex(r.serial, r"VMM code and data CRC-32C (0x[0-9a-f]{8}) before the guest, "
                                   r"\1 after", what)
        self.stopped_mapping_the_vmm(r, model, pairs, what, "ept-violation",
                                     "EPT violation: write to guest-physical 0x400000")


def _add_injection_tests():
    for case in FaultInjection.CASES:
        for model in FaultInjection.MODELS:
            name = f"test_{case.replace('-', '_')}_{model}"
            setattr(FaultInjection, name, lambda self, c=case, m=model: self.check(c, m))


_add_injection_tests()


def crc32c(data):
    """CRC-32C, bit by bit (the image's checksum; vmm/lib/crc32c.h)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def flip(data, offset):
    data[offset] ^= 0xFF
    return data


def read_layout(path):
    """{payload name: (first LBA, size)} from the image header."""
    L = layout()
    with open(path, "rb") as f:
        f.seek(L["HEADER_LBA"] * L["SECTOR_SIZE"])
        header = f.read(L["SECTOR_SIZE"])
    out = {}
    for i in range(L["PAYLOAD_COUNT"]):
        at = L["ImageHeader_payloads"] + i * L["SIZEOF_PayloadEntry"]
        name = header[at + L["PayloadEntry_name"]:at + L["PayloadEntry_name"] + 8]
        first_lba, = struct.unpack_from("<I", header, at + L["PayloadEntry_first_lba"])
        size, = struct.unpack_from("<I", header, at + L["PayloadEntry_size"])
        out[name.rstrip(b"\0").decode()] = (first_lba, size)
    return out


def main():
    global BUILD
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    args, rest = p.parse_known_args()
    BUILD = args.build
    if not os.path.exists(image()):
        sys.exit(f"no image at {image()}: run `make image` first")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
