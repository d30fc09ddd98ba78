#!/usr/bin/env python3
"""Boot a vmxboot image once in Bochs 2.7, headless, and report what it did.

Used by `make run`, the integration tests and the benchmark. Each boot runs in
its own temporary folder on its own copy of the image (Bochs locks the image
file), with a generated bochsrc and a debugger command file that, at the
run's one magic breakpoint (`xchg bx,bx` after the result line), dumps the VGA
text page and lets the run go on to its power-off.

The run is bounded by a wall-clock timeout; a run that hangs, triple-faults
(Bochs resets the machine) or never prints a result line is reported as such.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import emulators

BIOS_IMAGES = {
    # name: (romimage line, vgaromimage line, extra lines)
    "bochs": ("file=/usr/share/bochs/BIOS-bochs-latest",
              "file=/usr/share/bochs/VGABIOS-lgpl-latest", []),
    "bochs-legacy": ("file=/usr/share/bochs/BIOS-bochs-legacy",
                     "file=/usr/share/bochs/VGABIOS-lgpl-latest", []),
    # Without the PCI VGA card SeaBIOS never runs the VGA BIOS and text memory
    # reads all ones (docs/bochs.md).
    "seabios": ("file=/usr/share/seabios/bios.bin",
                "file=/usr/share/vgabios/vgabios.bin",
                ["pci: enabled=1, chipset=i440fx, slot1=pcivga"]),
}

RESULT_RE = re.compile(r"^vmxboot: result=([a-z0-9-]+)(.*)$")
MAGIC_RE = re.compile(r"Magic breakpoint|\(\d+\)\.\[\d+\] .*xchg bx, bx", re.I)


class BootResult:
    def __init__(self):
        self.serial = ""          # everything COM1 received
        self.vga_lines = []       # the 80x25 text page at the magic breakpoint
        self.vga_attrs = []       # attribute bytes, same shape
        self.vga_bytes = b""      # the raw page: character, attribute, ...
        self.log = ""             # Bochs' own log
        self.stdout = ""          # Bochs' stdout (debugger, port 0xE9)
        self.exit_code = None
        self.timed_out = False
        self.halted = False       # stopped for good with interrupts off
        self.wall_seconds = 0.0

    @property
    def exit_status(self):
        """The exit code as a shell shows it (128 + the signal for a signal)."""
        code = self.exit_code
        return 128 - code if code is not None and code < 0 else code

    @property
    def died_at_start(self):
        """Bochs ended by itself before the BIOS booted anything (a bad
        bochsrc, a missing ROM, a plugin that aborts): no tick ran our code."""
        return (not self.timed_out and not self.halted and "Booting from" not in self.log
                and not self.serial and self.exit_code not in (None, 0))

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
        return "ACPI control: soft power off" in self.log

    @property
    def triple_faulted(self):
        return "3rd (" in self.log and "exception with no resolution" in self.log

    def vga_text(self):
        return "\n".join(self.vga_lines)

    def problems(self):
        """What broke the run contract, as a list of sentences (empty: none)."""
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
        if self.magic_breaks != 1:
            out.append(f"{self.magic_breaks} magic breakpoints, want exactly 1")
        announced_halt = "cannot power off" in self.serial
        if self.halted and not announced_halt:
            out.append("halted with interrupts off without saying why")
        if not self.powered_off and not self.timed_out and not (self.halted and announced_halt):
            out.append("no ACPI power-off")
        return out


def read_layout(build):
    """The constants and structure offsets of abi/layout.h, as generated for
    NASM into build/gen/layout.inc (the one source of truth)."""
    values = {}
    with open(os.path.join(build, "gen", "layout.inc")) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "%define":
                values[parts[1]] = int(parts[2], 0)
    return values


# Emulated instructions per emulated second: Bochs' own default, and the
# harness's. What waits by the clock (the firmware's boot-menu wait and its
# retries, disk timeouts, the UART's transmit time, the VMM's time bounds
# and end-of-run wait) costs that many instructions per second of it; what
# does not wait is counted the same at any rate. At a million, a quarter of
# Bochs' default, a boot takes some 15 % less wall time under SeaBIOS and
# the guest disks' waits a quarter; tests that measure emulated time
# against instructions (the end-of-run wait, a guest's COM1 flood) ask for
# BOCHS_IPS, and `make bench` runs at it.
BOCHS_IPS = 4_000_000
DEFAULT_IPS = 1_000_000


def write_bochsrc(path, image, cpu, bios, floppy, megs, cpus, serial, log, extra_lines=(),
                  disk2=None, ips=DEFAULT_IPS):
    """ips: emulated instructions per emulated second (above)."""
    rom, vgarom, extra = BIOS_IMAGES[bios]
    cpu_options = f"model={cpu}" + (f", count={cpus}" if cpus > 1 else "") + \
        f", ips={ips}"
    lines = [
        f"megs: {megs}",
        f"romimage: {rom}",
        f"vgaromimage: {vgarom}",
        *extra,
        f"cpu: {cpu_options}",
        'display_library: rfb, options="timeout=0"',
        "magic_break: enabled=1",
        "port_e9_hack: enabled=1",
        "clock: sync=none",
        "speaker: enabled=0",
        # Bochs 2.7 aborts in its ALSA plugin under LANG=C.UTF-8 on a machine
        # without a sound card (docs/bochs.md): no sound device at all.
        "sound: driver=dummy",
        f"com1: enabled=1, mode=file, dev={serial}",
        f"log: {log}",
        "panic: action=fatal",
        "error: action=report",
        "info: action=report",
        "debug: action=ignore",
    ]
    lines += list(extra_lines)
    if floppy:
        lines += [f"floppya: 1_44={image}, status=inserted", "boot: floppy"]
    else:
        lines += [f"ata0-master: type=disk, path={image}, mode=flat", "boot: disk"]
    if disk2:
        # A second BIOS disk (0x81 after a hard-disk boot): chain mode's guest.
        lines.append(f"ata0-slave: type=disk, path={disk2}, mode=flat")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def decode_vga(data):
    chars, attrs = [], []
    for row in range(25):
        cells = data[row * 160:(row + 1) * 160]
        text = "".join(chr(c) if 32 <= c < 127 else " " for c in cells[0::2])
        chars.append(text.rstrip())
        attrs.append(bytes(cells[1::2]))
    return chars, attrs


def boot(image, cpu="corei7_skylake_x", bios="bochs", floppy=False, megs=64, cpus=1,
         timeout=120, stream=None, keep_dir=None, lang=None, extra_lines=(), disk2=None,
         ips=DEFAULT_IPS, debugger_first=()):
    """Boot `image` once; returns a BootResult. `stream`: a file to copy COM1 to
    while the run goes on. `lang`: the LANG Bochs runs under (default: ours).
    `extra_lines`: more bochsrc lines. `ips`: see write_bochsrc.
    `debugger_first`: debugger commands run before the machine starts (to
    stop it somewhere and change its state; they must leave no breakpoint
    behind). A Bochs that dies while starting up
    (two of them racing for the same VNC port) is started again; one that
    keeps dying is reported as that (BootResult.died_at_start)."""
    for attempt in range(3):
        with emulators.SLOTS:
            result = _boot_once(image, cpu, bios, floppy, megs, cpus, timeout, stream, keep_dir,
                                lang, extra_lines, disk2, ips, debugger_first)
        if not result.died_at_start:
            return result
        time.sleep(0.3 + attempt)
    return result


def _boot_once(image, cpu, bios, floppy, megs, cpus, timeout, stream, keep_dir, lang,
               extra_lines, disk2, ips, debugger_first):
    if bios not in BIOS_IMAGES:
        raise ValueError(f"unknown BIOS {bios!r}; one of {', '.join(BIOS_IMAGES)}")
    work = keep_dir or tempfile.mkdtemp(prefix="vmxboot-bochs-")
    os.makedirs(work, exist_ok=True)
    disk = os.path.join(work, "disk.img")
    if floppy:
        # A 1.44 MB floppy holds the first 2880 sectors of the image.
        with open(image, "rb") as f:
            data = f.read(1474560)
        with open(disk, "wb") as f:
            f.write(data.ljust(1474560, b"\0"))
    else:
        shutil.copyfile(image, disk)
    serial = os.path.join(work, "serial.txt")
    log = os.path.join(work, "bochs.log")
    vga = os.path.join(work, "vga.bin")
    rc = os.path.join(work, "bochsrc")
    cmds = os.path.join(work, "cmds")
    if disk2:
        # A copy too: Bochs locks its disk files, and runs go on in parallel.
        shutil.copyfile(disk2, os.path.join(work, "disk2.img"))
        disk2 = os.path.join(work, "disk2.img")
    write_bochsrc(rc, disk, cpu, bios, floppy, megs, cpus, serial, log, extra_lines, disk2, ips)
    with open(cmds, "w") as f:
        # Stop 1: the magic breakpoint after the result line. Then go on to
        # the power-off; further stops (a second breakpoint would be a bug)
        # are counted from the output and continued.
        f.write("".join(line + "\n" for line in debugger_first))
        f.write(f'c\nwritemem "{vga}" 0xb8000 4000\nc\nc\nc\nq\n')
    open(serial, "w").close()

    result = BootResult()
    env = dict(os.environ)
    if lang is not None:
        env.pop("LC_ALL", None)
        env["LANG"] = lang
    streamed = [0]

    def copy_serial():
        streamed[0] = _stream_new(serial, streamed[0], stream)

    ran = run_bochs(work, rc, cmds, log, timeout, env=env,
                    on_poll=copy_serial if stream is not None else None, screen_dump=vga)
    if stream is not None:
        copy_serial()
    result.wall_seconds, result.exit_code = ran.wall_seconds, ran.exit_code
    result.timed_out, result.halted = ran.timed_out, ran.halted
    result.serial = read_text(serial).replace("\r\n", "\n")
    result.stdout = read_text(os.path.join(work, "stdout.txt"))
    result.log = read_text(log)
    if os.path.exists(vga):
        with open(vga, "rb") as f:
            result.vga_bytes = f.read()
        result.vga_lines, result.vga_attrs = decode_vga(result.vga_bytes)
    if keep_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return result


HALT_GRACE_SECONDS = 0.5


class Ran:
    """How a Bochs run ended (run_bochs)."""

    def __init__(self):
        self.exit_code = None
        self.timed_out = False
        self.halted = False     # stopped for good: HLT with interrupts off, lasting
        self.wall_seconds = 0.0


def run_bochs(work, rc, cmds, log, timeout, env=None, on_poll=None, screen_dump=None):
    """Runs Bochs on bochsrc RC with the debugger commands CMDS in WORK (its
    stdout to WORK/stdout.txt) until it exits, halts for good, or TIMEOUT
    wall seconds pass; then the debugger is stopped and runs what is left of
    CMDS (the screen dump) before it quits. ON_POLL runs every 0.2 s.
    SCREEN_DUMP: the file that dump writes, whose appearance ends a stopped
    run at once (the commands after it would continue a halted CPU). The
    one loop both harnesses (this one and disk_boot.py) run Bochs in."""
    ran = Ran()
    start = time.monotonic()
    halt_seen = None
    with open(os.path.join(work, "stdout.txt"), "wb") as out:
        proc = subprocess.Popen(["bochs", "-q", "-f", rc, "-rc", cmds], cwd=work, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        while True:
            try:
                proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            if on_poll is not None:
                on_poll()
            if halted_for_good(log):
                # HLT with IF=0 never ends: the run stopped where power-off
                # was impossible (said on COM1), or where stage1 gave up (no
                # COM1 at all). Only once it lasts: Bochs logs the warning
                # for a guest's HLT too, which exits to the VMM, and a run
                # that ends the guest that way powers off right after its
                # result line.
                if halt_seen is None:
                    halt_seen = time.monotonic()
                elif time.monotonic() - halt_seen > HALT_GRACE_SECONDS:
                    ran.halted = True
                    _stop_with_screen(proc, screen_dump)
                    break
            if time.monotonic() - start > timeout:
                ran.timed_out = True
                _stop_with_screen(proc, screen_dump)
                break
    ran.wall_seconds = time.monotonic() - start
    ran.exit_code = proc.returncode
    return ran


def read_text(path):
    """A run's output file as text ("" when the run never wrote it)."""
    if not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        return f.read().decode("latin-1")


def _stop_with_screen(proc, screen_dump=None):
    """Stops a run that will not end by itself: the emulator's debugger
    first, which then runs the next line of the command file, the VGA dump,
    so that even a run that hangs or halts shows what was on its screen;
    then, once SCREEN_DUMP is written (or 2 s have passed), the emulator."""
    proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            proc.wait(timeout=0.05)
            return
        except subprocess.TimeoutExpired:
            pass
        if screen_dump is not None and os.path.exists(screen_dump):
            time.sleep(0.05)  # the dump's 4000 bytes written
            break
    proc.kill()
    proc.wait()


def halted_for_good(log):
    """Whether Bochs' log ends with the boot CPU halted with interrupts off
    (a halt nothing can end); also used by disk_boot.py."""
    try:
        with open(log, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            # The bootstrap processor (the others are parked by the BIOS).
            return b"[CPU0  ] WARNING: HLT instruction with IF=0" in f.read()
    except FileNotFoundError:
        return False


def _stream_new(path, done, out):
    try:
        with open(path, "rb") as f:
            f.seek(done)
            data = f.read()
    except FileNotFoundError:
        return done
    if data:
        out.write(data.decode("latin-1").replace("\r\n", "\n"))
        out.flush()
    return done + len(data)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--image", required=True)
    p.add_argument("--cpu", default="corei7_skylake_x", help="Bochs CPU model (bochs --help cpu)")
    p.add_argument("--bios", default="bochs", choices=sorted(BIOS_IMAGES))
    p.add_argument("--floppy", action="store_true", help="boot the image as a 1.44 MB floppy")
    p.add_argument("--megs", type=int, default=64)
    p.add_argument("--cpus", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--stream", action="store_true", help="copy COM1 to the terminal as it comes")
    p.add_argument("--show-vga", action="store_true", help="print the final VGA text page")
    p.add_argument("--expect-result", help="fail unless the run ends with this result code")
    p.add_argument("--keep", help="keep the run's files (bochsrc, logs, dumps) in this folder")
    p.add_argument("--png", help="render the final VGA page to this PNG file")
    p.add_argument("--disk2", help="a second disk, attached as ata0-slave (BIOS drive 0x81)")
    a = p.parse_args()

    if not os.path.exists(a.image):
        sys.exit(f"bochs_boot: no image at {a.image}: run `make image` first")
    print(f"vmxboot: booting {a.image} in Bochs, cpu={a.cpu}, bios={a.bios}"
          f"{', as a floppy' if a.floppy else ''} (headless; COM1 follows)", flush=True)
    r = boot(a.image, a.cpu, a.bios, a.floppy, a.megs, a.cpus, a.timeout,
             stream=sys.stdout if a.stream else None, keep_dir=a.keep, disk2=a.disk2)
    if not a.stream:
        sys.stdout.write(r.serial)
    if a.show_vga:
        print("---- final VGA text screen " + "-" * 53)
        for line in r.vga_lines:
            print(line)
        print("-" * 80)
    if a.png:
        import vga_png
        with open(a.png, "wb") as f:
            f.write(vga_png.png(*vga_png.render(r.vga_bytes, vga_png.load_font(vga_png.DEFAULT_ROM))))
        print(f"vmxboot: final screen written to {a.png}")
    code, _ = r.result
    problems = r.problems()
    for problem in problems:
        print(f"vmxboot: run problem: {problem}", file=sys.stderr)
    if a.expect_result and code != a.expect_result:
        print(f"vmxboot: expected result={a.expect_result}, got result={code}", file=sys.stderr)
        sys.exit(1)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
