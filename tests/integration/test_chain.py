#!/usr/bin/env python3
"""Integration tests of chain mode (make image GUEST=chain,
docs/chain-mode.md): the VMM boots the second disk (BIOS drive 0x81) as an
unrestricted guest in real mode, through our loader (guest/chain/loader.asm),
and the guest's own code and BIOS calls run under VMX.

Each boot is the real image in Bochs with a guest disk from tools/disk2
(Debian's SYSLINUX MBR, our VBR, GRUB 2.06) attached as ata0-slave, and
must keep the run contract (one result line, one magic breakpoint,
power-off). The proof that the disk ran as a guest and not natively: the
VMM's exit summary (exits by reason, the ports it kept, the CPUID leaves
asked), the guest's COM1 lines marked `guest| ` by the VMM, and the
result line the VMM prints after the guest's power-off - which the VMM
caught at PM1a_CNT (natively the machine would simply be off). The same
disks booted natively are tests/integration/test_guest_disks.py.

Needs build/vmxboot.img's parts (make image), build/gen/layout.inc and
build/chain-vbr.bin (make disk2 KIND=mbr-vbr, or make integration).
Run: python3 tests/integration/test_chain.py --build build [unittest args]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "disk2"))
import bochs_boot  # noqa: E402
import bochs_models  # noqa: E402
import boots  # noqa: E402
import mkdisk2  # noqa: E402
import parallel_unittest  # noqa: E402
sys.path.insert(0, HERE)
import test_guest_disks  # noqa: E402

BUILD = "build"
SKYLAKE = "corei7_skylake_x"
# The Bochs models the VMM runs on, with unrestricted guest and without
# (tools/bochs_models.py).
UNRESTRICTED = bochs_models.select(long_mode=True, vmx=True, unrestricted_guest=True)
RESTRICTED = bochs_models.select(long_mode=True, vmx=True, unrestricted_guest=False)
BOOT_TIMEOUT = 240
LOADER_LINES = ["guest| vmxboot-chain: loader: reading LBA 0 of drive 0x81",
                "guest| vmxboot-chain: loader: 0x55AA found, jumping to 0:7C00"]
VBR_OK = "guest| vmxboot-chain: vbr: hand-over ok, drive=0x81"
# The first lines of every boot sector of ours (NASM): at 0:7C00,
# interrupts off, DS = 0.
SECTOR_START = """
        bits 16
        org 0x7C00
        cli
        xor ax, ax
        mov ds, ax
"""


def unreal_segment(segment, base, four_gib=False):
    """Code of a boot sector of ours (NASM, real mode, DS = 0) that leaves
    real mode's SEGMENT with BASE, through a protected-mode descriptor kept
    back in real mode ("unreal mode"; limit 64 KiB, or 4 GiB). Its GDT
    lies in the code (a jmp over it)."""
    return f"""
        lgdt [gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        mov bx, 8
        mov {segment}, bx
        and al, 0xFE
        mov cr0, eax
        jmp after_gdt
        gdtr: dw 15
        dd gdt
        gdt: times 8 db 0
        dw 0xFFFF, 0x{base & 0xFFFF:04X}
        db 0x{(base >> 16) & 0xFF:02X}, 0x93, 0x{0x8F if four_gib else 0:02X}, 0x{base >> 24:02X}
        after_gdt:
    """


def unreal_mode(segment, base):
    """The start of a boot sector of ours (NASM) that leaves real mode's
    SEGMENT with BASE (unreal_segment), interrupts off."""
    return SECTOR_START + unreal_segment(segment, base)


def checked_head():
    """The start of a boot sector of ours that checks what it finds (NASM):
    interrupts off, DS = 0, its #GP handler (checked_tail's on_gp) in the
    IVT."""
    return SECTOR_START + """
        mov word [13 * 4], on_gp
        mov word [13 * 4 + 2], 0
    """


def checked_tail(skip):
    """The end of a boot sector of ours that checks what it finds (NASM):
    `wrong` triple-faults (an empty IVT, then INT 3); `on_gp`, a #GP handler
    for the IVT, notes the fault in `faulted` and goes on past the `skip`
    bytes of the instruction that raised it."""
    return f"""
        wrong:
        lidt [cs:empty]
        int 3
        on_gp:
        push bp
        mov bp, sp
        add word [bp + 2], {skip}
        mov byte [faulted], 1
        pop bp
        iret
        faulted: db 0
        empty: dw 0, 0, 0
    """


# Hostile boot sectors of our own, as the disk the guest boots (NASM source):
# one that triple-faults (an empty IVT, then INT 3), one that asks the BIOS
# (INT 15h AH=87h, the BIOS's own switch to protected mode) to copy 512
# bytes over the VMM at 0x400000, one that asks the VMM itself (INT 15h
# E820, which the loader's stub passes to the VMM by VMCALL) to store an
# entry at ES:DI with ES's base set to the VMM's first byte through
# "unreal mode" (a protected-mode descriptor's base kept back in real
# mode): refused with CF, it halts; stored, it triple-faults. And one that
# sets CR0.NE and clears it again, as protected-mode systems do (the bit
# VMX operation fixes: the VMM carries the MOVs out), reading CR0 back each
# time: right, it halts; wrong, it triple-faults. And one that leaves the
# BIOS's cursor (BDA 40:50) off the screen, which the VMM reads to go on
# below the guest's output: checked, it goes on below its own last line.
# "msr" reads the TSC and EFER (the guest's own: no exit), sets EFER.SCE and
# reads it back, reads IA32_FEATURE_CONTROL (VMX bits clear) and
# IA32_VMX_BASIC (a #GP, as on a CPU without VMX, caught by its own
# handler): all as expected, it halts; else it triple-faults. "wrmsr-tsc"
# writes the TSC, the VMM's clock: stopped. "self-nmi" puts its own NMI handler
# in the IVT and sends its own CPU an NMI through its local APIC's ICR
# (reached from unreal mode): the ICR write is the VMM's (the APIC's page is
# write-protected, test_apic.py), which does not send the NMI (it would
# interrupt the VMM) but delivers it to the guest: its handler ran, it
# halts; else it triple-faults. "xsetbv" turns CR4.OSXSAVE on, sets XCR0 to
# x87+SSE and reads it back (XGETBV), then asks for x87 off (a #GP, caught
# by its own handler) and runs INVD: right, it halts. (The local APIC's
# other sectors are tests/integration/test_apic.py's.)
HOSTILE = {
    "triple-fault": """
        bits 16
        org 0x7C00
        cli
        lidt [cs:empty]
        int 3
        empty: dw 0, 0, 0
    """,
    "write-vmm": """
        bits 16
        org 0x7C00
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov si, gdt
        mov cx, 256
        mov ah, 0x87
        int 0x15
        cli
        hlt
        gdt: times 16 db 0
        dw 0xFFFF
        db 0x00, 0x7C, 0x00, 0x93, 0, 0
        dw 0xFFFF
        db 0x00, 0x00, 0x40, 0x93, 0, 0
        times 16 db 0
    """,
    "e820-unreal": unreal_mode("es", 0x400000) + """
        xor di, di
        xor ebx, ebx
        mov ecx, 20
        mov edx, 0x534D4150
        mov eax, 0xE820
        int 0x15
        jc refused
        lidt [empty]
        int 3
        refused:
        cli
        hlt
        empty: dw 0, 0, 0
    """,
    "cursor-off-screen": """
        bits 16
        org 0x7C00
        cli
        xor ax, ax
        mov ds, ax
        mov word [0x450], 0xC8FF
        hlt
    """,
    "msr": checked_head() + """
        mov ecx, 0x10
        rdmsr
        mov ecx, 0xC0000080
        rdmsr
        or al, 1
        wrmsr
        xor eax, eax
        rdmsr
        test al, 1
        jz wrong
        mov ecx, 0x3A
        rdmsr
        test al, 6
        jnz wrong
        mov byte [faulted], 0
        mov ecx, 0x480
        rdmsr
        cmp byte [faulted], 1
        jne wrong
        hlt
    """ + checked_tail(skip=2),
    "wrmsr-tsc": """
        bits 16
        org 0x7C00
        cli
        mov ecx, 0x10
        xor eax, eax
        xor edx, edx
        wrmsr
        hlt
    """,
    "self-nmi": unreal_mode("fs", 0xFEE00000) + """
        mov word [2 * 4], on_nmi
        mov word [2 * 4 + 2], 0
        mov eax, [fs:0x20]
        and eax, 0xFF000000
        mov [fs:0x310], eax
        mov dword [fs:0x300], 0x4400
        mov ecx, 0x100000
        spin:
        cmp byte [got], 1
        je done
        dec ecx
        jnz spin
        lidt [cs:empty]
        int 3
        done:
        hlt
        on_nmi:
        mov byte [cs:got], 1
        iret
        got: db 0
        empty: dw 0, 0, 0
    """,
    "xsetbv": checked_head() + """
        mov eax, cr4
        or eax, 1 << 18
        mov cr4, eax
        xor ecx, ecx
        xor edx, edx
        mov eax, 3
        xsetbv
        xor eax, eax
        xgetbv
        cmp eax, 3
        jne wrong
        mov byte [faulted], 0
        mov eax, 2
        xsetbv
        cmp byte [faulted], 1
        jne wrong
        invd
        hlt
    """ + checked_tail(skip=3),
    "cr0-ne": """
        bits 16
        org 0x7C00
        cli
        mov eax, cr0
        or eax, 0x20
        mov cr0, eax
        mov ebx, cr0
        test bl, 0x20
        jz wrong
        and eax, ~0x20
        mov cr0, eax
        mov ebx, cr0
        test bl, 0x20
        jnz wrong
        hlt
    """ + checked_tail(skip=0),
}
# The matrix: each guest disk on every unrestricted-guest model under both
# BIOSes (ChainMode.test_<disk>_<model>_<bios>). mbr-empty under SeaBIOS
# boots the image with GUEST_LIMIT=80, so that SeaBIOS's own reset (some
# 60 s after INT 18h) ends it rather than our bound.
DISKS = ("grub", "mbr-vbr", "mbr-empty")
BIOSES = ("bochs", "seabios")


def matrix_image(disk, bios):
    return "chain-limit80" if (disk, bios) == ("mbr-empty", "seabios") else "chain"


# (image, disk, model, bios): every boot the tests make, started together.
# image: "chain" (the default loader), "chain-limit80" (GUEST_LIMIT=80),
# "chain-limit50" (GUEST_LIMIT=50),
# "chain-drive82" (CHAIN_DRIVE=0x82: no such disk), "chain-nolimit"
# (GUEST_LIMIT=0).
RUNS = ([(matrix_image(k, b), k, m, b) for m in UNRESTRICTED for k in DISKS for b in BIOSES] +
        [("chain-drive82", "grub", SKYLAKE, "bochs"),
         ("chain-limit50", "mbr-empty", SKYLAKE, "seabios"),
         ("chain-nolimit", "grub", SKYLAKE, "seabios")] +
        [("chain", k, SKYLAKE, b) for k in HOSTILE for b in BIOSES] +
        [("chain", "grub", m, "bochs") for m in RESTRICTED])
LOADER_OPTIONS = {"chain": [], "chain-limit80": ["-DGUEST_LIMIT=80"],
                  "chain-limit50": ["-DGUEST_LIMIT=50"],
                  "chain-drive82": ["-DCHAIN_DRIVE=0x82"], "chain-nolimit": ["-DGUEST_LIMIT=0"]}


def build_chain_image(work, name, options=()):
    """Chain mode's image NAME (end wait 0) with the loader assembled with
    OPTIONS (-D...), into WORK; its path."""
    loader = os.path.join(work, f"{name}-loader.bin")
    subprocess.run(["nasm", "-f", "bin", "-I", os.path.join(BUILD, "gen") + "/", *options,
                    os.path.join(ROOT, "guest", "chain", "loader.asm"), "-o", loader],
                   check=True)
    img = os.path.join(work, f"{name}.img")
    subprocess.run([os.path.join(BUILD, "host", "mkimage"),
                    "--stage1", os.path.join(BUILD, "stage1.bin"),
                    "--stage2", os.path.join(BUILD, "stage2.bin"),
                    "--vmm", os.path.join(BUILD, "vmm.bin"), "--guest", loader,
                    "--out", img, "--end-wait", "0", "--inject", "none", "--quiet"],
                   check=True)
    return img


def build_sector_disk(work, kind, source):
    """A guest disk whose LBA 0 is the boot sector SOURCE (NASM, without its
    padding and 0x55AA), into WORK; its path."""
    asm = os.path.join(work, f"{kind}.asm")
    with open(asm, "w") as f:
        f.write("\n".join(l.strip() for l in source.splitlines()) +
                "\ntimes 510 - ($ - $$) db 0\ndw 0xAA55\n")
    sector = os.path.join(work, f"{kind}.bin")
    subprocess.run(["nasm", "-f", "bin", asm, "-o", sector], check=True)
    out = os.path.join(work, f"disk2-{kind}.img")
    with open(sector, "rb") as f, open(out, "wb") as d:
        d.write(f.read().ljust(mkdisk2.DISK_SECTORS * 512, b"\0"))
    return out


class SectorBoots(unittest.TestCase):
    """Tests that boot the chain image with hostile or checking boot sectors
    as the second disk: SECTORS (name: NASM source) built once per class,
    with the image, into a folder of its own (PREFIX), and every boot of
    RUNS started together when the whole class runs. A subclass says how a
    run's key becomes a boot (request)."""
    SECTORS = {}
    RUNS = []
    PREFIX = "vmxboot-sectors-test-"

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix=cls.PREFIX)
        cls.image = build_chain_image(cls.work, "chain")
        cls.disks = {k: build_sector_disk(cls.work, k, s) for k, s in cls.SECTORS.items()}
        if all(parallel_unittest.selected(cls, name)
               for name in unittest.TestLoader().getTestCaseNames(cls)):
            boots.start([cls.request(key) for key in cls.RUNS])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def request(cls, key):
        raise NotImplementedError


def build_inputs(work):
    """The chain images and the hostile boot sectors' disks, into WORK; the
    guest disks are test_guest_disks.py's (the same files its native boots
    boot)."""
    paths = {name: build_chain_image(work, name, options)
             for name, options in LOADER_OPTIONS.items()}
    for kind in DISKS:
        paths[kind] = test_guest_disks.disk(kind)
    for kind, source in HOSTILE.items():
        paths[kind] = build_sector_disk(work, kind, source)
    return paths


class ChainMode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="vmxboot-chain-test-")
        cls.paths = build_inputs(cls.work)
        # Every boot the tests make, started together: the same disks booted
        # natively (for the comparisons) first, then those under the VMM.
        # (When only some of the tests run, each asks for its own.)
        if all(parallel_unittest.selected(cls, name)
               for name in unittest.TestLoader().getTestCaseNames(cls)):
            boots.start([test_guest_disks.native(k, b) for k in DISKS for b in BIOSES] +
                        [cls.request(key) for key in RUNS])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def request(cls, key):
        """The boot KEY: (image, disk, model, bios), the disk as drive 0x81."""
        image, disk, model, bios = key
        return boots.bochs(cls.paths[image], cpu=model, bios=bios, timeout=BOOT_TIMEOUT,
                           disk2=cls.paths[disk])

    def booted(self, key):
        r = boots.result(self.request(key))
        what = "/".join(key)
        self.assertEqual(r.problems(), [], f"{what}: the run contract\n--- COM1 ---\n{r.serial}")
        return r, what

    def check_ok(self, key, end):
        r, what = self.booted(key)
        code, pairs = r.result
        self.assertEqual((code, pairs.get("guest"), pairs.get("guest-end")), ("ok", "chain", end),
                         f"{what}\n--- COM1 ---\n{r.serial}")
        # The loader ran as the guest (its lines marked by the VMM), in real
        # mode under unrestricted guest, and the exits were counted.
        self.assertIn("vmx: chain guest: real mode, unrestricted guest; EPT", r.serial, what)
        self.assertIn("vmx: VMLAUNCH: chain loader in real mode at 1000:", r.serial, what)
        lines = r.serial.splitlines()
        for line in LOADER_LINES:
            self.assertIn(line, lines, what)
        self.assertRegex(r.serial, r"vmx: chain guest: \d+ VM exits: .*io-instruction \d+", what)
        self.assertGreater(int(pairs["exits"]), 10, what)
        self.check_memory_map(r, what)
        # The EPT's memory types follow the MTRRs both BIOSes set (enabled,
        # fixed ranges on, default WB): RAM write-back, VGA and the I/O APIC
        # uncacheable.
        self.assertIn("vmx:   memory types: MTRRs: 0x7000 WB 0xb8000 UC 0x100000 WB "
                      "0xfec00000 UC", r.serial.splitlines(), what)
        # COM1 after the guest: the VMM's own setup (the guest's was shadowed).
        self.assertLess(r.serial.index(LOADER_LINES[0]), r.serial.index("vmxboot: result="))
        return r, what, pairs

    def check_memory_map(self, r, what):
        """The E820 map the guest sees through the loader's INT 15h hook, which
        the VMM answers (VMCALL): the VMM's memory reserved, no usable entry
        reaching into it, and the stub's own KiB below 640 KiB not usable
        either; E801 and AH=88h count the 3 MiB from 1 MiB up to the VMM."""
        entries = [(int(b, 16), int(l, 16), int(t)) for b, l, t in re.findall(
            r"(?m)^guest\| vmxboot-chain: loader: e820 ([0-9a-f]{16}) ([0-9a-f]{16}) (\d)$",
            r.serial)]
        layout = bochs_boot.read_layout(BUILD)
        vmm_first, vmm_end = layout["VMM_ADDR"], layout["VMM_MEMORY_END"]
        self.assertIn((vmm_first, vmm_end - vmm_first, 2), entries,
                      f"{what}: the VMM's memory reserved")
        segment = int(re.search(r"INT 15h hooked at segment ([0-9a-f]{8})", r.serial).group(1), 16)
        stub = segment * 16
        self.assertTrue(0x90000 <= stub < 0xA0000, f"{what}: the stub below 640 KiB: {stub:#x}")
        for base, length, kind in entries:
            if kind != 1:
                continue
            end = base + length
            self.assertFalse(base < vmm_end and end > vmm_first, f"{what}: usable {base:#x}-{end:#x}")
            self.assertFalse(base <= stub < end, f"{what}: the stub at {stub:#x} in a usable entry")
        # Usable low memory from 0, up to the stub at most (the Bochs BIOS
        # reserves its EBDA's 4 KiB below 640 KiB, SeaBIOS 1 KiB).
        self.assertTrue(any(b == 0 and t == 1 and l <= stub for b, l, t in entries), what)
        lines = r.serial.splitlines()
        self.assertIn("guest| vmxboot-chain: loader: e801 00000c00 00000000", lines, what)
        self.assertIn("guest| vmxboot-chain: loader: 88h 00000c00", lines, what)
        # The VMM answered them: the loader's calls (one per entry, E801, 88h).
        calls = int(re.search(r"vmx:   INT 15h memory calls answered: (\d+)", r.serial).group(1))
        self.assertGreaterEqual(calls, len(entries) + 2, what)

    def check_poweroff(self, key):
        r, what, pairs = self.check_ok(key, "poweroff")
        # The VMM caught the guest's SLP_EN at PM1a_CNT (0xb004 in Bochs).
        self.assertIn("vmx: power-off kept: PM1a_CNT 0xb004", r.serial, what)
        self.assertIn("vmx: guest end poweroff: 0x2000 0x0", r.serial, what)
        self.assertRegex(r.serial, r"vmx:   I/O: COM1 0x3f8-0x3ff in \d+ out \d+ \(\d+ bytes "
                                   r"forwarded\), pm1a-cnt \d+", what)
        return r, what, pairs

    def check_grub(self, model, bios):
        r, what, pairs = self.check_poweroff(("chain", "grub", model, bios))
        # GRUB's echo, as the disk prints it natively, marked as the guest's.
        self.assertTrue(any(l.startswith("guest| ") and l.rstrip().endswith(mkdisk2.GRUB_LINE)
                            for l in r.serial.splitlines()),
                        f"{what}: GRUB's line marked guest|\n{r.serial[-800:]}")
        # GRUB asked CPUID (answered by the VMM): counted, leaves listed.
        self.assertGreater(int(pairs["cpuid-exits"]), 0, what)
        leaves = re.search(r"vmx:   CPUID leaves asked \((\d+)\):((?: 0x[0-9a-f]+)*)", r.serial)
        self.assertIsNotNone(leaves, what)
        # (GRUB's CPU check: leaves 0 and 1, the VMX bit hidden from it.)
        self.assertEqual(leaves.group(2).split()[:2], ["0x0", "0x1"], what)

    def check_timers_as_native(self, bios):
        """The PIT and the PIC as the BIOS left them (issue 12): the VBR's
        line on them under the VMM is the line it prints when the same disk
        boots natively under the same BIOS (test_guest_disks.py's boot). The
        VMM times the TSC by reading PIT channel 0 only; a calibration that
        programs channel 2 shows as ch2=0xB0 (mode 0) instead of 0x98."""
        native = boots.result(test_guest_disks.native("mbr-vbr", bios))
        line = test_guest_disks.timers_line(native.serial)
        self.assertIsNotNone(line, f"native mbr-vbr under {bios}: no PIT/PIC line\n{native.serial}")
        r, what, _ = self.check_poweroff(("chain", "mbr-vbr", SKYLAKE, bios))
        self.assertIn(VBR_OK, r.serial.splitlines(), what)
        chain = [l for l in r.serial.splitlines() if "vbr: pit " in l]
        self.assertEqual(chain, ["guest| " + line], f"{what}: the PIT/PIC line against the native run's")

    def check_same_text_as_native(self, kind, bios):
        """What the disk shows under the VMM is what it shows booted natively
        in the same Bochs (test_guest_disks.py's boot, corei7_skylake_x):
        its COM1 lines, which the VMM marks `guest| `, and its screen lines,
        which follow the VMM's (the VMM hands the BIOS's cursor over). The
        one difference is the drive: natively the disk is 0x80, under the
        VMM 0x81 (vmxboot's own disk is 0x80), and the VBR prints it."""
        native = boots.result(test_guest_disks.native(kind, bios))
        r, what = self.booted((matrix_image(kind, bios), kind, SKYLAKE, bios))
        as_native = lambda line: line.replace("drive=0x81", "drive=0x80").strip()
        guest = [as_native(l[len("guest| "):]) for l in r.serial.splitlines()
                 if l.startswith("guest| ") and "vmxboot-chain: loader:" not in l]
        self.assertEqual([l for l in guest if l],
                         [l.strip() for l in native.serial.splitlines() if l.strip()],
                         f"{what}: COM1 against the native boot's")
        # The screen: what the disk printed natively (the lines after the
        # BIOS's "Booting from ..."), in order on the screen under the VMM.
        screen = native.vga_text().splitlines()
        booting = [i for i, l in enumerate(screen) if l.startswith("Booting from")]
        disk_lines = [l.rstrip() for l in screen[booting[-1] + 1:] if l.strip()] if booting else []
        chain_screen = [as_native(l) for l in r.vga_lines]
        at = 0
        for line in disk_lines:
            self.assertIn(line, chain_screen[at:], f"{what}: the screen\n" + "\n".join(r.vga_lines))
            at = chain_screen.index(line, at) + 1
        return disk_lines

    def test_same_text_as_natively(self):
        shown = {}
        for kind in DISKS:
            for bios in BIOSES:
                shown[kind, bios] = self.check_same_text_as_native(kind, bios)
        # The screen comparison compared something: the native boots that
        # stop with the screen captured (bochs_boot stops) show their lines.
        self.assertIn("Missing operating system.", shown["mbr-empty", "seabios"])
        self.assertIn("Missing operating system.", shown["mbr-empty", "bochs"])
        self.assertIn(test_guest_disks.VBR_OK, shown["mbr-vbr", "bochs"])

    def test_pit_and_pic_as_natively_bochs(self):
        self.check_timers_as_native("bochs")

    def test_pit_and_pic_as_natively_seabios(self):
        self.check_timers_as_native("seabios")

    def test_the_time_bound_ends_a_guest_that_waits_on(self):
        # SeaBIOS after INT 18h waits 60 s before its reset; a bound of 50 s
        # (GUEST_LIMIT=50) ends the run first, by the VMX-preemption timer,
        # while the guest sits in HLT between its interrupts.
        r, what = self.booted(("chain-limit50", "mbr-empty", SKYLAKE, "seabios"))
        code, pairs = r.result
        self.assertEqual((code, pairs.get("guest"), pairs.get("limit-s")),
                         ("guest-timeout", "chain", "50"), f"{what}\n{r.serial}")
        self.assertIn("vmx: guest time bound 50 s (VMX-preemption timer)\n", r.serial, what)
        self.assertRegex(r.serial, r"vmx: chain guest: \d+ VM exits: hlt \d+", what)

    def test_the_default_time_bound_under_an_emulator(self):
        # Without GUEST_LIMIT=, 300 s under an emulator's firmware (a Linux
        # boot takes some 5.6 G instructions: 112 s at 50 M a second; on a
        # PC: none; guests/bios_chain/plan.h, unit-tested).
        r, what = self.booted(("chain", "grub", SKYLAKE, "bochs"))
        self.assertIn("vmx: guest time bound 300 s (VMX-preemption timer; the default under an "
                      "emulator, GUEST_LIMIT= sets one)", r.serial, what)

    def test_no_time_bound_with_guest_limit_0(self):
        r, what, _ = self.check_poweroff(("chain-nolimit", "grub", SKYLAKE, "seabios"))
        self.assertIn("vmx: guest time bound: none (GUEST_LIMIT=0)", r.serial, what)

    def test_loader_without_a_disk_fails_by_name(self):
        r, what = self.booted(("chain-drive82", "grub", SKYLAKE, "bochs"))
        code, pairs = r.result
        self.assertEqual((code, pairs.get("guest"), pairs.get("step")),
                         ("guest-failed", "chain", "read"), f"{what}\n{r.serial}")
        self.assertIn("guest| vmxboot-chain: loader: no boot sector on that drive", r.serial, what)

    def check_hostile(self, kind, bios, reason):
        r, what = self.booted(("chain", kind, SKYLAKE, bios))
        code, pairs = r.result
        self.assertEqual((code, pairs.get("reason")), ("guest-exit", reason),
                         f"{what}\n{r.serial}")
        lines = r.serial.splitlines()
        self.assertIn(LOADER_LINES[1], lines, what)
        return r, what, pairs

    def test_a_guest_triple_fault_is_a_guest_exit(self):
        for bios in ("bochs", "seabios"):
            self.check_hostile("triple-fault", bios, "triple-fault")

    def test_the_bios_copying_over_the_vmm_is_stopped_by_the_ept(self):
        # The guest's BIOS itself, in its own protected mode (INT 15h AH=87h),
        # cannot write the VMM's memory: an EPT violation at 0x400000.
        for bios in ("bochs", "seabios"):
            r, what, pairs = self.check_hostile("write-vmm", bios, "ept-violation")
            self.assertEqual(pairs.get("gpa"), "0x400000", what)
            self.assertIn("EPT violation: write", r.serial, what)

    def test_an_e820_buffer_in_the_vmm_is_refused(self):
        # The VMM stores E820 entries for the guest (the one write it makes
        # into guest memory): ES:DI from unreal mode at 0x400000 gets CF
        # instead, and the run ends as the sector does when refused (HLT).
        for bios in ("bochs", "seabios"):
            r, what, pairs = self.check_ok(("chain", "e820-unreal", SKYLAKE, bios), "halt")
            self.assertRegex(r.serial, r"INT 15h memory calls answered: \d+ \(E820 buffers "
                                       r"refused: 1\)", what)

    def test_a_cursor_off_the_screen_is_not_used(self):
        # Column 0xFF, row 0xC8: the VMM's end goes on below its own last
        # line (VMLAUNCH's), and its result line is on the screen.
        for bios in BIOSES:
            r, what, _ = self.check_ok(("chain", "cursor-off-screen", SKYLAKE, bios), "halt")
            result = [l for l in r.serial.splitlines() if l.startswith("vmxboot: result=")][0]
            self.assertIn(result[:60], "\n".join(r.vga_lines).replace("\n", ""), what)

    def test_msrs_are_the_guests_but_the_vmms_few(self):
        for bios in BIOSES:
            r, what, _ = self.check_ok(("chain", "msr", SKYLAKE, bios), "halt")
            # Three exits: the EFER write, feature control, IA32_VMX_BASIC;
            # the TSC and EFER reads ran without one.
            self.assertRegex(r.serial, r"vmx: chain guest: \d+ VM exits: .*rdmsr 2 wrmsr 1\b", what)

    def test_a_tsc_write_stops_the_guest(self):
        for bios in BIOSES:
            r, what, pairs = self.check_hostile("wrmsr-tsc", bios, "wrmsr")
            self.assertIn("a write to the TSC, the VMM's clock for the time bound", r.serial, what)

    def test_an_nmi_while_the_guest_runs_reaches_the_guest(self):
        # The guest's own NMI, sent through its APIC: the VMM sees the ICR
        # write and delivers the NMI to the guest's own handler (virtual
        # NMIs). (A real NMI's exit: test_apic.py's ioapic-nmi.)
        for bios in BIOSES:
            self.check_ok(("chain", "self-nmi", SKYLAKE, bios), "halt")
            r, what = self.booted(("chain", "self-nmi", SKYLAKE, bios))
            self.assertIn("vmx:   NMIs delivered to the guest: 1", r.serial.splitlines(), what)
            self.assertIn(LOADER_LINES[1], r.serial.splitlines(), what)

    def test_xsetbv_and_invd_are_carried_out(self):
        for bios in BIOSES:
            r, what, _ = self.check_ok(("chain", "xsetbv", SKYLAKE, bios), "halt")
            self.assertRegex(r.serial, r"vmx: chain guest: \d+ VM exits: .*invd 1\b", what)
            self.assertRegex(r.serial, r"vmx: chain guest: \d+ VM exits: .*xsetbv 2\b", what)

    def test_cr0_ne_set_and_cleared_by_the_guest(self):
        for bios in BIOSES:
            r, what, _ = self.check_ok(("chain", "cr0-ne", SKYLAKE, bios), "halt")
            self.assertRegex(r.serial, r"vmx: chain guest: \d+ VM exits: .*cr-access 2\b", what)

    def check_unsupported(self, model):
        r, what = self.booted(("chain", "grub", model, "bochs"))
        code, pairs = r.result
        self.assertEqual((code, pairs.get("reason")), ("guest-unsupported", "no-unrestricted-guest"),
                         f"{what}\n{r.serial}")
        self.assertNotIn("VMLAUNCH", r.serial, what)
        self.assertNotIn("guest|", r.serial, what)


    def check_mbr_vbr(self, model, bios):
        r, what, _ = self.check_poweroff(("chain", "mbr-vbr", model, bios))
        self.assertIn(VBR_OK, r.serial.splitlines(), what)
        self.assertRegex(r.serial, f"(?m)^guest\\| {test_guest_disks.VBR_TIMERS}$", what)

    def check_mbr_empty(self, model, bios):
        # SYSLINUX's MBR finds no active partition, says so and runs INT 18h.
        if bios == "bochs":
            # The Bochs BIOS then has no device left and reports a panic on
            # its emulator port 0x400/0x401, which the VMM keeps under the
            # emulators' firmware: the run ends with its result instead of
            # Bochs stopping.
            r, what, _ = self.check_ok(("chain", "mbr-empty", model, bios), "bios-panic")
            self.assertRegex(r.serial, r"vmx: guest end bios-panic: 0x40[01] 0x", what)
        else:
            # SeaBIOS waits some 60 s (its boot-fail wait) and then resets
            # through 0xCF9: the VMM ends the run there (the guest bound is
            # 80 s in this image).
            r, what, pairs = self.check_ok(("chain-limit80", "mbr-empty", model, bios), "reset")
            self.assertEqual(pairs.get("port"), "0xcf9", what)
            self.assertIn("vmx: guest end reset: 0xcf9 0x6", r.serial, what)
        self.assertNotIn("vbr:", r.serial, what)


def _add_model_tests():
    checks = {"grub": ChainMode.check_grub, "mbr-vbr": ChainMode.check_mbr_vbr,
              "mbr-empty": ChainMode.check_mbr_empty}
    for model in UNRESTRICTED:
        for kind in DISKS:
            for bios in BIOSES:
                setattr(ChainMode, f"test_{kind.replace('-', '_')}_{model}_{bios}",
                        lambda self, m=model, k=kind, b=bios: checks[k](self, m, b))
    for model in RESTRICTED:
        setattr(ChainMode, f"test_{model}_is_unsupported",
                lambda self, m=model: self.check_unsupported(m))


_add_model_tests()


def configure_image(build):
    """What build_chain_image needs, from BUILD."""
    global BUILD
    BUILD = build
    parallel_unittest.require(build, ["stage1.bin", "stage2.bin", "vmm.bin", "host/mkimage",
                                      "gen/layout.inc"], "run `make image` first")


def configure(build):
    test_guest_disks.configure(build)
    configure_image(build)


def main():
    sys.exit(parallel_unittest.main_for([sys.modules[__name__]]))


if __name__ == "__main__":
    main()
