#!/usr/bin/env python3
"""Boot a disk that is not vmxboot's (a chain-mode guest disk from
tools/disk2) once in Bochs 2.7, natively and headless.

vmxboot's run contract (one result line, one magic breakpoint, power-off)
does not apply to someone else's boot code, so this harness asserts
nothing: the caller names linear addresses to stop at (Bochs debugger
`lb`), and at each stop the tick and the VGA text page are recorded. The
run then goes on to its end (power-off, or HLT with interrupts off) or,
with end_at_last_stop, ends there. With com1_ticks every write to COM1's transmit register is logged
by Bochs with its tick (the serial device's debug messages), so that the
caller can tell when a given line was written. Each run is bounded by a
wall-clock timeout.

Ticks are Bochs' emulated-instruction counter (`clock: sync=none`), the
unit of `make bench`; they repeat exactly for the same disk, BIOS and CPU.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bochs_boot
import emulators  # noqa: E402

COM1 = 0x3F8
SERIAL_WRITE_RE = re.compile(r"^(\d+)d\[SER\s*\] com1 register write to\s+address: 0x([0-9a-f]+) = 0x([0-9a-f]+)",
                             re.M)


class DiskRun:
    def __init__(self):
        self.serial = ""        # what COM1 received
        self.log = ""           # Bochs' log
        self.stdout = ""        # Bochs' debugger output
        self.exit_code = None
        self.timed_out = False
        self.halted = False     # stopped for good: HLT with interrupts off
        self.stop_ticks = []    # the tick at each stop reached, in order
        self.stop_vga = []      # the VGA text page (25 lines) at each stop reached
        self.stop_dumps = []    # the physical dwords `dump` asked for, at each stop reached

    @property
    def powered_off(self):
        return "ACPI control: soft power off" in self.log

    @property
    def power_off_tick(self):
        m = re.search(r"^(\d+)\w\[ACPI *\] .*soft power off", self.log, re.M)
        return int(m.group(1)) if m else None

    @property
    def triple_faulted(self):
        return "3rd (" in self.log and "exception with no resolution" in self.log

    def vga_text(self, stop=-1):
        return "\n".join(self.stop_vga[stop]) if self.stop_vga else ""

    def com1_bytes(self):
        """[(tick, byte)] of every byte written to COM1's transmit register
        (needs com1_ticks): writes while DLAB is set are the divisor's."""
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


def boot_disk(image, cpu="corei7_skylake_x", bios="bochs", stops=(), end_at_last_stop=False,
              timeout=60, com1_ticks=False, disk2=None, keep_dir=None,
              ips=bochs_boot.DEFAULT_IPS, dump=None, megs=64):
    """Boots IMAGE natively once; returns a DiskRun. `dump`: (address, dwords)
    of physical memory to read at each stop (DiskRun.stop_dumps). `megs`:
    the machine's memory in MiB (a Linux disk wants 256). A Bochs
    that dies while starting up (two of them racing for the same VNC port)
    is started again."""
    for attempt in range(3):
        with emulators.SLOTS:
            run = _boot_once(image, cpu, bios, stops, end_at_last_stop, timeout, com1_ticks,
                             disk2, keep_dir, ips, dump, megs)
        if "Booting from" in run.log or run.serial or run.timed_out or run.stop_ticks:
            return run
        time.sleep(0.3 + attempt)
    return run


def _boot_once(image, cpu, bios, stops, end_at_last_stop, timeout, com1_ticks, disk2, keep_dir,
               ips, dump, megs):
    work = keep_dir or tempfile.mkdtemp(prefix="vmxboot-disk-")
    os.makedirs(work, exist_ok=True)
    disk = os.path.join(work, "disk.img")
    shutil.copyfile(image, disk)            # Bochs locks the files it boots
    if disk2:
        shutil.copyfile(disk2, os.path.join(work, "disk2.img"))
        disk2 = os.path.join(work, "disk2.img")
    serial = os.path.join(work, "serial.txt")
    log = os.path.join(work, "bochs.log")
    rc = os.path.join(work, "bochsrc")
    bochs_boot.write_bochsrc(rc, disk, cpu, bios, False, megs, 1, serial, log, disk2=disk2, ips=ips)
    if com1_ticks:
        with open(rc, "a") as f:
            f.write("debug: action=ignore, serial=report\n")
    vga = [os.path.join(work, f"vga-{i}.bin") for i in range(len(stops))]
    commands = []
    for i, address in enumerate(stops):
        # One breakpoint at a time, deleted once reached: stops in order.
        commands += [f"lb 0x{address:x}", "c", "ptime", f'writemem "{vga[i]}" 0xb8000 4000']
        if dump:
            # xp: physical memory (writemem's addresses are the CPU's linear
            # ones: a guest's under VMX, where the EPT may not map them).
            commands.append(f"xp /{dump[1]}wx 0x{dump[0]:x}")
        commands.append(f"d {i + 1}")
    commands += ["q"] if stops and end_at_last_stop else ["c", "q"]
    cmds = os.path.join(work, "cmds")
    with open(cmds, "w") as f:
        f.write("\n".join(commands) + "\n")
    open(serial, "w").close()

    run = DiskRun()
    ran = bochs_boot.run_bochs(work, rc, cmds, log, timeout)
    run.exit_code, run.timed_out, run.halted = ran.exit_code, ran.timed_out, ran.halted
    run.serial = bochs_boot.read_text(serial).replace("\r\n", "\n")
    run.stdout = bochs_boot.read_text(os.path.join(work, "stdout.txt"))
    run.log = bochs_boot.read_text(log)
    run.stop_ticks = [int(t) for t in re.findall(r"^ptime: (\d+)", run.stdout, re.M)]
    for path in vga[:len(run.stop_ticks)]:
        if os.path.exists(path):
            with open(path, "rb") as f:
                run.stop_vga.append(bochs_boot.decode_vga(f.read())[0])
    if dump:
        for part in re.split(r"^ptime: \d+", run.stdout, flags=re.M)[1:]:
            words = [int(w, 16) for line in re.findall(r"^0x[0-9a-f]+ <[^>]*>:(.*)$", part, re.M)
                     for w in line.split()]
            run.stop_dumps.append(words[:dump[1]])
    if keep_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--image", required=True)
    p.add_argument("--cpu", default="corei7_skylake_x")
    p.add_argument("--bios", default="bochs", choices=sorted(bochs_boot.BIOS_IMAGES))
    p.add_argument("--stop", action="append", default=[], type=lambda s: int(s, 0),
                   help="a linear address to stop at (repeatable, in order)")
    p.add_argument("--end-at-last-stop", action="store_true")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--keep", help="keep the run's files in this folder")
    p.add_argument("--megs", type=int, default=64, help="memory in MiB (256 for the linux disk)")
    p.add_argument("--ips", type=int, default=bochs_boot.DEFAULT_IPS,
                   help="emulated instructions per emulated second")
    a = p.parse_args()
    r = boot_disk(a.image, a.cpu, a.bios, a.stop, a.end_at_last_stop, a.timeout, keep_dir=a.keep,
                  megs=a.megs, ips=a.ips)
    sys.stdout.write(r.serial)
    for tick, lines in zip(r.stop_ticks, r.stop_vga):
        print(f"---- VGA text at the stop at tick {tick} " + "-" * 40)
        print("\n".join(lines).rstrip())
    print(f"---- powered off: {r.powered_off}, halted: {r.halted}, timed out: {r.timed_out}, "
          f"stops reached: {len(r.stop_ticks)} of {len(a.stop)}")
    sys.exit(0 if (r.powered_off or (a.end_at_last_stop and len(r.stop_ticks) == len(a.stop)))
             and not r.timed_out else 1)


if __name__ == "__main__":
    main()
