#!/usr/bin/env python3
"""Integration tests of the chain guest's local APIC (README "What the
guest can reach", vmm/devices/local_apic.h): boot sectors of our own, each
the whole of the disk the chain image boots as its guest, that move the
APIC's page, write its registers and send IPIs - in real mode through
"unreal mode" (FS with a 4 GiB limit), in protected mode through paging,
and through the x2APIC MSRs - and check what they get.

Every run keeps the run contract (one result line, one magic breakpoint,
power-off). The sectors that go on report what they saw on COM1 (the VMM
marks their lines `guest| `) and power off through ACPI (PM1a_CNT 0xB004
under both BIOSes in Bochs), which ends the run `guest-end=poweroff`; the
others end the run by the IPI they send. Each sector runs under both
BIOSes on corei7_skylake_x and corei7_haswell_4770, and those that send
IPIs also with two CPUs (`cpu: count=2`): then CPU 1 sits in wait-for-SIPI
outside VMX, where an INIT and SIPI would start it on the guest's code.

Needs the chain image's parts (make image), built as test_chain.py builds
its own.
Run: python3 tests/integration/test_apic.py --build build [unittest args]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import boots  # noqa: E402
import parallel_unittest  # noqa: E402
sys.path.insert(0, HERE)
import test_chain  # noqa: E402

MODELS = ("corei7_skylake_x", "corei7_haswell_4770")  # both with x2APIC
BIOSES = ("bochs", "seabios")
BOOT_TIMEOUT = 240
VMM_ADDR = 0x400000

# ---------------------------------------------------------------- the sectors' parts


def head():
    """A sector's start (test_chain.py's checked_head: interrupts off, DS = 0,
    its #GP handler in the IVT), and FS with base 0 and a 4 GiB limit
    ("unreal mode": a protected-mode descriptor kept back in real mode), so
    that [fs:ebx] reaches any address below 4 GiB."""
    return test_chain.checked_head() + test_chain.unreal_segment("fs", 0, four_gib=True)


def tail():
    """A sector's end: `say` sends the string at SI (ESI) to COM1,
    `poweroff` writes SLP_EN to PM1a_CNT (0xB004 under both BIOSes in
    Bochs), `on_nmi` (for the IVT's entry 2) notes an NMI in `got`;
    test_chain.py's checked_tail: `wrong` triple-faults, its #GP
    handler notes the fault in `faulted` and goes on past the 2-byte WRMSR
    that raised it."""
    return """
        poweroff:
        mov dx, 0xB004
        mov ax, 0x2000
        out dx, ax
        cli
        hlt
        say:
        mov dx, 0x3FD
        in al, dx
        test al, 0x20
        jz say
        lodsb
        test al, al
        jz said
        mov dx, 0x3F8
        out dx, al
        jmp say
        said:
        ret
        on_nmi:
        mov byte [cs:got], 1
        iret
        got: db 0
    """ + test_chain.checked_tail(skip=2)


def still_running(name):
    """The end of a sector whose last store should have ended the run: it
    says so on COM1 (which the tests look for) and powers off."""
    return f"""
        mov si, still
        call say
        jmp poweroff
        still: db "{name}: still running", 13, 10, 0
    """ + tail()


def xapic_ipi(name, destination, icr_low):
    """A sector that sends one IPI through the xAPIC page (ICR low
    ICR_LOW) to DESTINATION: an APIC ID, or None for its own."""
    if destination is None:
        set_destination = """
            mov eax, [fs:ebx + 0x20]
            and eax, 0xFF000000
            mov [fs:ebx + 0x310], eax
        """
    else:
        set_destination = f"mov dword [fs:ebx + 0x310], 0x{destination << 24:08X}"
    return head() + f"""
        mov ebx, 0xFEE00000
        {set_destination}
        mov dword [fs:ebx + 0x300], 0x{icr_low:X}
    """ + still_running(name)


# x2APIC mode on: IA32_APIC_BASE's bit 10 set (through the VMM).
X2APIC_ON = """
        mov ecx, 0x1B
        rdmsr
        or eax, 0xC00
        wrmsr
"""


def protected_head(paging):
    """A sector's start in 32-bit protected mode, flat segments, the stack
    below 0x7C00; with `paging`, 32-bit paging with 4 MiB pages (CR4.PSE):
    the first 4 MiB identity-mapped, and linear 0x70000000 mapped to the
    4 MiB at 0xFEC00000 (which hold the I/O APIC's and the local APIC's
    pages), its page directory at 0x8000."""
    pages = """
        xor ax, ax
        mov es, ax
        mov di, 0x8000
        mov cx, 1024
        xor eax, eax
        rep stosd
        mov dword [0x8000], 0x00000083
        mov dword [0x8000 + (0x70000000 >> 22) * 4], 0xFEC00083
        mov eax, cr4
        or eax, 0x10
        mov cr4, eax
        mov eax, 0x8000
        mov cr3, eax
    """ if paging else ""
    return test_chain.SECTOR_START + pages + f"""
        lgdt [gdtr]
        mov eax, cr0
        or eax, 0x{0x80000001 if paging else 0x1:08X}
        mov cr0, eax
        jmp 8:protected
        gdtr: dw 23
        dd gdt
        gdt: dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        bits 32
        protected:
        mov ax, 16
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x7C00
    """


# The sectors (NASM source), each with what it does:
#   apic-base      six IA32_APIC_BASE writes that must get a #GP: the page
#                  on the VMM's first page and on the VGA text page (the
#                  VMM's refusal), a reserved bit (9), a bit beyond
#                  MAXPHYADDR (63), the invalid state (x2APIC without
#                  global enable) and the page above 4 GiB (the VMM's
#                  refusal: it could not keep it in view there); the MSR
#                  must read back unchanged. Then a
#                  move the VMM allows, to 16 MiB (RAM, a 2 MiB page of the
#                  EPT split for it), the TPR written and read back there,
#                  and back. It reports the count of #GPs.
#   registers      the registers a guest uses, which must still work with
#                  the page write-protected: the TPR written and read back,
#                  exchanged (XCHG), a byte write (which the APIC does not
#                  define and Bochs would end the emulator on: dropped), an
#                  EOI, the timer counting down, a fixed IPI to itself
#                  (carried out: pending in the IRR) and an SMI to itself
#                  (refused: the run goes on).
#   paged          the same TPR write and SMI from 32-bit protected mode
#                  with paging, through a 4 MiB page that maps the APIC at
#                  linear 0x70000000 + 0x200000: the VMM fetches the
#                  instruction and finds its address through the guest's
#                  paging.
#   apic-fetch     a jump to the APIC's page from 32-bit protected mode: no
#                  code runs on a device's registers (in Bochs a fetch from
#                  the APIC's page ends the emulator): the EPT gives the
#                  page no execute access, the VMM stops the guest, named.
#   apic-or        an OR into the spurious-interrupt register: a store the
#                  VMM does not decode (only MOV and XCHG): stopped, named.
#   init-self      INIT to its own APIC ID: the run ends guest-end=init.
#   init-cpu1      INIT to APIC ID 1: guest-unsupported reason=ipi-other-cpu.
#   sipi-cpu1      SIPI to APIC ID 1: the same.
#   x2apic         x2APIC mode on (through the VMM), an SMI to itself (refused),
#                  an ICR write with a reserved bit (#GP), an NMI to itself
#                  (its own handler runs: the VMM delivers it), then INIT to
#                  itself.
#   x2apic-cpu1    x2APIC mode on, INIT to x2APIC ID 1.
#   ioapic-nmi     the I/O APIC's pin 2 (the PIT's IRQ0) programmed to send
#                  an NMI: a real NMI while the guest runs, an NMI exit, which
#                  the VMM delivers to the guest's own handler (virtual
#                  NMIs); the sector masks the pin again and powers off.
#   ioapic-smi     the same pin programmed to send an SMI, then an INIT
#                  (each would reach past the VMM when the PIT fires): the VMM
#                  drops both writes, the entry reads back as it was.
# (An NMI to itself through the ICR is test_chain.py's self-nmi sector: the
# VMM delivers it to the guest instead of sending it.)
SECTORS = {
    "apic-base": head() + f"""
        mov ecx, 0x1B
        rdmsr
        mov [saved], eax
        mov [saved + 4], edx
        mov si, tries
        mov di, 6
        next_try:
        mov byte [faulted], 0
        mov eax, [si]
        mov edx, [si + 4]
        wrmsr
        cmp byte [faulted], 1
        jne wrong
        add si, 8
        dec di
        jnz next_try
        rdmsr
        cmp eax, [saved]
        jne wrong
        mov eax, 0x01000900
        xor edx, edx
        wrmsr
        mov ebx, 0x01000000
        mov dword [fs:ebx + 0x80], 0x20
        cmp dword [fs:ebx + 0x80], 0x20
        jne wrong
        mov dword [fs:ebx + 0x80], 0
        mov eax, [saved]
        mov edx, [saved + 4]
        wrmsr
        mov si, line
        call say
        jmp poweroff
        saved: dd 0, 0
        tries: dd 0x{VMM_ADDR | 0x900:08X}, 0, 0x000B8900, 0, 0xFEE00B00, 0, 0xFEE00900, 0x80000000
        dd 0xFEE00500, 0, 0xFEE00900, 1
        line: db "apic-base: #GP 6 times, moved to 16 MiB and back", 13, 10, 0
    """ + tail(),
    "registers": head() + """
        mov ebx, 0xFEE00000
        mov dword [fs:ebx + 0x80], 0x20
        cmp dword [fs:ebx + 0x80], 0x20
        jne wrong
        mov eax, 0x30
        xchg [fs:ebx + 0x80], eax
        cmp eax, 0x20
        jne wrong
        mov byte [fs:ebx + 0x80], 0x50
        cmp dword [fs:ebx + 0x80], 0x30
        jne wrong
        mov dword [fs:ebx + 0x80], 0
        mov dword [fs:ebx + 0xB0], 0
        mov dword [fs:ebx + 0x3E0], 0xB
        mov dword [fs:ebx + 0x320], 0x10040
        mov dword [fs:ebx + 0x380], 0x100000
        mov eax, [fs:ebx + 0x390]
        mov ecx, 1000
        spin:
        dec ecx
        jnz spin
        cmp eax, [fs:ebx + 0x390]
        jbe wrong
        mov dword [fs:ebx + 0x300], 0x40041
        test byte [fs:ebx + 0x220], 2
        jz wrong
        mov dword [fs:ebx + 0x300], 0x40200
        mov si, line
        call say
        jmp poweroff
        line: db "registers: tpr, xchg, byte dropped, eoi, timer, fixed ipi, smi", 13, 10, 0
    """ + tail(),
    "paged": protected_head(paging=True) + """
        mov dword [0x70200080], 0x20
        cmp dword [0x70200080], 0x20
        jne wrong
        mov dword [0x70200080], 0
        mov dword [0x70200300], 0x40200
        mov esi, line
        call say
        jmp poweroff
        line: db "paged: tpr and smi through paging", 13, 10, 0
    """ + tail(),
    "apic-fetch": protected_head(paging=False) + """
        mov eax, 0xFEE00000
        jmp eax
    """ + tail(),
    "apic-or": head() + """
        mov ebx, 0xFEE00000
        or dword [fs:ebx + 0xF0], 0x100
    """ + still_running("apic-or"),
    "init-self": xapic_ipi("init-self", None, 0x4500),
    "init-cpu1": xapic_ipi("init-cpu1", 1, 0x4500),
    "sipi-cpu1": xapic_ipi("sipi-cpu1", 1, 0x4610),
    "x2apic": head() + X2APIC_ON + """
        mov word [2 * 4], on_nmi
        mov word [2 * 4 + 2], 0
        mov ecx, 0x830
        xor edx, edx
        mov eax, 0x40200
        wrmsr
        mov byte [faulted], 0
        mov eax, 0x41040
        wrmsr
        cmp byte [faulted], 1
        jne wrong
        mov eax, 0x44400
        wrmsr
        cmp byte [got], 1
        jne wrong
        mov si, line
        call say
        mov ecx, 0x802
        rdmsr
        mov edx, eax
        mov eax, 0x4500
        mov ecx, 0x830
        wrmsr
        jmp after
        line: db "x2apic: smi sent, #GP for a reserved bit, nmi to itself taken", 13, 10, 0
        after:
    """ + still_running("x2apic"),
    "x2apic-cpu1": head() + X2APIC_ON + """
        mov ecx, 0x830
        mov edx, 1
        mov eax, 0x4500
        wrmsr
    """ + still_running("x2apic-cpu1"),
    "ioapic-nmi": head() + """
        mov word [2 * 4], on_nmi
        mov word [2 * 4 + 2], 0
        mov ebx, 0xFEC00000
        mov dword [fs:ebx], 0x15
        mov dword [fs:ebx + 0x10], 0
        mov dword [fs:ebx], 0x14
        mov dword [fs:ebx + 0x10], 0x400
        mov ecx, 0x200000
        spin:
        cmp byte [got], 1
        je came
        dec ecx
        jnz spin
        jmp wrong
        came:
        mov dword [fs:ebx + 0x10], 0x10000
        mov si, line
        call say
        jmp poweroff
        line: db "ioapic-nmi: the guest's NMI handler ran", 13, 10, 0
    """ + tail(),
    "ioapic-smi": head() + """
        mov ebx, 0xFEC00000
        mov dword [fs:ebx], 0x15
        mov dword [fs:ebx + 0x10], 0
        mov dword [fs:ebx], 0x14
        mov dword [fs:ebx + 0x10], 0x10000
        mov dword [fs:ebx + 0x10], 0x200
        call mode_masked
        mov dword [fs:ebx + 0x10], 0x500
        call mode_masked
        mov si, line
        call say
        jmp poweroff
        mode_masked:
        mov eax, [fs:ebx + 0x10]
        and eax, 0x10700
        cmp eax, 0x10000
        jne wrong
        ret
        line: db "ioapic-smi: SMI and INIT entries refused, the pin masked as it was", 13, 10, 0
    """ + tail(),
}

# The sectors that send INIT or SIPI run with two CPUs, where CPU 1 is
# there to be started; those that send one to another CPU only so (on one
# CPU the VMM's answer is the same: it does not count the CPUs).
TWO_CPUS = ("init-self", "init-cpu1", "sipi-cpu1", "x2apic", "x2apic-cpu1")
ONE_CPU = tuple(s for s in SECTORS if not s.endswith("-cpu1"))
RUNS = ([(s, m, b, 1) for s in ONE_CPU for m in MODELS for b in BIOSES] +
        [(s, m, b, 2) for s in TWO_CPUS for m in MODELS for b in BIOSES])


class LocalApic(test_chain.SectorBoots):
    SECTORS, RUNS, PREFIX = SECTORS, RUNS, "vmxboot-apic-test-"

    @classmethod
    def request(cls, key):
        sector, model, bios, cpus = key
        return boots.bochs(cls.image, cpu=model, bios=bios, cpus=cpus, timeout=BOOT_TIMEOUT,
                           disk2=cls.disks[sector])

    def each(self, sector, cpus=(1,)):
        """The runs of SECTOR, each checked against the run contract and
        for the loader's hand-over: (run, what, result code, pairs)."""
        for model in MODELS:
            for bios in BIOSES:
                for n in cpus:
                    key = (sector, model, bios, n)
                    r = boots.result(self.request(key))
                    what = f"{sector}/{model}/{bios}/{n} CPU(s)"
                    self.assertEqual(r.problems(), [], f"{what}: the run contract\n{r.serial}")
                    self.assertIn(test_chain.LOADER_LINES[1], r.serial.splitlines(), what)
                    code, pairs = r.result
                    yield r, what, code, pairs

    def check_poweroff(self, sector, line, cpus=(1,)):
        for r, what, code, pairs in self.each(sector, cpus):
            self.assertEqual((code, pairs.get("guest-end")), ("ok", "poweroff"),
                             f"{what}\n{r.serial}")
            self.assertIn("guest| " + line, r.serial.splitlines(), f"{what}\n{r.serial}")
            yield r, what

    def test_the_apic_page_never_lands_on_the_vmms_memory(self):
        for r, what in self.check_poweroff("apic-base",
                                           "apic-base: #GP 6 times, moved to 16 MiB and back"):
            self.assertIn("vmx:   APIC: base writes 8, refused with #GP 6 (last 0x1fee00900: "
                          "kept-memory); IA32_APIC_BASE now 0xfee00900", r.serial, what)
            self.assertIn("vmx:   local APIC: IA32_APIC_BASE 0xfee00900 (xAPIC); its page "
                          "read-only to the guest", r.serial, what)

    def test_the_registers_a_guest_uses_still_work(self):
        for r, what in self.check_poweroff(
                "registers", "registers: tpr, xchg, byte dropped, eoi, timer, fixed ipi, smi"):
            self.assertRegex(r.serial, r"vmx:   APIC: ICR writes 2 \(forwarded 1, SMI IPIs refused "
                                       r"1, NMIs to itself delivered 0, ignored 0\), other register "
                                       r"writes \d+, dropped \(not 32 bits at a 16-byte boundary\) 1", what)

    def test_stores_through_the_guests_paging(self):
        for r, what in self.check_poweroff("paged", "paged: tpr and smi through paging"):
            self.assertIn("SMI IPIs refused 1", r.serial, what)

    def check_stopped(self, sector, gpa, note):
        for r, what, code, pairs in self.each(sector):
            self.assertEqual((code, pairs.get("reason"), pairs.get("gpa")),
                             ("guest-exit", "ept-violation", gpa), f"{what}\n{r.serial}")
            self.assertIn(f"vmx: stopped: {note}", r.serial.splitlines(), what)
            self.assertIn("the local APIC's registers (stores there go through the VMM)", r.serial,
                          what)
            self.assertNotIn("still running", r.serial, what)

    def test_no_code_runs_on_the_apics_page(self):
        self.check_stopped("apic-fetch", "0xfee00000",
                           "an instruction fetch from a device's registers")

    def test_a_store_the_vmm_does_not_decode_stops_the_guest(self):
        self.check_stopped("apic-or", "0xfee000f0",
                           "not a store the VMM carries out (MOV or XCHG to memory)")

    def test_an_init_to_itself_ends_the_run(self):
        for r, what, code, pairs in self.each("init-self", cpus=(1, 2)):
            self.assertEqual((code, pairs.get("guest-end")), ("ok", "init"), f"{what}\n{r.serial}")
            self.assertIn("vmx: the guest sent its own CPU an INIT (ICR 0x4500): not sent, the run "
                          "ends", r.serial, what)
            self.assertNotIn("still running", r.serial, what)

    def check_other_cpu(self, sector, ipi):
        for r, what, code, pairs in self.each(sector, cpus=(2,)):
            self.assertEqual((code, pairs.get("reason"), pairs.get("ipi"), pairs.get("dest")),
                             ("guest-unsupported", "ipi-other-cpu", ipi, "physical:0x1"),
                             f"{what}\n{r.serial}")
            self.assertNotIn("still running", r.serial, what)

    def test_an_init_to_another_cpu_is_refused(self):
        self.check_other_cpu("init-cpu1", "init")

    def test_a_sipi_to_another_cpu_is_refused(self):
        self.check_other_cpu("sipi-cpu1", "sipi")

    def test_x2apic_ipis(self):
        for r, what, code, pairs in self.each("x2apic", cpus=(1, 2)):
            self.assertEqual((code, pairs.get("guest-end")), ("ok", "init"), f"{what}\n{r.serial}")
            self.assertIn("guest| x2apic: smi sent, #GP for a reserved bit, nmi to itself taken",
                          r.serial.splitlines(), what)
            self.assertIn("SMI IPIs refused 1, NMIs to itself delivered 1", r.serial, what)
            self.assertNotIn("still running", r.serial, what)

    def test_an_x2apic_init_to_another_cpu_is_refused(self):
        self.check_other_cpu("x2apic-cpu1", "init")

    def test_a_real_nmi_while_the_guest_runs_reaches_the_guest(self):
        # The NMI-exit path with a real NMI, from the I/O APIC: NMI exiting
        # is on, the exit is the VMM's, the NMI the guest's own handler's.
        for r, what in self.check_poweroff("ioapic-nmi", "ioapic-nmi: the guest's NMI handler ran"):
            self.assertIn("vmx:   NMIs delivered to the guest: 1", r.serial.splitlines(), what)
            self.assertRegex(r.serial, r"vmx: chain guest: \d+ VM exits: exception-or-nmi 1 ", what)

    def test_an_io_apic_pin_never_sends_an_smi_or_init(self):
        for r, what in self.check_poweroff(
                "ioapic-smi", "ioapic-smi: SMI and INIT entries refused, the pin masked as it was"):
            self.assertRegex(r.serial, r"vmx:   I/O APIC: writes \d+, redirections refused: SMI 1, "
                                       r"INIT 1 \(the last: entry 2 of 0xfec00000, 0x500\)", what)
            self.assertRegex(r.serial, r"(?m)^vmx: I/O APIC \d+ kept at 0xfec00000 \(GSI 0 on\): "
                                       r"no SMI or INIT redirections$", what)


def configure(build):
    # The chain image is built as test_chain.py builds its own.
    test_chain.configure_image(build)


def main():
    sys.exit(parallel_unittest.main_for([sys.modules[__name__]]))


if __name__ == "__main__":
    main()
