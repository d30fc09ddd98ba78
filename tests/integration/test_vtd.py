#!/usr/bin/env python3
"""Integration tests of DMA remapping (docs/platform.md "DMA remapping"), in
QEMU: q35 with `-device intel-iommu` (Intel VT-d under TCG) and `-device
edu` (a PCI DMA engine). QEMU has no VMX, so the DMA probe build
(`make dma-probe-build`: build/vmxboot-dma-probe.img) programs DMA
remapping before the VMX check, as the main line does before VMXON, and
then aims the edu device at ordinary memory, below 4 GiB and above it where
the machine has RAM there (the bytes must arrive), and at the VMM's memory
and its remapping tables (blocked, the VMM's bytes as they were, a fault
recorded by the unit for each, printed), and ends the run with its own
result. QEMU's own messages say the same from its side.

Needs build/vmxboot-dma-probe.img (make dma-probe-build, or make
integration) and build/vmxboot.img.
Run: python3 tests/integration/test_vtd.py --build build [unittest args]
"""
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import boots  # noqa: E402
import parallel_unittest  # noqa: E402

BUILD = "build"
# The edu device's DMA addresses are masked to 28 bits unless dma_mask says
# more: all 64, for the RAM above 4 GiB.
EDU = "edu,dma_mask=0xffffffffffffffff"
VTD = ("intel-iommu", EDU)
TIMEOUT = 120
# q35 puts 2 GiB below 4 GiB once it has 2.75 GiB or more, the rest above.
# 5123 MiB: 3075 MiB above 4 GiB, to 7 GiB + 3 MiB: the unit's 1 GiB
# pages, a 2 MiB page and 4 KiB pages at the end (QEMU allocates the RAM
# as it is touched).
HIGH_MEGS = 5123
LOW_MEGS_Q35 = 2048
# The probe's line for each fault record it reads and clears.
FAULT_RE = re.compile(r"^dma-probe:   fault record (\d+) of unit (\d+): (read|write) at (0x[0-9a-f]+)"
                      r" from 00:([0-9a-f]{2})\.0, reason (0x[0-9a-f]+) \(([a-z -]+)\)$", re.M)


def probe_image():
    return os.path.join(BUILD, "vmxboot-dma-probe.img")


def probe(devices=VTD, megs=HIGH_MEGS):
    return boots.qemu(probe_image(), machine="q35", devices=devices, megs=megs, timeout=TIMEOUT)


def high_ram_end(megs):
    """Where q35's RAM above 4 GiB ends with MEGS MiB."""
    return (1 << 32) + ((megs - LOW_MEGS_Q35) << 20)


def layout_value(name):
    with open(os.path.join(BUILD, "gen", "layout.inc")) as f:
        return int(re.search(rf"^%define {name} (\S+)$", f.read(), re.M).group(1), 0)


class DmaProbe(unittest.TestCase):
    """The probe on QEMU's VT-d unit, as QEMU builds it by default and with
    other capabilities: every DMA into the VMM's memory blocked and
    recorded, every other one arriving."""

    @classmethod
    def setUpClass(cls):
        # All at once, one emulator per core.
        boots.start([probe(), probe(("intel-iommu,aw-bits=48,caching-mode=on", EDU), megs=6144),
                     probe(("edu",)), probe(megs=64)])

    def blocked(self, r, what, high_ram="arrived"):
        self.assertEqual(r.problems(), [], what + "\n" + r.serial)
        code, pairs = r.result
        self.assertEqual(code, "dma-blocked", what + "\n" + r.serial)
        self.assertEqual(pairs, {"edu": pairs.get("edu"), "ram": "arrived", "high-ram": high_ram,
                                 "vmm": "intact", "tables": "intact", "vmm-read": "blocked",
                                 "faults": "3"},
                         what)
        device = int(pairs["edu"][3:5], 16)
        vmm = layout_value("VMM_ADDR")
        root = int(re.search(r"^dma-probe: edu buffer -> the root table (0x[0-9a-f]+): blocked",
                             r.serial, re.M).group(1), 16)
        # The root table lies in the VMM's memory, page-aligned, past its start.
        self.assertTrue(vmm < root < layout_value("VMM_MEMORY_END") and root % 4096 == 0, hex(root))
        faults = [(m.group(3), int(m.group(4), 16), int(m.group(5), 16), int(m.group(6), 16),
                   m.group(7)) for m in FAULT_RE.finditer(r.serial)]
        self.assertEqual(faults, [
            ("write", vmm, device, 0x5, "write to a page without write access"),
            ("write", root, device, 0x5, "write to a page without write access"),
            ("read", vmm, device, 0x6, "read of a page without read access"),
        ], what + "\n" + r.serial)
        for line in ("dma-probe: RAM 0x20000 -> edu buffer -> RAM 0x21000: arrived",
                     f"dma-probe: edu buffer -> the VMM {vmm:#x}: blocked, its bytes as they were",
                     "blocked, the device did not get the VMM's bytes",
                     "vtd: unit 0: translation on (3-level walk, domain 1;",
                     "vtd: DMAR hidden from the guest: 1 entry taken out of the RSDT, 0 of the XSDT\n"):
            self.assertIn(line, r.serial, what)
        # QEMU's own account (it reports the first such error only): its
        # unit refused the edu device's write to the VMM's first page.
        self.assertRegex(r.log, rf"detected slpte permission error \(iova={vmm:#x},.* write=1", what)

    def reached_high_ram(self, r, megs, tables_used):
        """The edu device wrote the first and the last bytes of the RAM above
        4 GiB (the CPU found them) and read back what the CPU put there
        instead; the VMM said how far devices reach."""
        end = high_ram_end(megs)
        self.assertIn(f"vtd: RAM above 4 GiB in the E820 map (usable, ACPI, NVS): {megs - LOW_MEGS_Q35} MiB"
                      f" in 1 range(s), 0x100000000-{end - 1:#x}\n", r.serial)
        self.assertIn(f"vtd: devices reach the RAM above 4 GiB, all of it, to {end - 1:#x} (1 GiB"
                      f" pages, {tables_used} of 128 spare tables)\n", r.serial)
        for at in (1 << 32, end - 64):
            self.assertIn(f"dma-probe: edu buffer -> RAM {at:#x} above 4 GiB: arrived; RAM {at:#x}"
                          " -> edu buffer -> RAM 0x23000: arrived\n", r.serial)

    def test_qemus_unit_blocks_a_device_aimed_at_the_vmm(self):
        r = boots.result(probe())
        self.blocked(r, "intel-iommu")
        # 7 GiB + 3 MiB: a page directory and a page table for its last GiB.
        self.reached_high_ram(r, HIGH_MEGS, 2)
        # QEMU's DMAR, as the VMM reports it: one unit at 0xfed90000 that
        # lists its devices, 3-level walks, 2 MiB and 1 GiB pages.
        self.assertIn("vtd: DMAR at ", r.serial)
        self.assertIn("host address width 39, 1 remapping unit(s), 0 RMRR(s)", r.serial)
        self.assertRegex(r.serial, r"vtd: unit 0 at 0xfed90000 \(4 KiB of registers\), VT-d 1\.0, "
                                   r"segment 0: its scope, \d+ PCI endpoint, 1 I/O APIC\n")
        self.assertIn("walks 3, 2 MiB pages yes, 1 GiB pages yes, address width 39, caching mode off",
                      r.serial)
        self.assertIn("vtd: no unit covers every PCI device", r.serial)

    def test_a_unit_with_four_level_walks_and_caching_mode(self):
        # aw-bits=48 offers 3- and 4-level walks (the VMM takes the fewer);
        # in caching mode the unit may cache not-present entries, and domain
        # 0 is its own: the VMM's domain is 1, invalidated before translation.
        r = boots.result(probe(("intel-iommu,aw-bits=48,caching-mode=on", EDU), megs=6144))
        self.blocked(r, "intel-iommu,aw-bits=48,caching-mode=on")
        self.assertIn("walks 3 4, 2 MiB pages yes, 1 GiB pages yes, address width 48, caching mode on",
                      r.serial)
        # 4-8 GiB: four 1 GiB pages, no table more.
        self.reached_high_ram(r, 6144, 0)

    def test_without_ram_above_4gib_the_probe_tries_none_there(self):
        r = boots.result(probe(megs=64))
        self.blocked(r, "intel-iommu, 64 MiB", high_ram="none")
        self.assertIn("vtd: no RAM above 4 GiB in the E820 map\n", r.serial)
        self.assertIn("dma-probe: no RAM above 4 GiB: no DMA there tried\n", r.serial)
        self.assertNotIn("vtd: devices reach the RAM above 4 GiB", r.serial)

    def test_without_a_remapping_unit_the_probe_says_it_cannot_show_anything(self):
        r = boots.result(probe(("edu",)))
        self.assertEqual(r.problems(), [], r.serial)
        self.assertEqual(r.result, ("dma-probe-failed", {"step": "remapping"}), r.serial)
        self.assertIn("vtd: no DMAR in the ACPI tables: no DMA remapping, bus masters can reach"
                      " the VMM's memory\n", r.serial)


class NormalImage(unittest.TestCase):
    """The image `make image` builds, on the same machine: no VMX under TCG,
    so the run ends no-vmx before the main line reaches DMA remapping."""

    def test_q35_with_intel_iommu_ends_no_vmx(self):
        r = boots.result(boots.qemu(os.path.join(BUILD, "vmxboot.img"), machine="q35",
                                    devices=VTD, timeout=TIMEOUT, press_key=True))
        self.assertEqual(r.problems(), [], r.serial)
        self.assertEqual(r.result[0], "no-vmx", r.serial)
        self.assertNotIn("vtd:", r.serial)
        self.assertNotIn("dma-probe", r.serial)


def configure(build):
    global BUILD
    BUILD = build
    parallel_unittest.require(build, ["vmxboot-dma-probe.img", "vmxboot.img", "gen/layout.inc"],
                              "run `make dma-probe-build image` first")


def main():
    sys.exit(parallel_unittest.main_for([sys.modules[__name__]]))


if __name__ == "__main__":
    main()
