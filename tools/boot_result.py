"""What one boot produced, in Bochs or QEMU: the harness's one result type.

tools/bochs_boot.py and tools/qemu_boot.py fill a BootResult; the tests,
`make run` and the benchmark read it. What an emulator does not give stays
empty: QEMU has no debugger and no VGA dump (its log is its standard
error); a run without stops has no stop ticks.
"""
import re

RESULT_RE = re.compile(r"^vmxboot: result=([a-z0-9-]+)(.*)$")

COM1 = 0x3F8
# Bochs' serial device, with `debug: ..., serial=report` (com1_ticks): every
# register write with its tick.
SERIAL_WRITE_RE = re.compile(r"^(\d+)d\[SER\s*\] com1 register write to\s+address: 0x([0-9a-f]+) = 0x([0-9a-f]+)",
                             re.M)


def decode_vga(data):
    """An 80x25 text page (character, attribute, ...) as 25 lines of text
    (right-stripped, unprintable characters as blanks) and 25 rows of
    attribute bytes."""
    chars, attrs = [], []
    for row in range(25):
        cells = data[row * 160:(row + 1) * 160]
        text = "".join(chr(c) if 32 <= c < 127 else " " for c in cells[0::2])
        chars.append(text.rstrip())
        attrs.append(bytes(cells[1::2]))
    return chars, attrs


class BootResult:
    def __init__(self, emulator="bochs"):
        self.emulator = emulator  # "bochs" or "qemu"
        self.serial = ""          # everything COM1 received
        self.vga_lines = []       # the last 80x25 text page: at the magic breakpoint, or where
        self.vga_attrs = []       # the run was stopped; attribute bytes, same shape
        self.vga_bytes = b""      # the raw page: character, attribute, ...
        self.log = ""             # Bochs' own log; QEMU's standard error
        self.stdout = ""          # Bochs' stdout (debugger, port 0xE9)
        self.exit_code = None
        self.timed_out = False
        self.halted = False       # stopped for good with interrupts off
        self.wall_seconds = 0.0
        self.stop_ticks = []      # Bochs: the tick at each stop (breakpoint) reached, in order
        self.stop_vga = []        # the text page (25 lines) at each stop reached
        self.stop_dumps = []      # the physical dwords asked for (`dump`), at each stop reached
        self.seconds_after_key = None  # QEMU with press_key: from the byte sent to the exit

    @property
    def exit_status(self):
        """The exit code as a shell shows it (128 + the signal for a signal)."""
        code = self.exit_code
        return 128 - code if code is not None and code < 0 else code

    @property
    def died_at_start(self):
        """Bochs ended by itself before the BIOS booted anything (a bad
        bochsrc, a missing ROM, a plugin that aborts): no tick ran our code."""
        return (self.emulator == "bochs" and not self.timed_out and not self.halted
                and "Booting from" not in self.log and not self.serial and not self.stop_ticks
                and self.exit_code not in (None, 0))

    @property
    def result_lines(self):
        return [l for l in self.serial.splitlines() if RESULT_RE.match(l.strip())]

    @property
    def result(self):
        """(code, {key: value}) of the last result line, or (None, {})."""
        lines = self.result_lines
        if not lines:
            return None, {}
        m = RESULT_RE.match(lines[-1].strip())
        pairs = dict(kv.split("=", 1) for kv in m.group(2).split() if "=" in kv)
        return m.group(1), pairs

    @property
    def last_serial_line(self):
        lines = [l for l in self.serial.splitlines() if l.strip()]
        return lines[-1].strip() if lines else ""

    @property
    def magic_breaks(self):
        return self.stdout.count("Magic breakpoint") + self.stdout.count("magic breakpoint")

    @property
    def magic_tick(self):
        """Emulated instruction count at the (first) magic breakpoint."""
        m = re.search(r"Magic breakpoint\s*\nNext at t=(\d+)", self.stdout)
        return int(m.group(1)) if m else None

    @property
    def power_off_tick(self):
        m = re.search(r"^(\d+)\w\[ACPI *\] .*soft power off", self.log, re.M)
        return int(m.group(1)) if m else None

    @property
    def powered_off(self):
        """ACPI power-off: Bochs logs it; QEMU exits with status 0 (docs/bochs.md)."""
        if self.emulator == "qemu":
            return self.exit_code == 0 and not self.timed_out
        return "ACPI control: soft power off" in self.log

    @property
    def triple_faulted(self):
        return "3rd (" in self.log and "exception with no resolution" in self.log

    def vga_text(self, stop=None):
        """The text page at stop number STOP, or the last page the run
        showed: at its end (the magic breakpoint, or where it was stopped),
        else at its last stop ("" when none was dumped)."""
        if stop is None:
            page = self.vga_lines or (self.stop_vga[-1] if self.stop_vga else [])
        else:
            page = self.stop_vga[stop]
        return "\n".join(page)

    def com1_bytes(self):
        """[(tick, byte)] of every byte written to COM1's transmit register
        (Bochs with com1_ticks): writes while DLAB is set are the divisor's."""
        out, dlab = [], False
        for m in SERIAL_WRITE_RE.finditer(self.log):
            tick, port, value = int(m.group(1)), int(m.group(2), 16), int(m.group(3), 16)
            if port == COM1 + 3:
                dlab = bool(value & 0x80)
            elif port == COM1 and not dlab:
                out.append((tick, value))
        return out

    def com1_line_tick(self, line):
        """The tick at which the last byte of the first occurrence of LINE
        was written to COM1, or None."""
        writes = self.com1_bytes()
        text = bytes(b for _, b in writes)
        at = text.find(line.encode())
        return writes[at + len(line) - 1][0] if at >= 0 else None

    def problems(self):
        """What broke vmxboot's run contract, as a list of sentences (empty:
        none): one result line, last on COM1; in Bochs one magic breakpoint,
        no triple fault, and power-off (or a halt the run announced); in
        QEMU an exit of its own with status 0."""
        out = []
        if self.died_at_start:
            tail = [l for l in self.stdout.splitlines() if l.strip()][-8:]
            return [f"Bochs exited with {self.exit_status} before the BIOS ran: " + "\n".join(tail)]
        if self.timed_out:
            out.append("the run did not end by itself (timeout)")
        if self.triple_faulted:
            out.append("triple fault")
        if len(self.result_lines) != 1:
            out.append(f"{len(self.result_lines)} result lines on COM1, want exactly 1")
        elif not RESULT_RE.match(self.last_serial_line):
            out.append(f"the result line is not the last line on COM1: {self.last_serial_line!r}")
        if self.emulator == "qemu":
            if self.exit_code != 0 and not self.timed_out:
                out.append(f"QEMU exited with {self.exit_code} (a triple fault with -no-reboot?)")
            return out
        if self.magic_breaks != 1:
            out.append(f"{self.magic_breaks} magic breakpoints, want exactly 1")
        announced_halt = "cannot power off" in self.serial
        if self.halted and not announced_halt:
            out.append("halted with interrupts off without saying why")
        if not self.powered_off and not self.timed_out and not (self.halted and announced_halt):
            out.append("no ACPI power-off")
        return out
