#!/usr/bin/env python3
"""Boot a disk once in Bochs 2.7, headless, and report what it did.

Used by `make run`, the integration tests (through tools/boots.py) and the
benchmark. Each boot runs in its own temporary folder on its own copy of the
image (Bochs locks the image file), with a generated bochsrc and a debugger
command file. A vmxboot image: at the run's one magic breakpoint (`xchg
bx,bx` after the result line) the VGA text page is dumped and the run goes
on to its power-off. Any disk, vmxboot's or not (a chain-mode guest disk
from tools/disk2, booted natively): linear addresses to stop at (Bochs
debugger `lb`, in order), with the tick and the VGA page at each, and
optionally physical memory; with com1_ticks every write to COM1's transmit
register is logged with its tick.

The run is bounded by a wall-clock timeout; a run that hangs, triple-faults
(Bochs resets the machine) or never prints a result line is reported as such
(tools/boot_result.py). Ticks are Bochs' emulated-instruction counter
(`clock: sync=none`), the unit of `make bench`; they repeat exactly for the
same disk, BIOS and CPU.
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

import bochs_models
from boot_result import BootResult, decode_vga

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
                  disk2=None, ips=DEFAULT_IPS, com1_ticks=False):
    """ips: emulated instructions per emulated second (above). com1_ticks:
    the serial device's debug messages, every register write with its tick."""
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
        "debug: action=ignore" + (", serial=report" if com1_ticks else ""),
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


def boot(image, cpu="corei7_skylake_x", bios="bochs", floppy=False, megs=64, cpus=1,
         timeout=120, stream=None, keep_dir=None, lang=None, extra_lines=(), disk2=None,
         ips=DEFAULT_IPS, stops=(), end_at_last_stop=False, com1_ticks=False, dump=None,
         debugger_first=()):
    """Boot `image` once; returns a BootResult. `stream`: a file to copy COM1 to
    while the run goes on. `lang`: the LANG Bochs runs under (default: ours).
    `extra_lines`: more bochsrc lines. `disk2`: a second disk (ata0-slave,
    BIOS drive 0x81 after a hard-disk boot). `ips`: see write_bochsrc.
    `stops`: linear addresses to stop at, in order (one breakpoint at a
    time, deleted once reached), or ticks (tick_stop(T): a time
    breakpoint), each stop's tick and VGA page recorded;
    `end_at_last_stop`: the run ends there; `dump`: (address, dwords) of
    physical memory to read at each stop. `debugger_first`: debugger
    commands run before the machine starts (to stop it somewhere and change
    its state; they must leave no breakpoint behind). A Bochs that dies while starting
    up (two of them racing for the same VNC port) is started again; one that
    keeps dying is reported as that (BootResult.died_at_start)."""
    if bios not in BIOS_IMAGES:
        raise ValueError(f"unknown BIOS {bios!r}; one of {', '.join(BIOS_IMAGES)}")
    for attempt in range(3):
        if attempt:
            time.sleep(attempt - 0.7)  # 0.3 s, then 1.3 s (none after the last)
        result = _boot_once(image, cpu, bios, floppy, megs, cpus, timeout, stream, keep_dir,
                            lang, extra_lines, disk2, ips, stops, end_at_last_stop, com1_ticks,
                            dump, debugger_first)
        if not result.died_at_start:
            break
    return result


def tick_stop(tick):
    """A stop at an absolute tick (a Bochs time breakpoint), for `stops`."""
    return ("tick", tick)


def debugger_commands(stops, end_at_last_stop, dump, stop_pages, final_page):
    """The debugger's command file: each line runs when Bochs stops."""
    commands = []
    breakpoints = 0
    for i, stop in enumerate(stops):
        if isinstance(stop, tuple):
            # A time breakpoint, deleted once caught.
            commands += [f"sba {stop[1]}", "c"]
        else:
            # One breakpoint at a time, deleted once reached: stops in order.
            breakpoints += 1
            commands += [f"lb 0x{stop:x}", "c"]
        commands += ["ptime", f'writemem "{stop_pages[i]}" 0xb8000 4000']
        if dump:
            # xp: physical memory (writemem's addresses are the CPU's linear
            # ones: a guest's under VMX, where the EPT may not map them).
            commands.append(f"xp /{dump[1]}wx 0x{dump[0]:x}")
        if not isinstance(stop, tuple):
            commands.append(f"d {breakpoints}")
    if stops and end_at_last_stop:
        return commands + ["q"]
    # The magic breakpoint after the result line: the screen dumped, then on
    # to the power-off; further stops (a second breakpoint would be a bug)
    # are counted from the output and continued. A disk that is not
    # vmxboot's runs to its end.
    return commands + ["c", f'writemem "{final_page}" 0xb8000 4000', "c", "c", "c", "q"]


def _boot_once(image, cpu, bios, floppy, megs, cpus, timeout, stream, keep_dir, lang,
               extra_lines, disk2, ips, stops, end_at_last_stop, com1_ticks, dump,
               debugger_first):
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
    stop_pages = [os.path.join(work, f"vga-{i}.bin") for i in range(len(stops))]
    rc = os.path.join(work, "bochsrc")
    cmds = os.path.join(work, "cmds")
    if disk2:
        # A copy too: Bochs locks its disk files, and runs go on in parallel.
        shutil.copyfile(disk2, os.path.join(work, "disk2.img"))
        disk2 = os.path.join(work, "disk2.img")
    write_bochsrc(rc, disk, cpu, bios, floppy, megs, cpus, serial, log, extra_lines, disk2, ips,
                  com1_ticks)
    with open(cmds, "w") as f:
        f.write("".join(line + "\n" for line in debugger_first))
        f.write("\n".join(debugger_commands(stops, end_at_last_stop, dump, stop_pages, vga))
                + "\n")
    open(serial, "w").close()

    result = BootResult("bochs")
    env = dict(os.environ)
    if lang is not None:
        env.pop("LC_ALL", None)
        env["LANG"] = lang
    streamed = [0]

    def copy_serial():
        streamed[0] = _stream_new(serial, streamed[0], stream)

    run_bochs(result, work, rc, cmds, log, timeout, env=env,
              on_poll=copy_serial if stream is not None else None,
              screen_dumps=[vga] + stop_pages)
    if stream is not None:
        copy_serial()
    result.serial = read_text(serial).replace("\r\n", "\n")
    result.stdout = read_text(os.path.join(work, "stdout.txt"))
    result.log = read_text(log)
    if os.path.exists(vga):
        with open(vga, "rb") as f:
            result.vga_bytes = f.read()
        result.vga_lines, result.vga_attrs = decode_vga(result.vga_bytes)
    # The stops reached. A run stopped (timeout, halt) on its way to a stop
    # runs that stop's commands all the same: that tick is no stop's, and
    # that page is the run's last.
    # (Not at a line's start: the guest's port 0xE9 bytes may come first.)
    reached = stops_reached(stops, result.stdout)
    result.stop_ticks = [int(t) for t in re.findall(r"ptime: (\d+)", result.stdout)][:reached]
    for i, path in enumerate(stop_pages):
        if os.path.exists(path):
            with open(path, "rb") as f:
                page = f.read()
            if i < reached:
                result.stop_vga.append(decode_vga(page)[0])
            elif not result.vga_bytes:
                result.vga_bytes = page
                result.vga_lines, result.vga_attrs = decode_vga(page)
    if dump:
        for part in re.split(r"ptime: \d+", result.stdout)[1:reached + 1]:
            words = [int(w, 16) for line in re.findall(r"^0x[0-9a-f]+ <[^>]*>:(.*)$", part, re.M)
                     for w in line.split()]
            result.stop_dumps.append(words[:dump[1]])
    if keep_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return result


def stops_reached(stops, stdout):
    """How many of STOPS, in order, the run reached (Bochs' output STDOUT):
    an address stop by its breakpoint, a tick stop by its caught time
    breakpoint."""
    hits = re.findall(r"\(\d+\) (Breakpoint \d+, |Caught time breakpoint)", stdout)
    reached = 0
    for stop, hit in zip(stops, hits):
        if hit.startswith("Caught") != isinstance(stop, tuple):
            break
        reached += 1
    return reached


HALT_GRACE_SECONDS = 0.5


def run_bochs(ran, work, rc, cmds, log, timeout, env=None, on_poll=None, screen_dumps=()):
    """Runs Bochs on bochsrc RC with the debugger commands CMDS in WORK (its
    stdout to WORK/stdout.txt) until it exits, halts for good, or TIMEOUT
    wall seconds pass; then the debugger is stopped and runs what is left of
    CMDS (the screen dump) before it quits. ON_POLL runs every 0.2 s.
    SCREEN_DUMPS: the files the dumps write (the final one first), whose
    appearance ends a stopped run at once (the commands after a dump would
    continue a halted CPU). How
    the run ended goes into RAN (a BootResult): exit_code, timed_out,
    halted, wall_seconds. The one loop Bochs runs in."""
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
                    _stop_with_screen(proc, screen_dumps)
                    break
            if time.monotonic() - start > timeout:
                ran.timed_out = True
                _stop_with_screen(proc, screen_dumps)
                break
    ran.wall_seconds = time.monotonic() - start
    ran.exit_code = proc.returncode


def read_text(path):
    """A run's output file as text ("" when the run never wrote it)."""
    if not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        return f.read().decode("latin-1")


def _stop_with_screen(proc, screen_dumps=()):
    """Stops a run that will not end by itself: the emulator's debugger
    first, which then runs the next lines of the command file up to a VGA
    dump (at a stop, after its tick), so that even a run that hangs or
    halts shows what was on its screen; then, once the final dump
    (SCREEN_DUMPS[0]) or another one is written (or 2 s have passed), the
    emulator."""
    before = {path for path in screen_dumps[1:] if os.path.exists(path)}
    proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            proc.wait(timeout=0.05)
            return
        except subprocess.TimeoutExpired:
            pass
        if any(os.path.exists(path) for path in screen_dumps[:1]) or \
                {path for path in screen_dumps[1:] if os.path.exists(path)} - before:
            time.sleep(0.05)  # the dump's 4000 bytes written
            break
    proc.kill()
    proc.wait()


def halted_for_good(log):
    """Whether Bochs' log ends with the boot CPU halted with interrupts off
    (a halt nothing can end)."""
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
    p.add_argument("--ips", type=int, default=DEFAULT_IPS,
                   help="emulated instructions per emulated second (Bochs' ips)")
    p.add_argument("--stream", action="store_true", help="copy COM1 to the terminal as it comes")
    p.add_argument("--show-vga", action="store_true", help="print the final VGA text page")
    p.add_argument("--expect-result", help="fail unless the run ends with this result code")
    p.add_argument("--keep", help="keep the run's files (bochsrc, logs, dumps) in this folder")
    p.add_argument("--png", help="render the final VGA page to this PNG file")
    p.add_argument("--disk2", help="a second disk, attached as ata0-slave (BIOS drive 0x81)")
    p.add_argument("--stop", action="append", default=[], type=lambda s: int(s, 0),
                   help="a linear address to stop at (repeatable, in order): its tick and VGA page")
    p.add_argument("--end-at-last-stop", action="store_true")
    p.add_argument("--not-vmxboot", action="store_true",
                   help="a disk that is not vmxboot's: no run contract; it must power off, or "
                        "with --end-at-last-stop reach every stop")
    a = p.parse_args()

    if not os.path.exists(a.image):
        sys.exit(f"bochs_boot: no image at {a.image}: run `make image` first")
    if a.cpu not in bochs_models.discovered():
        sys.exit(f"bochs_boot: Bochs has no CPU model {a.cpu!r}; `bochs --help cpu` lists: "
                 + " ".join(bochs_models.discovered()))
    print(f"vmxboot: booting {a.image} in Bochs, cpu={a.cpu}, bios={a.bios}"
          f"{', as a floppy' if a.floppy else ''} (headless; COM1 follows)", flush=True)
    r = boot(a.image, a.cpu, a.bios, a.floppy, a.megs, a.cpus, a.timeout,
             stream=sys.stdout if a.stream else None, keep_dir=a.keep, disk2=a.disk2,
             ips=a.ips, stops=a.stop, end_at_last_stop=a.end_at_last_stop)
    if not a.stream:
        sys.stdout.write(r.serial)
    for i, tick in enumerate(r.stop_ticks):
        print(f"---- VGA text at the stop at tick {tick} " + "-" * 40)
        print(r.vga_text(i).rstrip())
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
    if a.not_vmxboot:
        print(f"---- powered off: {r.powered_off}, halted: {r.halted}, timed out: {r.timed_out}, "
              f"stops reached: {len(r.stop_ticks)} of {len(a.stop)}")
        sys.exit(0 if (r.powered_off or (a.end_at_last_stop and len(r.stop_ticks) == len(a.stop)))
                 and not r.timed_out else 1)
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
