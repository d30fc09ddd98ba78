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
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import bochs_boot  # noqa: E402

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
# What the VMX models end with until the VMX demo lands in the VMM.
VMX_RESULT = os.environ.get("VMXBOOT_VMX_RESULT", "vmx-available")

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
        if EXPECTED[model] == VMX_RESULT and VMX_RESULT == "vmx-available":
            # Feature control as each BIOS leaves it (shared/notes/bochs.md).
            want = "0x5" if bios == "bochs" else "0x0"
            self.assertEqual(r.result[1].get("feature-control"), want, what)


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

    def test_flipped_byte_in_each_payload_is_bad_image(self):
        for name in ("vmm", "guest"):
            lba, size = self.layout[name]
            path = self.variant(f"flip-{name}", lambda d, o=lba * 512 + size // 2: flip(d, o))
            r = self.boot(path)
            self.assert_contract(r, f"flipped {name}")
            code, pairs = r.result
            self.assertEqual(code, "bad-image", r.serial)
            self.assertEqual(pairs.get("payload"), name, r.serial)
            self.assertEqual(pairs.get("reason"), "crc", r.serial)

    def test_flipped_byte_in_header_is_bad_image(self):
        # The header's reserved words, which nothing reads but the CRC.
        L = layout()
        at = L["HEADER_LBA"] * L["SECTOR_SIZE"] + L["ImageHeader_payloads"] - 4
        path = self.variant("flip-header", lambda d: flip(d, at))
        r = self.boot(path)
        self.assert_contract(r, "flipped header")
        self.assertEqual(r.result[0], "bad-image", r.serial)
        self.assertEqual(r.result[1].get("payload"), "header", r.serial)

    def test_vmm_beyond_the_end_of_the_disk_is_a_disk_error(self):
        # A header (with a valid CRC) that places the VMM past the last sector:
        # what a truncated copy of a larger image looks like to the BIOS.
        L = layout()
        header = L["HEADER_LBA"] * L["SECTOR_SIZE"]
        vmm_entry = header + L["ImageHeader_payloads"] + L["PAYLOAD_VMM"] * L["SIZEOF_PayloadEntry"]
        crc_at = header + L["ImageHeader_header_crc32"]

        def move_vmm_past_the_end(d):
            sectors = len(d) // L["SECTOR_SIZE"]
            struct.pack_into("<I", d, vmm_entry + L["PayloadEntry_first_lba"], sectors + 100)
            struct.pack_into("<I", d, crc_at, zlib.crc32(bytes(d[header:crc_at])))
            return d
        path = self.variant("vmm-past-end", move_vmm_past_the_end)
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
        for reg in ("rax=", "rbx=", "r15=", "rip="):
            self.assertIn(reg, r.serial)


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
