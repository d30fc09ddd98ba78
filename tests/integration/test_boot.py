#!/usr/bin/env python3
"""Integration tests: boot the real image in Bochs and check what COM1 and the
VGA page show.

Every run must keep the run contract (exactly one `vmxboot: result=` line,
last on COM1, one magic breakpoint, then ACPI power-off; no triple fault, no
hang) and end with the result its CPU model calls for, under each BIOS.

Run: python3 tests/integration/test_boot.py --build build [unittest args]
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import bochs_boot  # noqa: E402
import bochs_models  # noqa: E402
import boots  # noqa: E402
import parallel_unittest  # noqa: E402
from parallel_unittest import selected  # noqa: E402

BUILD = "build"

# What each Bochs 2.7 model must end with (tools/bochs_models.py, checked
# against `bochs --help cpu` below, so a model we do not know fails).
EXPECTED = {m: bochs_models.expected_result(m) for m in bochs_models.MODELS}
# What the VMX models end with: the whole demo.
VMX_RESULT = "ok"
BIOSES = ["bochs", "seabios"]


def layout():
    return bochs_boot.read_layout(BUILD)


def built_image():
    """The image `make image` built, as a user boots it (15 s end-of-run wait)."""
    return os.path.join(BUILD, "vmxboot.img")


def image():
    """What the Bochs tests boot: the same binaries and header, with no
    end-of-run wait (in Bochs the 15 s wait is 60 million instructions, four
    times the rest of a run; EndOfRunWait tests the wait itself)."""
    return os.path.join(BUILD, "test", "vmxboot-nowait.img")


def bochs(path=None, **options):
    """A Bochs boot of PATH (default: image()) for the pool (tools/boots.py)."""
    return boots.bochs(path or image(), **options)


class RunContract:
    def assert_contract(self, r, what):
        problems = r.problems()
        self.assertEqual(problems, [], f"{what}: {problems}\n--- COM1 ---\n{r.serial}")


class CpuMatrix(unittest.TestCase, RunContract):
    """Every model `bochs --help cpu` lists, under BIOS-bochs-latest and SeaBIOS."""

    @classmethod
    def setUpClass(cls):
        # Only the runs the selected tests need (`CpuMatrix.test_<model>_<bios>`).
        boots.start([bochs(cpu=m, bios=b) for m in EXPECTED for b in BIOSES
                     if selected(cls, f"test_{m}_{b}")])

    def test_every_bochs_model_has_an_expected_result(self):
        self.assertEqual(sorted(bochs_models.discovered()), sorted(EXPECTED),
                         "the models Bochs lists and those this test knows differ")

    def test_vmx_features_are_those_of_the_msr_capture(self):
        # tools/bochs_models.py's VMX facts against the capability MSRs
        # captured inside Bochs (tests/bochs/vmx_msrs_bochs27.txt, the unit
        # tests' input): EPT and unrestricted guest (secondary controls
        # bits 1 and 7), the VMX-preemption timer (pin-based bit 6), the
        # VMCS revision (IA32_VMX_BASIC bits 30:0).
        capture, model = {}, None
        with open(os.path.join(HERE, "..", "bochs", "vmx_msrs_bochs27.txt")) as f:
            for line in f:
                if line.startswith("# model="):
                    model = capture.setdefault(line.split("=", 1)[1].strip(), {})
                elif line.startswith("msr "):
                    _, msr, _, value = line.split()
                    model[int(msr, 16)] = int(value, 16)
        found = {}
        for name, msrs in capture.items():
            basic = msrs[0x480]
            true = bool(basic >> 55 & 1)
            pin = msrs[0x48D if true else 0x481] >> 32
            primary = msrs[0x48E if true else 0x482] >> 32
            secondary = msrs.get(0x48B, 0) >> 32 if primary >> 31 & 1 else 0
            found[name] = (bool(secondary & 1 << 1), bool(secondary & 1 << 7), bool(pin & 1 << 6),
                           basic & 0x7FFFFFFF)
        table = {name: (m.ept, m.unrestricted_guest, m.preemption_timer, m.vmcs_revision)
                 for name, m in bochs_models.MODELS.items() if name in bochs_models.vmx_models()}
        self.assertEqual(found, table)

    def check(self, model, bios):
        r = boots.result(bochs(cpu=model, bios=bios))
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
        # Feature control as each BIOS leaves it (docs/bochs.md): the
        # Bochs BIOS locks it with VMX on, SeaBIOS leaves it for the VMM.
        if bios == "bochs":
            self.assertIn("IA32_FEATURE_CONTROL 0x5 (locked, VMX outside SMX on)", r.serial, what)
        else:
            self.assertIn("vmx: IA32_FEATURE_CONTROL was unlocked (0x0), now 0x5", r.serial, what)
        self.assertRegex(r.serial, r"vmx: IA32_VMX_BASIC 0x[0-9a-f]+: revision 0x(2b|4)\b", what)
        self.assertIn("vmx: VMXON, VMCLEAR, VMPTRLD done", r.serial, what)
        # Host NMIs exit (pin-based bit 3) on every model: none reaches the
        # guest.
        pin = int(re.search(r"vmx: controls: pin 0x([0-9a-f]+),", r.serial).group(1), 16)
        self.assertTrue(pin & 0x8, f"{what}: NMI exiting in pin 0x{pin:x}")
        self.assertIn("; host NMIs exit\n", r.serial, what)
        # The power-off is found before the guest runs and kept (the guest
        # could rewrite low memory): the port the FADT names, 0xb004 in Bochs.
        kept = r.serial.index("vmx: power-off kept: PM1a_CNT 0xb004 SLP_TYPa 0\n")
        self.assertLess(kept, r.serial.index("vmx: VMLAUNCH"), what)
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
        self.assertEqual(pairs.get("denied"), "0", f"{what}: no port outside the port policy")
        # Read from the UART after the guest: the VMM's setup.
        self.assertIn("vmx: COM1 after the guest: LCR 0x03 MCR 0x03 IER 0x00 divisor 1", r.serial,
                      what)
        self.assertGreater(int(pairs["exits"]), 2, what)
        self.assertGreater(int(pairs["com1-bytes"]), 20, what)


def _add_matrix_tests():
    for model in EXPECTED:
        for bios in BIOSES:
            name = f"test_{model}_{bios}"
            setattr(CpuMatrix, name, lambda self, m=model, b=bios: self.check(m, b))


_add_matrix_tests()


class BochsStartup(unittest.TestCase, RunContract):
    """Bochs runs the image under the locales users have: Debian's default
    C.UTF-8 (where Bochs 2.7's ALSA plugin aborts unless the bochsrc selects
    no sound driver) and C. A Bochs that dies before the BIOS runs is
    reported as that, with its last words, not as a missing result line."""

    def check_locale(self, lang):
        r = boots.result(bochs(cpu="corei7_skylake_x", lang=lang, timeout=120))
        self.assert_contract(r, f"LANG={lang}")
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)

    def test_lang_c_utf8(self):
        self.check_locale("C.UTF-8")

    def test_lang_c(self):
        self.check_locale("C")

    def test_a_bochs_that_dies_at_start_up_is_reported_as_that(self):
        r = boots.result(bochs(extra_lines=["romimage: file=/nonexistent/vmxboot-bios"],
                               timeout=120))
        self.assertTrue(r.died_at_start, r.stdout[-2000:])
        problems = r.problems()
        self.assertEqual(len(problems), 1, problems)
        self.assertRegex(problems[0], r"^Bochs exited with \d+ before the BIOS ran: ")
        self.assertIn("/nonexistent/vmxboot-bios", problems[0])


class FloppyBoot(unittest.TestCase, RunContract):
    """The image cut to a 1.44 MB floppy boots through CHS (DL=0, no INT 13h
    extensions)."""

    def test_floppy_boots_through_chs(self):
        r = boots.result(bochs(cpu="corei7_skylake_x", bios="bochs", floppy=True))
        self.assert_contract(r, "floppy")
        self.assertIn("boot: drive 0x00 via CHS", r.serial)
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)


class DamagedImage(unittest.TestCase, RunContract):
    """stage2 refuses a payload whose CRC does not match and a disk that ends
    before a payload, naming the payload, and still powers off."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="vmxboot-damaged-")
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
        return boots.result(bochs(path, cpu="corei7_skylake_x", timeout=120))

    def spare_lba(self):
        """stage2's spare copy lies right behind it (abi/layout.h)."""
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
        # stage2 checks the VMM with SSE4.2's CRC32 instruction where the
        # CPU has it and by tables on the others: both, on a model of each.
        cases = (("vmm", "corei7_skylake_x"), ("vmm", "core2_penryn_t9600"),
                 ("guest", "corei7_skylake_x"))
        paths = {}
        for name in ("vmm", "guest"):
            lba, size = self.layout[name]
            paths[name] = self.variant(f"flip-{name}", lambda d, o=lba * 512 + size // 2: flip(d, o))
        runs = boots.results([bochs(paths[name], cpu=cpu, timeout=120) for name, cpu in cases])
        for (name, cpu), r in zip(cases, runs):
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
        cases = (("code", 100, False, "bochs"), ("magic", L["STAGE2_MAGIC_OFFSET"], False, "bochs"),
                 ("code-chs", 300, True, "bochs"), ("code-seabios", 200, False, "seabios"))
        paths = {name: self.variant(f"flip-stage2-first-{name}",
                                    lambda d, o=lba * L["SECTOR_SIZE"] + offset: flip(d, o))
                 for name, offset, _, _ in cases}
        runs = boots.results([bochs(paths[name], cpu="corei7_skylake_x", bios=bios, floppy=floppy,
                                    timeout=120) for name, _, floppy, bios in cases])
        for (name, _, _, _), r in zip(cases, runs):
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
        r = boots.result(bochs(path, cpu="corei7_skylake_x", timeout=60))
        self.assertTrue(r.halted and not r.timed_out, r.log[-2000:])
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
        floppies = (False, True)  # stage1's reader, INT 13h extensions and CHS
        runs = boots.results([bochs(path, cpu="corei7_skylake_x", floppy=floppy, timeout=120)
                              for floppy in floppies])
        for floppy, r in zip(floppies, runs):
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
        self.assertIn("vmxboot: stage2 is damaged (its sum differs from its first sector's), and "
                      "its\nvmxboot: spare copy is damaged too or could not be read;", r.serial)
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


class HostileHeader(unittest.TestCase, RunContract):
    """stage2 uses no header field before the header's CRC-32C is checked,
    and checks every field in 32 bits before it shifts or reads with it
    (issue 10, finding 6: a VMM sector count of 214 -> 0x8000D6 once passed a
    check that shifted first, and stage2 read 4 GiB through the EBDA, VGA
    memory and itself). A flipped bit in any payload's sector count ends
    `bad-image payload=header reason=crc` with the CRC stage2 computed; the
    same count with a recomputed CRC ends `reason=sectors entry=<payload>`
    (the shared image check names it, image/image_check.h). stage2 checks its
    own rest with the count its first sector carries, range-checked; stage1
    masks the MBR's count to stage2's window. Under
    both BIOSes, on Core 2 (no SSE4.2: the CRC bit by bit) and Skylake
    (SSE4.2's CRC32 instruction in real mode)."""

    MODELS = ["core2_penryn_t9600", "corei7_skylake_x"]
    PAD_BYTES = 4 << 20  # the disk of finding 6, in whole cylinders (below)

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="vmxboot-hostile-")
        L = cls.L = layout()
        # No end-of-run wait: each boot then ends ~0.6 s after its result.
        base = build_variant(os.path.join(cls.work, "base.img"), "--end-wait", "0")
        with open(base, "rb") as f:
            cls.base = bytes(f.read())
        cls.header_at = L["HEADER_LBA"] * L["SECTOR_SIZE"]
        cls.crc_at = cls.header_at + L["ImageHeader_header_crc32"]
        cls.original_crc = struct.unpack_from("<I", cls.base, cls.crc_at)[0]
        cls.images = {name: cls.write(name, cls.mutation(name)) for name in cls.CASES}
        cls.requests = {(n, m, b): bochs(cls.images[n], cpu=m, bios=b, timeout=120)
                        for n in cls.images for m in cls.models(n) for b in BIOSES
                        if selected(cls, f"test_{n.replace('-', '_')}_{m}_{b}")}
        boots.start(cls.requests.values())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def write(cls, name, mutate):
        data = mutate(bytearray(cls.base))
        path = os.path.join(cls.work, name + ".img")
        with open(path, "wb") as f:
            f.write(data)
        return path

    @classmethod
    def sectors_at(cls, payload):
        L = cls.L
        return (cls.header_at + L["ImageHeader_payloads"] + payload * L["SIZEOF_PayloadEntry"]
                + L["PayloadEntry_sectors"])

    @classmethod
    def set_sectors(cls, payload, value=None, flip_bit=None, fix_crc=False, pad=False):
        """A mutation of the header's sector count of `payload`."""
        def mutate(d):
            at = cls.sectors_at(payload)
            old, = struct.unpack_from("<I", d, at)
            struct.pack_into("<I", d, at, value if value is not None else old ^ (1 << flip_bit))
            if fix_crc:
                struct.pack_into("<I", d, cls.crc_at, crc32c(bytes(d[cls.header_at:cls.crc_at])))
            if pad:  # whole 16 x 63 cylinders, as Bochs sizes a flat disk
                cylinder = 16 * 63 * cls.L["SECTOR_SIZE"]
                d.extend(bytes(-(-cls.PAD_BYTES // cylinder) * cylinder - len(d)))
            return d
        return mutate

    @classmethod
    def set_own_stage2_count(cls, value):
        """stage2's own sector count, in its first sector, with the sum
        adjustment changed along so that stage1 still runs that sector."""
        def mutate(d):
            L = cls.L
            first = L["STAGE2_LBA"] * L["SECTOR_SIZE"]
            at = first + L["STAGE2_SECTORS_OFFSET"]
            adjust_at = first + L["STAGE2_SUM_ADJUST_OFFSET"]
            old, = struct.unpack_from("<I", d, at)
            adjust, = struct.unpack_from("<I", d, adjust_at)
            struct.pack_into("<I", d, at, value)
            struct.pack_into("<I", d, adjust_at, (adjust + old - value) & 0xFFFFFFFF)
            return d
        return mutate

    CRC = ("bad-image", {"payload": "header", "reason": "crc"})

    @staticmethod
    def entry(name):
        return ("bad-image", {"payload": "header", "reason": "sectors", "entry": name})

    # name: (what is changed, (result code, {key: value} of the result line)).
    # ("sectors", payload, {set_sectors arguments}): the header's count;
    # ("own", count): stage2's own count in its first sector; ("listed", n):
    # the header's stage2 count and size n sectors short, CRC recomputed; ("mbr", count):
    # the count of sectors stage1 reads, in the MBR; ("inject", number): the
    # header's fault-injection case, CRC recomputed.
    CASES = {
        "stage2-sectors-bit2": (("sectors", "stage2", {"flip_bit": 2}), CRC),
        # 1 mod 512: stage2's first sector once shifted such a count to zero
        # dwords and skipped the check of its rest.
        "stage2-sectors-513": (("sectors", "stage2", {"value": 0x201}), CRC),
        "stage2-sectors-513-crc-fixed": (("sectors", "stage2", {"value": 0x201, "fix_crc": True}),
                                         entry.__func__("stage2")),
        "vmm-sectors-bit0": (("sectors", "vmm", {"flip_bit": 0}), CRC),
        # 214 -> 0x8000D6: bit 23 is lost by a shift left by 9.
        "vmm-sectors-bit23-4mib": (("sectors", "vmm", {"flip_bit": 23, "pad": True}), CRC),
        "vmm-sectors-bit23-4mib-crc-fixed": (
            ("sectors", "vmm", {"flip_bit": 23, "pad": True, "fix_crc": True}),
            entry.__func__("vmm")),
        "guest-sectors-bit4": (("sectors", "guest", {"flip_bit": 4}), CRC),
        # stage2's own count (its first sector's, under stage1's sum) beyond
        # its window: that sector refuses it; with no intact power-off code
        # known, it says so and halts.
        "stage2-own-count-513": (("own", 0x201),
                                 ("bad-image", {"payload": "stage2", "reason": "sum",
                                                "part": "rest"})),
        # The header's stage2 entry one sector short of stage2's own count,
        # its size within those sectors, the CRC valid: the shared check
        # passes it, stage2 holds it to the count its first sector carries.
        "stage2-listed-short-crc-fixed": (("listed", 1), entry.__func__("stage2")),
        # A fault-injection case no table lists, with a valid CRC.
        "inject-unknown-crc-fixed": (("inject", 0xFFFF),
                                     ("bad-image", {"payload": "header", "reason": "inject",
                                                    "found": "0x0000ffff"})),
        # stage1 masks the MBR's count to stage2's window: all ones reads
        # that window and no more, and the run goes on as usual.
        "mbr-count-ffff": (("mbr", 0xFFFF), ("ok", {})),
        # Too few: stage2's rest was not read, its first sector finds that
        # and reads the spare's rest, which reports it.
        "mbr-count-2": (("mbr", 2), ("bad-image", {"payload": "stage2", "reason": "sum",
                                                   "part": "rest"})),
    }

    @classmethod
    def models(cls, name):
        """Core 2 and Skylake where the header's CRC decides (the bit-by-bit
        and the SSE4.2 CRC32 path); the other cases do not depend on the CPU
        model: Skylake alone."""
        return cls.MODELS if cls.CASES[name][0][0] == "sectors" else ["corei7_skylake_x"]

    @classmethod
    def mutation(cls, name):
        change = cls.CASES[name][0]
        if change[0] == "own":
            return cls.set_own_stage2_count(change[1])
        if change[0] == "inject":
            def mutate(d):
                struct.pack_into("<H", d, cls.header_at + cls.L["ImageHeader_inject"], change[1])
                struct.pack_into("<I", d, cls.crc_at, crc32c(bytes(d[cls.header_at:cls.crc_at])))
                return d
            return mutate
        if change[0] == "listed":
            def mutate(d):
                at = cls.sectors_at(cls.L["PAYLOAD_STAGE2"])
                size_at = at - cls.L["PayloadEntry_sectors"] + cls.L["PayloadEntry_size"]
                sectors, = struct.unpack_from("<I", d, at)
                struct.pack_into("<I", d, at, sectors - change[1])
                struct.pack_into("<I", d, size_at, (sectors - change[1]) * cls.L["SECTOR_SIZE"])
                struct.pack_into("<I", d, cls.crc_at, crc32c(bytes(d[cls.header_at:cls.crc_at])))
                return d
            return mutate
        if change[0] == "mbr":
            def mutate(d):
                struct.pack_into("<H", d, cls.L["MBR_LOAD_SECTORS_OFFSET"], change[1])
                return d
            return mutate
        return cls.set_sectors(cls.L["PAYLOAD_" + change[1].upper()], **change[2])

    def check(self, name, model, bios):
        r = boots.result(self.requests[(name, model, bios)])
        what = f"{name} cpu={model} bios={bios}"
        self.assert_contract(r, what)
        _, (want_code, want_pairs) = self.CASES[name]
        code, pairs = r.result
        self.assertEqual(code, want_code, f"{what}\n{r.serial}")
        for key, value in want_pairs.items():
            self.assertEqual(pairs.get(key), value, f"{what}: {key}\n{r.serial}")
        if code == VMX_RESULT:
            self.assertTrue(r.powered_off, what)
            return
        self.assertIn(f"vmxboot: result={code} payload={want_pairs['payload']}", r.vga_text(),
                      f"{what}: the result on the screen")
        self.assertNotIn("vmxboot VMM", r.serial, what)
        if want_pairs["payload"] == "stage2":
            # Its own count out of range: the first sector halts (it has no
            # power-off); a short read: the spare's rest reports and powers off.
            if self.CASES[name][0][0] == "own":
                self.assertTrue(r.halted, what)
                self.assertIn("cannot power off", r.serial, what)
            else:
                self.assertTrue(r.powered_off, f"{what}\n{r.serial}")
                self.assertIn("Their spare copy", r.serial, what)
            return
        self.assertTrue(r.powered_off, f"{what}\n{r.serial}")
        if want_pairs["reason"] == "inject":
            return
        if want_pairs["reason"] == "crc":
            # The CRC stage2 computed is that of the header as damaged.
            with open(self.images[name], "rb") as f:
                f.seek(self.header_at)
                damaged = f.read(self.crc_at - self.header_at)
            self.assertEqual(pairs.get("found"), f"0x{crc32c(damaged):08x}", what)
            self.assertEqual(pairs.get("expected"), f"0x{self.original_crc:08x}", what)
        else:
            with open(self.images[name], "rb") as f:
                f.seek(self.sectors_at(self.L["PAYLOAD_" + want_pairs["entry"].upper()]))
                sectors, = struct.unpack("<I", f.read(4))
            self.assertEqual(pairs.get("found"), f"0x{sectors:08x}", what)


def _add_hostile_header_tests():
    for name in HostileHeader.CASES:
        for model in HostileHeader.models(name):
            for bios in BIOSES:
                test = f"test_{name.replace('-', '_')}_{model}_{bios}"
                setattr(HostileHeader, test,
                        lambda self, n=name, m=model, b=bios: self.check(n, m, b))


_add_hostile_header_tests()


def build_variant(path, *mkimage_args):
    """An image from the same binaries with other header options. A
    fault-injection case (`--inject CASE`) takes the injection build's VMM
    (build/inject/vmm.bin, `make inject-build`), and a guest case its own
    guest (build/inject/guest-<case>.bin), as `make image INJECT=` does."""
    b = BUILD
    vmm, guest = f"{b}/vmm.bin", f"{b}/guest.bin"
    args = list(mkimage_args)
    if "--inject" in args:
        case = args[args.index("--inject") + 1]
        if case != "none":
            vmm = f"{b}/inject/vmm.bin"
        if case.startswith("guest-"):
            guest = f"{b}/inject/{case}.bin"
        for binary in (vmm, guest):
            if not os.path.exists(binary):
                raise RuntimeError(f"{binary} is missing: run `make inject-build`")
    out = subprocess.run([os.path.join(b, "host", "mkimage"), "--stage1", f"{b}/stage1.bin",
                          "--stage2", f"{b}/stage2.bin", "--vmm", vmm, "--guest", guest,
                          "--out", path, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"mkimage {' '.join(args)}: {out.stderr.strip()}")
    return path


class OtherMachines(unittest.TestCase, RunContract):
    """Beyond the CPU matrix: the legacy Bochs BIOS (no ACPI tables: the run
    must say it cannot power off and halt), two CPUs, 32 MiB of RAM, too
    little RAM for the VMM (6 MiB) and just enough (7 MiB), A20 off when
    stage2 starts."""

    def test_legacy_bios_without_acpi_halts_and_says_so(self):
        r = boots.result(bochs(cpu="corei7_skylake_x", bios="bochs-legacy", timeout=120))
        self.assert_contract(r, "bochs-legacy")
        self.assertTrue(r.halted, r.serial)
        self.assertIn("vmxboot: cannot power off (ACPI: no RSDP; no ACPI tables; the PIIX4 "
                      "power management is disabled)", r.serial)
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)

    def test_two_cpus(self):
        r = boots.result(bochs(cpu="corei7_skylake_x", cpus=2, timeout=120))
        self.assert_contract(r, "2 CPUs")
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)

    def test_32_mib_of_ram(self):
        r = boots.result(bochs(cpu="core2_penryn_t9600", megs=32, timeout=120))
        self.assert_contract(r, "32 MiB")
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)

    # The end of the usable RAM above 1 MiB each BIOS reports with 6 MiB:
    # the Bochs BIOS keeps the last 64 KiB for its ACPI tables, SeaBIOS 8 KiB.
    USABLE_END_6_MIB = {"bochs": "0x5f0000", "seabios": "0x5fe000"}

    def test_6_mib_of_ram_is_too_little_for_the_vmm(self):
        # The VMM's memory (its image, page tables and chain mode's EPT) ends
        # at 0x612000: stage2 finds that the E820 map does not cover it
        # before it puts anything above 1 MiB (once it triple-faulted).
        L = layout()
        for bios, usable_end in self.USABLE_END_6_MIB.items():
            r = bochs_boot.boot(image(), cpu="corei7_skylake_x", bios=bios, megs=6, timeout=120)
            what = f"6 MiB, bios={bios}"
            self.assert_contract(r, what)
            self.assertTrue(r.powered_off, f"{what}\n{r.serial}")
            code, pairs = r.result
            self.assertEqual(code, "no-memory", f"{what}\n{r.serial}")
            self.assertEqual(pairs.get("need"), f"0x{L['VMM_ADDR']:x}-0x{L['VMM_MEMORY_END']:x}",
                             what)
            self.assertEqual(pairs.get("usable-end"), usable_end, f"{what}\n{r.serial}")
            self.assertIn(f"the E820 map has it only to {usable_end}", r.serial, what)
            self.assertIn("vmxboot: result=no-memory need=", r.vga_text(), f"{what}: VGA page")
            self.assertNotIn("vmxboot VMM", r.serial, what)

    def test_a20_off_when_stage2_starts_is_turned_on_through_port_92(self):
        # Both BIOSes leave A20 on. Here, stopped at stage2's first
        # instruction, the machine runs a few bytes put at 0x600 first:
        # in al, 0x92; and al, 0xFD; out 0x92, al (A20 off); jmp 0:stage2.
        L = layout()
        stage2 = L["STAGE2_ADDR"]
        code = bytes([0xE4, 0x92, 0x24, 0xFD, 0xE6, 0x92, 0xEA, stage2 & 0xFF, stage2 >> 8, 0, 0])
        first = [f"lb 0x{stage2:x}", "c"]
        first += [f"setpmem 0x{0x600 + i:x} 1 0x{b:02x}" for i, b in enumerate(code)]
        first += ["set $eip = 0x600", "d 1"]
        r = bochs_boot.boot(image(), cpu="corei7_skylake_x", debugger_first=first, timeout=120)
        self.assert_contract(r, "A20 off")
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)
        self.assertIn("boot: A20 on via port 0x92,", r.serial)

    def test_7_mib_of_ram_is_enough(self):
        # The smallest Bochs machine that holds the VMM's memory: the check
        # asks for no more than that.
        r = bochs_boot.boot(image(), cpu="corei7_skylake_x", megs=7, timeout=120)
        self.assert_contract(r, "7 MiB")
        self.assertEqual(r.result[0], VMX_RESULT, r.serial)


class Qemu(unittest.TestCase):
    """QEMU (TCG, SeaBIOS) has no VMX: the whole chain runs and ends no-vmx,
    from an IDE disk and from a USB stick on xHCI."""

    def check(self, usb):
        r = boots.result(boots.qemu(built_image(), usb=usb, timeout=120, press_key=True))
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
        lay = read_layout(built_image())
        with open(built_image(), "rb") as f:
            data = f.read()
        work = tempfile.mkdtemp(prefix="vmxboot-truncated-")
        try:
            names, requests = ("vmm", "guest"), []
            for name in names:
                lba, size = lay[name]
                cut = lba + -(-size // L["SECTOR_SIZE"]) // 2  # half of it on the disk
                path = os.path.join(work, f"cut-in-{name}.img")
                with open(path, "wb") as f:
                    f.write(data[:max(cut, lba + 1) * L["SECTOR_SIZE"]])
                requests.append(boots.qemu(path, timeout=120, press_key=True))
            for name, r in zip(names, boots.results(requests)):
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
        r = boots.result(boots.qemu(built_image(), timeout=120, press_key=True))
        self.assertEqual(r.problems(), [], r.serial)
        self.assertIsNotNone(r.seconds_after_key, r.serial)
        self.assertLess(r.seconds_after_key, 10, "the wait did not end at the key")


class EndOfRunWait(unittest.TestCase, RunContract):
    """Between the result line and the power-off the VMM waits END_WAIT
    seconds, timed by the PIT: in Bochs an emulated second is `ips`
    instructions (Bochs' 4 million here), so the wait shows in the tick
    count."""

    IPS = bochs_boot.BOCHS_IPS

    def waited_ticks(self, seconds):
        with tempfile.TemporaryDirectory() as work:
            path = build_variant(os.path.join(work, "wait.img"), "--end-wait", str(seconds))
            r = boots.result(bochs(path, cpu="corei7_skylake_x", timeout=120, ips=self.IPS))
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
        out = subprocess.run(["sfdisk", "-d", built_image()], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stderr.strip(), "", "sfdisk warned")
        entries = [l for l in out.stdout.splitlines() if " : start=" in l]
        self.assertEqual(len(entries), 1, out.stdout)
        self.assertIn("bootable", entries[0])
        self.assertRegex(entries[0], r"type=da\b")
        start = int(entries[0].split("start=")[1].split(",")[0])
        size = int(entries[0].split("size=")[1].split(",")[0])
        last_payload_sector = max(lba + (size_b + 511) // 512 - 1
                                  for lba, size_b in read_layout(built_image()).values())
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
            path = build_variant(os.path.join(work, "host-fault.img"), "--inject", "host-fault",
                                 "--end-wait", "0")
            r = boots.result(bochs(path, cpu="corei7_skylake_x", timeout=120))
        self.assert_contract(r, "host-fault")
        code, pairs = r.result
        self.assertEqual(code, "host-exception", r.serial)
        self.assertEqual(pairs.get("vector"), "14", r.serial)
        self.assertIn("VMM exception #PF page fault (vector 14)", r.serial)
        self.assertRegex(r.serial, r"cr2=0*100000000 ")
        # The error code decoded, and RIP by the VMM's own symbol table.
        self.assertIn("#PF: page not present, read access, supervisor mode", r.serial)
        # (In the hook that reads it, at the VMM's start: vmm/vmx/fault_cases.h.)
        self.assertRegex(r.serial, r"\n  at at_vmm_start\+0x[0-9a-f]+\n")
        self.assertEqual(pairs.get("at"), "at_vmm_start", r.serial)
        for reg in ("rax=", "rbx=", "r15=", "rip="):
            self.assertIn(reg, r.serial)


class FaultInjection(unittest.TestCase, RunContract):
    """`make image INJECT=<case>`: each case ends with its result, a one-line
    explanation (`inject: <case>: <what was injected>: <what happened>`)
    right before the result line, and the run contract. On one model of each
    set of the VMX features the demo's VMM uses (docs/bochs.md): Core 2 and
    bx_generic (no EPT, no VMX-preemption timer: the VMM's page directory
    and PIT ticks), Skylake (EPT and the timer) and Ice Lake (VMCS revision
    4). Unrestricted guest (from Arrandale on) is chain mode's, whose cases
    are tests/integration/test_chain.py's. The CPU matrix boots every model;
    here each case costs a boot per model."""

    MODELS = ["bx_generic", "core2_penryn_t9600", "corei7_skylake_x", "corei7_icelake_u"]
    # The COM1 floods measure bytes against the 2 s bound: at Bochs' own rate
    # the bound is long enough for the guest to pass its first 16 KiB string
    # (every other case boots at the harness's rate, bochs_boot.DEFAULT_IPS).
    IPS = {"guest-com1-flood": bochs_boot.BOCHS_IPS, "guest-ring0-flood": bochs_boot.BOCHS_IPS}
    # What ends a guest that floods exits: the deadline every exit checks,
    # or the timer if its exit comes first.
    TIMEOUT_BY = (r"(the deadline checked at every VM exit|the VMX-preemption timer|"
                  r"the PIT \(external-interrupt exits\))")
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
                           r"halted; 4 access\(es\) denied, its INS read 0xffffffff"),
        "guest-write-vmm": ("guest-exit", {"vmm-intact": "yes"},
                            r"the guest maps the VMM's 4 MiB through its CR3 and writes to "
                            r"0x400000: the guest was stopped by exit reason (ept-violation at "
                            r"gpa=0x400000|exception-or-nmi); the VMM is intact"),
        "guest-read-vmm": ("guest-exit", {"denied": "0"},
                           r"the guest maps the VMM's 4 MiB through its CR3 and sends 16 bytes "
                           r"from 0x400000 to COM1 with rep outsb: the guest was stopped by exit "
                           r"reason (io-instruction at gpa=0x400000|exception-or-nmi)"),
        # Hostile guests (issue 10): the VMM's time bound counts its exits'
        # time, its port policy is its own, and so is COM1's setup.
        "guest-com1-flood": ("guest-timeout", {"limit-ms": "2000", "denied": "0"},
                             r"the guest sends 16 KiB to COM1 with rep outsb, again and again: "
                             r"stopped after 2000 ms by " + TIMEOUT_BY),
        "guest-ring0-flood": ("guest-timeout", {"limit-ms": "2000", "denied": "0"},
                              r"the guest's ring-0 handler sends 16 KiB to COM1 with a 32-bit rep "
                              r"outsb, again and again: stopped after 2000 ms by " + TIMEOUT_BY),
        "guest-uart-setup": ("ok", {"denied": "0"},
                             r"the guest sets COM1's MCR to loopback, LCR to 7E1, divisor 12, IER "
                             r"0x0f, FCR 0: the guest went on and halted; COM1 kept LCR 0x03 MCR "
                             r"0x03 divisor 1, the guest read back LCR 0x1a MCR 0x10 divisor 12"),
        "guest-port-policy": ("ok", {"denied": "16"},
                              r"the guest reaches past COM1 and port 0xe9 in every size and "
                              r"direction \(a word at 0x3ff, a dword at 0x3fe, 0x21, 0xcf9, 0x92, "
                              r"0x402\): the guest went on and halted; 16 access\(es\) denied, its "
                              r"INS read 0xffffffff"),
        "guest-exit-then-spin": ("guest-timeout", {"limit-ms": "2000", "denied": "0"},
                                 r"the guest reads COM1's LSR 1000 times with interrupts off, "
                                 r"then loops forever: stopped after 2000 ms by " + TIMEOUT_BY),
        # Guest data read once (issue 10): the VMM checks its copy of the
        # header and uses nothing else afterwards.
        "guest-rewrite-header": ("ok", {"denied": "0"},
                                 r"the guest writes 22041 to its vga_row after the VMM's check: the "
                                 r"guest halted; its header says row 22041, the VMM used row (\d+) "
                                 r"\(its copy\)"),
        # Headers that passed the old 32-bit checks (mkimage damages them,
        # abi/guest_header.h): refused before VMXON, naming the field.
        "header-pd-wrap": ("guest-invalid", {"field": "page_directory_offset"},
                           r"the guest header has page_directory_offset 0xfffff000: the VMM "
                           r"refused it \(page_directory_offset\)"),
        "header-tss-wrap": ("guest-invalid", {"field": "tss_offset"},
                            r"the guest header has tss_offset 0xfffffff0: the VMM refused it "
                            r"\(tss_offset\)"),
        "header-pse36": ("guest-invalid", {"field": "pde0"},
                         r"the guest header has pde0 0x2087: the VMM refused it \(pde0\)"),
        "guest-pse36-outs": ("guest-exit", {"denied": "0"},
                             r"the guest maps 0x800000 by PSE-36 PDE 0x2087 \(at 4 GiB\), rep "
                             r"outsb's 16 bytes from 0x810000: the guest was stopped by exit "
                             r"reason (io-instruction at gpa=0x100010000|exception-or-nmi)"),
        # Everything the end of the run needs is found before the guest runs.
        "guest-fake-acpi": ("ok", {"denied": "0"},
                            r"the guest \(no EPT\) aims the EBDA pointer at its own ACPI tables, "
                            r"PM1a_CNT 0x80: the guest halted; a search now finds PM1a_CNT "
                            r"(0x80|0xb004), the VMM uses the 0xb004 it kept"),
    }

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="vmxboot-inject-")
        # Only the runs the selected tests need (`FaultInjection.test_x`).
        jobs = [(case, model) for case in cls.CASES for model in cls.MODELS
                if selected(cls, injection_test_name(case, model))]
        images = {case: build_variant(os.path.join(cls.work, case + ".img"), "--inject", case,
                                      "--end-wait", "0")
                  for case in {c for c, _ in jobs}}
        cls.requests = {(c, m): bochs(images[c], cpu=m, timeout=120,
                                      ips=cls.IPS.get(c, bochs_boot.DEFAULT_IPS))
                        for (c, m) in jobs}
        boots.start(cls.requests.values())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def check(self, case, model):
        r = boots.result(self.requests[(case, model)])
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
        # prints (from abi/layout.h): the results these tests want.
        wanted = {case: code for case, (code, _, _) in self.CASES.items()}
        wanted.update({"none": VMX_RESULT, "host-fault": "host-exception"})
        self.assertEqual(set(wanted), set(self.all_inject_cases()),
                         "every case in abi/layout.h has its test here")
        mkimage = os.path.join(BUILD, "host", "mkimage")
        for case, code in wanted.items():
            out = subprocess.run([mkimage, "--result-of", case], capture_output=True, text=True)
            self.assertEqual((out.returncode, out.stdout.strip()), (0, code), case)
        out = subprocess.run([mkimage, "--result-of", "no-such-case"], capture_output=True,
                             text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn("--result-of: no fault-injection case 'no-such-case'", out.stderr)

    @staticmethod
    def all_inject_cases():
        """The names in VMXBOOT_INJECT_CASES (abi/layout.h)."""
        with open(os.path.join(HERE, "..", "..", "abi", "layout.h")) as f:
            return re.findall(r'X\(INJECT_\w+, \d+, "([a-z0-9-]+)"', f.read())

    def also_bad_revision(self, r, model, pairs, what):
        stamped, cpu = (int(v, 16) for v in re.search(
            r"VMXON region stamped (0x[0-9a-f]+), not the CPU's (0x[0-9a-f]+)", r.serial).groups())
        self.assertEqual(cpu, bochs_models.MODELS[model].vmcs_revision, what)
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
        if not bochs_models.MODELS[model].preemption_timer:
            self.assertEqual(pairs.get("timer"), "pit", what)
            self.assertEqual(pairs.get("exits"), "40", what)
        else:
            self.assertEqual(pairs.get("timer"), "preemption", what)
            self.assertEqual(pairs.get("exits"), "1", what)
            self.assertIn("reason 52 preemption-timer", r.serial, what)

    def flooded_com1(self, r, model, pairs, what):
        """A guest sending 16 KiB strings to COM1 for ever: stopped at its time
        bound, its exits' time included, mid-string, its bytes paced by the
        VMM's baud rate (115200 8N1: 11520 bytes a second at most)."""
        limit, elapsed = int(pairs["limit-ms"]), int(pairs["elapsed-ms"])
        self.assertGreaterEqual(elapsed, limit, what)
        self.assertLessEqual(elapsed, limit + 50, f"{what}: the bound plus a small margin")
        timer = "preemption" if bochs_models.MODELS[model].preemption_timer else "pit"
        self.assertEqual(pairs["timer"], timer, what)
        sent = int(pairs["com1-bytes"])
        self.assertLessEqual(sent, elapsed * 11520 // 1000 + 64, f"{what}: faster than the baud")
        self.assertGreater(sent, 16384, f"{what}: past the first 16 KiB string")
        self.assertNotEqual(sent % 16384, 0, f"{what}: stopped in mid-string")
        lines = re.findall(r"(?m)^guest\| (flood: [^\r\n]*)", r.serial)
        self.assertGreater(len(lines), 200, what)
        self.assertTrue(all(l.startswith(lines[0][:len(l)]) for l in lines), what)
        received = sum(len(l) + 2 for l in lines)  # CR LF after each
        self.assertLess(abs(received - sent), 64, f"{what}: COM1 shows what was sent")
        self.assertIn("vmx: the guest used up its 2000 ms, its exits' time included", r.serial,
                      what)

    also_guest_com1_flood = flooded_com1
    also_guest_ring0_flood = flooded_com1

    def also_guest_exit_then_spin(self, r, model, pairs, what):
        # After its exits the guest is still bounded: by the PIT's ticks
        # (Core 2) or the VMX-preemption timer, within the bound plus the
        # timer's refresh interval (1% of the limit).
        limit, elapsed = int(pairs["limit-ms"]), int(pairs["elapsed-ms"])
        self.assertGreaterEqual(elapsed, limit - 50, what)
        self.assertLessEqual(elapsed, limit + limit // 100 + 5, what)
        self.assertRegex(r.serial, r"vmx: \d+ VM exits: .*io-instruction 1000\b", what)
        if not bochs_models.MODELS[model].preemption_timer:
            self.assertIn("by the PIT (external-interrupt exits)", r.serial, what)
        else:
            self.assertIn("by the VMX-preemption timer", r.serial, what)

    def also_guest_uart_setup(self, r, model, pairs, what):
        # The guest read back what it wrote; the UART kept the VMM's setup,
        # so the guest's lines and the VMM's (result included) got out.
        self.assertIn("guest| COM1 as the guest set it: MCR=0010  LCR=001A  IER=000F  "
                      "divisor=000C", r.serial, what)
        self.assertRegex(r.serial, r"(?m)^guest\| Hello from Guest VM \(virtual-8086\)", what)
        self.assertIn("vmx: COM1 after the guest: LCR 0x03 MCR 0x03 IER 0x00 divisor 1", r.serial,
                      what)

    def also_guest_port_policy(self, r, model, pairs, what):
        for line in ("out 0x3ff, 2 byte(s): dropped",
                     "in 0x3ff, 2 byte(s): the guest reads all ones",
                     "out 0x3fe, 4 byte(s): dropped",
                     "in 0x3fe, 4 byte(s): the guest reads all ones",
                     "out 0x3f8, 2 byte(s): dropped",
                     "in 0x3f8, 4 byte(s): the guest reads all ones",
                     "out 0x3fd, 1 byte(s): dropped",
                     "in 0xe9, 1 byte(s): the guest reads all ones",
                     "out 0xe9, 2 byte(s): dropped",
                     "out 0x21, 1 byte(s): dropped",
                     "outs 0xcf9, 2 byte(s) x2: dropped",
                     "outs 0x92, 4 byte(s) x2: dropped",
                     "ins 0x402, 2 byte(s) x2: the guest reads all ones",
                     "outs 0x3ff, 2 byte(s) x1: dropped",
                     "ins 0x3fe, 4 byte(s) x1: the guest reads all ones",
                     "in 0x400, 1 byte(s): the guest reads all ones"):
            self.assertIn("vmx: denied: " + line + "\n", r.serial, what)
        self.assertRegex(r.serial, r"(?m)^guest\| Hello from Guest VM \(virtual-8086\)", what)
        self.assertIn("vmx: COM1 after the guest: LCR 0x03 MCR 0x03 IER 0x00 divisor 1", r.serial,
                      what)

    def also_guest_bad_port(self, r, model, pairs, what):
        for line in ("vmx: denied: in 0x64, 1 byte(s): the guest reads all ones",
                     "vmx: denied: out 0x70, 1 byte(s): dropped",
                     "vmx: denied: in 0xcf8, 4 byte(s): the guest reads all ones",
                     "vmx: denied: ins 0x60, 1 byte(s) x4: the guest reads all ones"):
            self.assertIn(line, r.serial, what)
        # The guest went on: its line, then its HLT.
        self.assertRegex(r.serial, r"(?m)^guest\| Hello from Guest VM \(virtual-8086\)", what)

    def stopped_mapping_the_vmm(self, r, model, pairs, what, ept_reason, ept_line,
                                gpa="0x400000"):
        """Both guest-*-vmm cases map the VMM's 4 MiB through the guest's CR3.
        Without EPT the page directory is out of the guest's reach: that
        write page-faults (an exception exit, #PF). With EPT the mapping is
        the guest's own; what it then touches stops it at 0x400000."""
        if not bochs_models.MODELS[model].ept:
            self.assertEqual(pairs.get("reason"), "exception-or-nmi", what)
            self.assertIn("interruption: vector 14 #PF", r.serial, what)
        else:
            self.assertEqual(pairs.get("reason"), ept_reason, what)
            self.assertEqual(pairs.get("gpa"), gpa, what)
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


    def also_guest_rewrite_header(self, r, model, pairs, what):
        # The row the VMM read its line from is the one it checked and gave
        # the guest, on the screen, with the guest's line in it: not 22041
        # rows down in the VMM's own image.
        row = int(re.search(r"the VMM used row (\d+)", r.serial).group(1))
        self.assertLess(row, 25, what)
        self.assertRegex(r.serial, rf"(?m)^vmx: guest's VGA row {row}: Hello from Guest VM "
                                   r"\(virtual-8086\)", what)
        # (The VMM's lines after it scroll the screen: the guest's line is
        # still on it, higher up.)
        self.assertTrue(any(l.startswith("Hello from Guest VM") for l in r.vga_lines), what)

    def refused_header(self, r, model, pairs, what):
        """Refused from the VMM's copy, before VMXON: the guest never ran."""
        self.assertRegex(r.serial, rf"(?m)^vmx: guest header: {pairs['field']}: [a-zA-Z]", what)
        self.assertNotIn("VMXON, VMCLEAR, VMPTRLD done", r.serial, what)
        self.assertNotIn("VMLAUNCH", r.serial, what)
        self.assertNotIn("host-exception", r.serial, what)
        self.assertTrue(r.powered_off, what)

    also_header_pd_wrap = refused_header
    also_header_tss_wrap = refused_header
    also_header_pse36 = refused_header

    def also_guest_fake_acpi(self, r, model, pairs, what):
        # Without EPT the guest's tables are in place when the run ends (a
        # search then would take its port 0x80 and not power off); the VMM
        # powers off through the port it kept. With EPT the guest cannot
        # reach 0x40e and leaves it.
        planted = re.search(r"a search now finds PM1a_CNT (0x[0-9a-f]+)", r.serial).group(1)
        self.assertEqual(planted, "0xb004" if bochs_models.MODELS[model].ept else "0x80", what)
        self.assertTrue(r.powered_off, what)

    def also_guest_pse36_outs(self, r, model, pairs, what):
        # The VMM walked the PSE-36 page as the CPU would (to 4 GiB), so
        # not one byte of the guest's own header ("VGST" at 0x10000, where
        # the page would be without bits 20:13) went out on COM1.
        self.assertNotIn("VGST", r.serial, what)
        self.stopped_mapping_the_vmm(r, model, pairs, what, "io-instruction",
                                     "stopped: outs source is not the guest's memory",
                                     gpa="0x100010000")


def injection_test_name(case, model):
    return f"test_{case.replace('-', '_')}_{model}"


def _add_injection_tests():
    for case in FaultInjection.CASES:
        for model in FaultInjection.MODELS:
            setattr(FaultInjection, injection_test_name(case, model),
                    lambda self, c=case, m=model: self.check(c, m))


_add_injection_tests()


def crc32c(data):
    """CRC-32C, bit by bit (the image's checksum; common/crc32c.h)."""
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


def configure(build):
    """The build to test (parallel_unittest.main_for): its image, and the
    copy without an end-of-run wait the Bochs tests boot."""
    global BUILD
    BUILD = build
    parallel_unittest.require(build, ["vmxboot.img"], "run `make image` first")
    os.makedirs(os.path.dirname(image()), exist_ok=True)
    build_variant(image(), "--end-wait", "0")


def main():
    sys.exit(parallel_unittest.main_for([sys.modules[__name__]]))


if __name__ == "__main__":
    main()
