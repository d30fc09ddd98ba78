#!/usr/bin/env python3
"""Integration tests of chain mode's DMA mediation (docs/chain-mode.md,
docs/platform.md "DMA"): boot sectors of our own, booted as the chain
guest (drive 0x81, Bochs' ata0-slave) on corei7_skylake_x and
corei5_arrandale_m520 (the first model with unrestricted guest) under the
Bochs BIOS and SeaBIOS, program the DMA engines a PC has with no IOMMU in
the way:

  dma-into-vmm  issues ATA READ DMA for its own disk's LBA 0, then starts
                the IDE bus master (PCI 0:1.1, BAR4) from six PRD tables
                the VMM must refuse: an entry at the VMM's first byte, the
                table itself in the VMM, an entry running from below into
                it, a zero count (64 KiB) that reaches it, an entry that
                wraps 32 bits, 256 entries without an end. After each start
                it expects the status of a failed transfer (error and
                interrupt, not active) and clears it. Without the VMM's
                check the disk's sector lands on the VMM's code;
  dma-read      reads LBA 0 by DMA into 0x8000 and checks it against the
                copy at 0x7C00 and its 0x55AA, and reads back its PRD
                table's address and its command;
  dma-swap      starts the same read, then at once points its table's entry
                at the VMM: the controller reads the VMM's copy, taken at
                the start, so the sector still lands at 0x8000;
  isa-dma       aims channel 2 (bytes) and channel 5 (words) at the VMM and
                unmasks them, moves an unmasked channel's page onto it,
                clears the mask register, requests a transfer on unmasked
                channel 1 by software (which stops Bochs: no device serves
                it), asks for memory-to-memory and writes a page
                register's alias: the channels stay masked (the 8237's
                mask bits read back, as Bochs lets them), the rest is
                dropped.

Each sector checks what it sees: right, it powers off through the PIIX4's
PM1a_CNT; wrong, it triple-faults. The run ends `ok guest=chain
guest-end=poweroff` with the VMM's counts of what it refused.

Needs build/vmxboot.img's parts (make image) and build/gen/layout.inc.
Run: python3 tests/integration/test_dma.py --build build [unittest args]
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
import boots  # noqa: E402
import parallel_unittest  # noqa: E402
import test_chain  # noqa: E402

MODELS = ("corei7_skylake_x", "corei5_arrandale_m520")
BIOSES = ("bochs", "seabios")
BOOT_TIMEOUT = 240
VMM_FIRST = 0x400000


def head():
    """A sector's start (test_chain.py's checked_head: interrupts off, DS =
    0), ES = 0, BP = the bus-master block (BAR4 of the IDE function, PCI
    0:1.1, through 0xCF8/0xCFC)."""
    return test_chain.checked_head() + """
        mov es, ax
        mov eax, 0x80000920
        mov dx, 0xCF8
        out dx, eax
        mov dl, 0xFC
        in eax, dx
        and ax, 0xFFF0
        mov bp, ax
    """


def read_dma():
    """ATA READ DMA (0xC8) of one sector, LBA 0, from the primary channel's
    slave (this disk), once the drive is not busy."""
    return """
        mov dx, 0x1F6
        mov al, 0xF0
        out dx, al
        mov dl, 0xF7
        mov cx, 0xFFFF
        not_busy:
        in al, dx
        test al, 0x80
        loopnz not_busy
        mov dl, 0xF2
        mov al, 1
        out dx, al
        xor al, al
        inc dx
        out dx, al
        inc dx
        out dx, al
        inc dx
        out dx, al
        mov dl, 0xF7
        mov al, 0xC8
        out dx, al
    """


def start():
    """The primary channel's PRD table address (EAX) set, the engine started
    (device writes memory), its command read back."""
    return """
        lea dx, [bp + 4]
        out dx, eax
        mov dx, bp
        mov al, 9
        out dx, al
        in al, dx
        cmp al, 9
        jne wrong
    """


def wait_transfer():
    """The status polled while active, a bounded number of times; then it
    must be the interrupt's alone; the engine stopped."""
    return """
        lea dx, [bp + 2]
        mov cx, 0xFFFF
        active:
        in al, dx
        test al, 1
        loopnz active
        and al, 7
        cmp al, 4
        jne wrong
        mov dx, bp
        xor al, al
        out dx, al
    """


def clear_buffer():
    """0x8000-0x81FF zeroed, where the DMA is to put LBA 0."""
    return """
        mov di, 0x8000
        mov cx, 256
        xor ax, ax
        rep stosw
    """


def check_buffer():
    """0x8000 holds this disk's LBA 0: the sector running at 0x7C00, its
    0x55AA at the end."""
    return """
        cmp word [0x81FE], 0xAA55
        jne wrong
        mov si, 0x7C00
        mov di, 0x8000
        mov cx, 256
        repe cmpsw
        jne wrong
    """


def power_off():
    """ACPI S5 through the PIIX4's PM1a_CNT (PMBA, PCI 0:1.3 offset 0x40,
    plus 4); SLP_TYP 0 is S5 in both emulators' DSDT."""
    return """
        mov eax, 0x80000B40
        mov dx, 0xCF8
        out dx, eax
        mov dl, 0xFC
        in eax, dx
        and ax, 0xFFC0
        add ax, 4
        mov dx, ax
        mov ax, 0x2000
        out dx, ax
        hlt
    """


SECTORS = {
    # Each refused start: the table at EAX, started, the failed transfer's
    # status (error and interrupt, not active) at once, cleared (write one
    # to clear), stopped.
    "dma-into-vmm": head() + read_dma() + f"""
        mov dword [0x7E00], 0x{VMM_FIRST:x}
        mov dword [0x7E04], 0x80000200
        mov eax, 0x7E00
        call refused
        mov eax, 0x{VMM_FIRST:x}
        call refused
        mov dword [0x7E00], 0x{VMM_FIRST - 0x100:x}
        mov eax, 0x7E00
        call refused
        mov dword [0x7E00], 0x{VMM_FIRST - 0xFF00:x}
        mov dword [0x7E04], 0x80000000
        mov eax, 0x7E00
        call refused
        mov dword [0x7E00], 0xFFFFFF00
        mov dword [0x7E04], 0x80000200
        mov eax, 0x7E00
        call refused
        mov di, 0x8000
        mov cx, 256
        fill:
        mov dword [di], 0x9000
        mov dword [di + 4], 0x200
        add di, 8
        loop fill
        mov eax, 0x8000
        call refused
    """ + power_off() + """
        refused:
        lea dx, [bp + 4]
        out dx, eax
        mov dx, bp
        mov al, 9
        out dx, al
        lea dx, [bp + 2]
        in al, dx
        and al, 7
        cmp al, 6
        jne wrong
        out dx, al
        in al, dx
        test al, 6
        jnz wrong
        mov dx, bp
        xor al, al
        out dx, al
        ret
    """ + test_chain.checked_tail(skip=0),
    "dma-read": head() + clear_buffer() + """
        mov dword [0x7E00], 0x8000
        mov dword [0x7E04], 0x80000200
        lea dx, [bp + 4]
        mov eax, 0x7E00
        out dx, eax
        in eax, dx
        cmp eax, 0x7E00
        jne wrong
    """ + read_dma() + """
        mov eax, 0x7E00
    """ + start() + wait_transfer() + check_buffer() + power_off() + \
        test_chain.checked_tail(skip=0),
    # The swap comes right after the start: Bochs' controller reads the
    # table's first entry a millisecond later (its timer), once the drive
    # has the sector.
    "dma-swap": head() + clear_buffer() + """
        mov dword [0x7E00], 0x8000
        mov dword [0x7E04], 0x80000200
    """ + read_dma() + """
        mov eax, 0x7E00
    """ + start() + f"""
        mov dword [0x7E00], 0x{VMM_FIRST:x}
    """ + wait_transfer() + check_buffer() + power_off() + test_chain.checked_tail(skip=0),
    # The 8237s: 0x0A/0xD4 single mask, 0x0B/0xD6 mode, 0x0C/0xD8 flip-flop,
    # 0x0E clear masks, 0x0F/0xDE all masks (read back in Bochs: 0xF0 |
    # the mask bits), 0x04/0x05 channel 2's address and count, 0xC4/0xC6
    # channel 5's (words), 0x81 and 0x8B their pages.
    "isa-dma": test_chain.checked_head() + """
        mov al, 0x06
        out 0x0A, al
        out 0x0C, al
        mov al, 0x46
        out 0x0B, al
        xor al, al
        out 0x04, al
        out 0x04, al
        mov al, 0xFF
        out 0x05, al
        mov al, 0x01
        out 0x05, al
        mov al, 0x40
        out 0x81, al
        mov al, 0x02
        out 0x0A, al
        in al, 0x0F
        test al, 4
        jz wrong
        mov al, 0x08
        out 0x81, al
        mov al, 0x02
        out 0x0A, al
        in al, 0x0F
        test al, 4
        jnz wrong
        mov al, 0x40
        out 0x81, al
        in al, 0x0F
        test al, 4
        jz wrong
        out 0x0E, al
        in al, 0x0F
        and al, 0x0F
        cmp al, 0x04
        jne wrong
        mov al, 0x05
        out 0x09, al
        mov al, 0x05
        out 0xD4, al
        out 0xD8, al
        mov al, 0x45
        out 0xD6, al
        mov al, 0x80
        out 0xC4, al
        mov al, 0xFF
        out 0xC4, al
        mov al, 0x80
        out 0xC6, al
        xor al, al
        out 0xC6, al
        mov al, 0x3E
        out 0x8B, al
        mov al, 0x01
        out 0xD4, al
        in al, 0xDE
        test al, 2
        jz wrong
        mov al, 0x01
        out 0x08, al
        mov al, 0x40
        out 0x91, al
        mov al, 0x0F
        out 0x0F, al
    """ + power_off() + test_chain.checked_tail(skip=0),
}
RUNS = [(k, m, b) for k in SECTORS for m in MODELS for b in BIOSES]
DMA_KEPT = re.compile(r"^vmx: DMA kept: IDE bus master 0:1\.1 ports 0x(c0[0-9a-f]0)-0x(c0[0-9a-f]f) "
                      r"\(PRD tables copied and checked\); the 8237s \(no channel reaches the VMM\)$",
                      re.M)


class DmaMediation(test_chain.SectorBoots):
    SECTORS, RUNS, PREFIX = SECTORS, RUNS, "vmxboot-dma-test-"

    @classmethod
    def request(cls, key):
        kind, model, bios = key
        return boots.bochs(cls.image, cpu=model, bios=bios, timeout=BOOT_TIMEOUT,
                           disk2=cls.disks[kind])

    def powered_off(self, key):
        """The run of KEY: the contract kept, the sector's power-off, the
        DMA engines kept; its COM1 text and its name."""
        r = boots.result(self.request(key))
        what = "/".join(key)
        self.assertEqual(r.problems(), [], f"{what}: the run contract\n--- COM1 ---\n{r.serial}")
        code, pairs = r.result
        self.assertEqual((code, pairs.get("guest"), pairs.get("guest-end")),
                         ("ok", "chain", "poweroff"), f"{what}\n--- COM1 ---\n{r.serial}")
        self.assertIn(test_chain.LOADER_LINES[1], r.serial.splitlines(), what)
        self.assertRegex(r.serial, DMA_KEPT, what)
        return r.serial, what

    def check_bus_master(self, key, started, refused, last=None):
        serial, what = self.powered_off(key)
        line = f"vmx:   DMA: IDE bus master primary: transfers started {started}, " \
               f"PRD tables refused {refused}"
        self.assertIn(line + (f" (last: {last})" if last else ""), serial.splitlines(), what)
        self.assertIn("vmx:   DMA: IDE bus master secondary: transfers started 0, "
                      "PRD tables refused 0", serial.splitlines(), what)
        return serial, what

    def check_into_vmm(self, model, bios):
        serial, what = self.check_bus_master(("dma-into-vmm", model, bios), 0, 6,
                                             "no-end-of-table, entry 256, 0x8000")
        # Every start was the VMM's to decide: the ports of the block exit.
        self.assertRegex(serial, r"vmx:   I/O: .*, bus-master \d+", what)

    def check_read(self, model, bios):
        self.check_bus_master(("dma-read", model, bios), 1, 0)

    def check_swap(self, model, bios):
        self.check_bus_master(("dma-swap", model, bios), 1, 0)

    def check_isa(self, model, bios):
        serial, what = self.powered_off(("isa-dma", model, bios))
        self.assertIn("vmx:   DMA: ISA channels: unmasks refused 3, masked on a change 1, "
                      "memory-to-memory refused 1, software requests dropped 1",
                      serial.splitlines(), what)
        # The page register's alias at 0x91 (an ICH repeats 0x81 there).
        self.assertIn("vmx:   I/O denied: 1", serial.splitlines(), what)


def _add_tests():
    checks = {"dma-into-vmm": DmaMediation.check_into_vmm, "dma-read": DmaMediation.check_read,
              "dma-swap": DmaMediation.check_swap, "isa-dma": DmaMediation.check_isa}
    for kind, model, bios in RUNS:
        setattr(DmaMediation, f"test_{kind.replace('-', '_')}_{model}_{bios}",
                lambda self, k=kind, m=model, b=bios: checks[k](self, m, b))


_add_tests()


def configure(build):
    # The chain image is built as test_chain.py builds its own (no guest disk
    # of tools/disk2 needed here).
    test_chain.configure_image(build)


def main():
    sys.exit(parallel_unittest.main_for([sys.modules[__name__]]))


if __name__ == "__main__":
    main()
