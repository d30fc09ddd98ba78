#!/usr/bin/env python3
"""Integration tests of PCI configuration space and SMM under chain mode
(docs/platform.md, "PCI configuration space and SMM"): hostile boot
sectors of our own, booted as the chain guest (BIOS drive 0x81) under the
real image in Bochs, each a path past the EPT or to a silent end that the
VMM must close:

  pci-bars      moves the NIC's memory BAR (an e1000, 128 KiB) onto the VMM
                (0x400000) with a dword, and the VGA card's expansion ROM
                BAR there with a word at 0xCFE (Bochs decodes a ROM BAR
                whether enabled or not): both refused; it reads them back;
  pm-move       moves the PIIX4's PM block over COM1 (refused), then to
                0x4000 (followed), reads PMBA back each time, and powers off
                at the new PM1a_CNT, 0x4004: the VMM sees it
                (guest-end=poweroff) and powers off there itself;
  pm-move-halt  moves the PM block to 0x4000 and halts: the VMM's own
                power-off follows the block (at the old port nothing would
                decode it);
  pm-move-onto  moves the PM block to 0xB040, where Bochs' ACPI debug port
                (0xB044) keeps the block's PM1a_CNT from decoding, powers off
                there (nothing happens, but the VMM sees it) and halts: the
                VMM's own power-off there does nothing too, and it puts the
                block back where firmware had it to power off;
  smram         writes D_OPEN | G_SMRAME to the i440FX's SMRAM control and
                a word at 0xA8000, where the SMI handler of an SMBASE at
                0xA0000 lies: the register reads locked, the word does not
                read back;
  smi-enables   sets the PIIX4's APMC_EN (an SMI at each write to 0xB2) and
                GLBCTL.SMI_EN: both read back clear.

Each prints one line on COM1 (the VMM marks it `guest| `) and, but for
pm-move-halt, powers off as any guest does; the VMM's report says what it
refused or kept. Every run must end with the VMM's own result line and a
power-off (the run contract). Against a VMM without the mediation, each
sector ends otherwise: the VMM's memory hidden behind a device (a
crash), a power-off without a result line, a run that cannot power off,
or values read back that the guest should not have.

Run: python3 tests/integration/test_pci.py --build build [unittest args]
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import boots  # noqa: E402
import parallel_unittest  # noqa: E402
sys.path.insert(0, HERE)
import test_chain  # noqa: E402

# corei7_skylake_x and another model with unrestricted guest, of another
# VMCS revision (docs/bochs.md).
MODELS = ("corei7_skylake_x", "corei7_icelake_u")
BIOSES = ("bochs", "seabios")
BOOT_TIMEOUT = 240
# An e1000 beside the PCI VGA card, for a memory BAR small enough to lie on
# the VMM (the VGA's 16 MiB one could only be put at 0, unassigned). Both
# BIOSes place it at 0:3.0, the VGA card at 0:2.0.
BAR_DEVICES = ("pci: enabled=1, chipset=i440fx, slot1=pcivga, slot2=e1000",
               "e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=null")

# The sectors' helpers (NASM): configuration dwords through 0xCF8/0xCFC
# (EAX the CONFIG_ADDRESS, ECX the value), a line on COM1, a number as 8
# hex digits and a space, the ACPI power-off at the port in DX (SLP_TYP 0,
# both BIOSes' S5), then a halt.
HELPERS = """
    cfg_read:
    mov dx, 0xCF8
    out dx, eax
    mov dl, 0xFC
    in eax, dx
    ret
    cfg_write:
    mov dx, 0xCF8
    out dx, eax
    mov dl, 0xFC
    mov eax, ecx
    out dx, eax
    ret
    print:
    lodsb
    test al, al
    jz printed
    call putc
    jmp print
    printed:
    ret
    hex32:
    mov cx, 8
    hex_digit:
    rol eax, 4
    push eax
    and al, 15
    cmp al, 10
    sbb al, 0x69
    das
    call putc
    pop eax
    loop hex_digit
    mov al, ' '
    putc:
    push ax
    mov dx, 0x3FD
    putc_wait:
    in al, dx
    test al, 0x20
    jz putc_wait
    pop ax
    mov dl, 0xF8
    out dx, al
    ret
    power_off:
    mov si, newline
    call print
    pop dx
    mov ax, 0x2000
    out dx, ax
    cli
    hlt
    newline: db 13, 10, 0
"""


def sector(label, body, power_off=0xB004):
    """A boot sector of ours (NASM): interrupts off, DS = 0, LABEL on COM1,
    BODY, the end of its line, power-off at POWER_OFF (None: none)."""
    end = f"push word 0x{power_off:X}\njmp power_off" if power_off else "cli\nhlt"
    return test_chain.SECTOR_START + f"""
        mov ss, ax
        mov sp, 0x7C00
        mov si, label
        call print
        {body}
        {end}
        label: db "{label}: ", 0
    """ + HELPERS


SECTORS = {
    # The e1000's BAR0 (0:3.0, 0x10) by a dword, the VGA's ROM BAR (0:2.0,
    # 0x30) by a word at 0xCFE: each read before and after.
    "pci-bars": sector("pci-bars", """
        mov eax, 0x80001810
        call cfg_read
        call hex32
        mov eax, 0x80001810
        mov ecx, 0x00400000
        call cfg_write
        mov eax, 0x80001810
        call cfg_read
        call hex32
        mov eax, 0x80001030
        call cfg_read
        call hex32
        mov eax, 0x80001030
        mov dx, 0xCF8
        out dx, eax
        mov dl, 0xFE
        mov ax, 0x0040
        out dx, ax
        mov eax, 0x80001030
        call cfg_read
        call hex32
    """),
    # PMBA (0:1.3, 0x40) over COM1's 0x3C0-0x3FF, then at 0x4000.
    "pm-move": sector("pm-move", """
        mov eax, 0x80000B40
        mov ecx, 0x3C1
        call cfg_write
        mov eax, 0x80000B40
        call cfg_read
        call hex32
        mov eax, 0x80000B40
        mov ecx, 0x4001
        call cfg_write
        mov eax, 0x80000B40
        call cfg_read
        call hex32
    """, power_off=0x4004),
    "pm-move-halt": sector("pm-move-halt", """
        mov eax, 0x80000B40
        mov ecx, 0x4001
        call cfg_write
        mov si, newline
        call print
    """, power_off=None),
    "pm-move-onto": sector("pm-move-onto", """
        mov eax, 0x80000B40
        mov ecx, 0xB041
        call cfg_write
        mov si, newline
        call print
        mov dx, 0xB044
        mov ax, 0x2000
        out dx, ax
    """, power_off=None),
    # SMRAM control (0:0.0, 0x72, a byte at 0xCFE): D_OPEN, G_SMRAME, C_BASE
    # 0xA0000; then a word at 0xA8000 read back.
    "smram": sector("smram", """
        mov eax, 0x80000070
        mov dx, 0xCF8
        out dx, eax
        mov dl, 0xFE
        mov al, 0x4A
        out dx, al
        in al, dx
        movzx eax, al
        call hex32
        mov ax, 0xA800
        mov es, ax
        mov word [es:0], 0x55AA
        movzx eax, word [es:0]
        call hex32
    """),
    # DEVACTB (0:1.3, 0x58) with APMC_EN, GLBCTL (PM block + 0x28) with
    # SMI_EN; each read back.
    "smi-enables": sector("smi-enables", """
        mov eax, 0x80000B58
        mov ecx, 0x02000000
        call cfg_write
        mov eax, 0x80000B58
        call cfg_read
        call hex32
        mov dx, 0xB028
        mov eax, 1
        out dx, eax
        in eax, dx
        call hex32
    """),
}


class PciMediation(test_chain.SectorBoots):
    SECTORS, PREFIX = SECTORS, "vmxboot-pci-test-"
    RUNS = [(k, m, b) for k in SECTORS for m in MODELS for b in BIOSES]

    @classmethod
    def request(cls, key):
        kind, model, bios = key
        return boots.bochs(cls.image, cpu=model, bios=bios, timeout=BOOT_TIMEOUT,
                           disk2=cls.disks[kind],
                           extra_lines=BAR_DEVICES if kind == "pci-bars" else ())

    def run_of(self, kind, model, bios, end):
        """The run, its contract kept and ended as END by the guest, and the
        sector's numbers."""
        r = boots.result(self.request((kind, model, bios)))
        what = f"{kind}/{model}/{bios}"
        self.assertEqual(r.problems(), [], f"{what}: the run contract\n--- COM1 ---\n{r.serial}")
        code, pairs = r.result
        self.assertEqual((code, pairs.get("guest"), pairs.get("guest-end")), ("ok", "chain", end),
                         f"{what}\n--- COM1 ---\n{r.serial}")
        line = re.search(rf"(?m)^guest\| {kind}: ((?:[0-9A-F]{{8}} )*)\r?$", r.serial)
        self.assertIsNotNone(line, f"{what}: the sector's line\n{r.serial}")
        numbers = [int(n, 16) for n in line.group(1).split()]
        # SMRAM locked, the PIIX4's SMIs closed, before the guest ran.
        self.assertRegex(r.serial, r"vmx: PCI: host bridge 8086:1237, SMRAM control 0x(0a|02) -> "
                                   r"0x(1a|12) \(closed and locked\)", what)
        self.assertIn("vmx: PCI: PIIX4 PM 0:1.3, block 0xb000 (the VMM's power-off); its SMIs "
                      "closed", r.serial, what)
        return r, what, numbers

    def check_pci_bars(self, model, bios):
        r, what, (bar, bar_after, rom, rom_after) = self.run_of("pci-bars", model, bios, "poweroff")
        self.assertEqual(bar_after, bar, f"{what}: the memory BAR moved")
        self.assertEqual(rom_after, rom, f"{what}: the ROM BAR moved")
        self.assertNotEqual(bar & 0xFFFE0000, 0, f"{what}: the BIOS placed the BAR")
        self.assertIn("vmx:     refused 0:3.0 +0x10 (4 bytes) 0x400000: memory BAR over the VMM's "
                      "memory or the low memory it uses", r.serial, what)
        self.assertIn("vmx:     refused 0:2.0 +0x32 (2 bytes) 0x40: expansion ROM BAR over the "
                      "VMM's memory or the low memory it uses", r.serial, what)
        self.assertRegex(r.serial, r"vmx:   PCI configuration writes: 2 \(2 refused, 0 with bits "
                                   r"the VMM keeps, 0 block moves followed\)", what)

    def check_pm_move(self, model, bios):
        r, what, numbers = self.run_of("pm-move", model, bios, "poweroff")
        self.assertEqual(numbers, [0xB001, 0x4001], f"{what}: PMBA after each write")
        self.assertIn("vmx:     refused 0:1.3 +0x40 (4 bytes) 0x3c1: PIIX4 PM block over a port "
                      "the VMM keeps", r.serial, what)
        # The guest's SLP_EN at the new PM1a_CNT, seen; the VMM's power-off
        # there too (the run contract: it powered off).
        self.assertIn("vmx: guest end poweroff: 0x2000 0x0", r.serial, what)
        self.assertIn("vmx:   PIIX4 PM block at 0x4000 after the guest", r.serial, what)
        self.assertRegex(r.serial, r"1 block moves followed", what)

    def check_pm_move_halt(self, model, bios):
        r, what, _ = self.run_of("pm-move-halt", model, bios, "halt")
        self.assertIn("vmx:   PIIX4 PM block at 0x4000 after the guest", r.serial, what)

    def check_pm_move_onto(self, model, bios):
        # The power-off at 0xB044 did nothing in Bochs; the VMM's own there
        # neither: it powered off with the block back at 0xB000 (the run
        # contract holds).
        r, what, _ = self.run_of("pm-move-onto", model, bios, "poweroff")
        self.assertIn("vmx:   PIIX4 PM block at 0xb040 after the guest", r.serial, what)

    def check_smram(self, model, bios):
        r, what, (smram, window) = self.run_of("smram", model, bios, "poweroff")
        # The Bochs BIOS set SMRAM up (0x0A), SeaBIOS did not (0x02): locked either way.
        self.assertEqual(smram, 0x1A if bios == "bochs" else 0x12, f"{what}: SMRAM control")
        self.assertNotEqual(window, 0x55AA, f"{what}: the guest wrote the SMRAM window")
        self.assertIn("vmx:     kept 0:0.0 +0x72 (1 bytes) 0x4a: SMRAM control (locked by the VMM)",
                      r.serial, what)

    def check_smi_enables(self, model, bios):
        r, what, (devactb, glbctl) = self.run_of("smi-enables", model, bios, "poweroff")
        self.assertEqual(devactb & (1 << 25), 0, f"{what}: APMC_EN")
        self.assertEqual(glbctl & 1, 0, f"{what}: GLBCTL.SMI_EN")
        self.assertIn("vmx:     kept 0:1.3 +0x58 (4 bytes) 0x2000000: PIIX4 APMC_EN (an SMI at "
                      "each write to 0xB2)", r.serial, what)
        self.assertRegex(r.serial, r"GLBCTL SMI_EN kept clear 1 times", what)


def _add_tests():
    checks = {"pci-bars": PciMediation.check_pci_bars, "pm-move": PciMediation.check_pm_move,
              "pm-move-halt": PciMediation.check_pm_move_halt,
              "pm-move-onto": PciMediation.check_pm_move_onto,
              "smram": PciMediation.check_smram, "smi-enables": PciMediation.check_smi_enables}
    for kind, check in checks.items():
        for model in MODELS:
            for bios in BIOSES:
                setattr(PciMediation, f"test_{kind.replace('-', '_')}_{model}_{bios}",
                        lambda self, c=check, m=model, b=bios: c(self, m, b))


_add_tests()


def configure(build):
    test_chain.configure_image(build)


def main():
    sys.exit(parallel_unittest.main_for([sys.modules[__name__]]))


if __name__ == "__main__":
    main()
