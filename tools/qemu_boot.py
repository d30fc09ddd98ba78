#!/usr/bin/env python3
"""Boot a vmxboot image once in QEMU (TCG, SeaBIOS): the platform without VMX.

QEMU's TCG does not emulate VMX, so a run here goes through the whole boot
chain and ends with `no-vmx`. The image is booted from an IDE disk or from an
emulated USB stick on xHCI; `-no-reboot` turns a triple fault into an exit.
"""
import os
import shutil
import subprocess
import tempfile
import threading
import time

import emulators
from bochs_boot import RESULT_RE


class QemuResult:
    def __init__(self, serial, exit_code, timed_out, seconds_after_key=None):
        self.serial = serial
        self.exit_code = exit_code
        self.timed_out = timed_out
        # With press_key: wall seconds from the byte sent to QEMU's exit.
        self.seconds_after_key = seconds_after_key

    @property
    def result(self):
        lines = [l.strip() for l in self.serial.splitlines() if RESULT_RE.match(l.strip())]
        if not lines:
            return None, {}
        m = RESULT_RE.match(lines[-1])
        return m.group(1), dict(kv.split("=", 1) for kv in m.group(2).split() if "=" in kv)

    def problems(self):
        out = []
        lines = [l.strip() for l in self.serial.splitlines() if l.strip()]
        results = [l for l in lines if RESULT_RE.match(l)]
        if self.timed_out:
            out.append("the run did not end by itself (timeout)")
        if len(results) != 1:
            out.append(f"{len(results)} result lines on COM1, want exactly 1")
        elif lines[-1] != results[0]:
            out.append(f"the result line is not the last line on COM1: {lines[-1]!r}")
        if self.exit_code != 0 and not self.timed_out:
            out.append(f"QEMU exited with {self.exit_code} (a triple fault with -no-reboot?)")
        return out


def boot(image, usb=False, megs=64, timeout=120, press_key=False):
    """Boots once. press_key: COM1 goes through named pipes, and once the
    result line is out a byte is sent to COM1, as a person at a terminal
    would, which ends the VMM's end-of-run wait (QEMU's PIT runs in real
    time: 15 real seconds otherwise)."""
    with emulators.SLOTS:
        return _boot_once(image, usb, megs, timeout, press_key)


def _boot_once(image, usb, megs, timeout, press_key):
    work = tempfile.mkdtemp(prefix="vmxboot-qemu-")
    try:
        disk = os.path.join(work, "disk.img")
        shutil.copyfile(image, disk)
        serial = os.path.join(work, "serial.txt")
        com1 = os.path.join(work, "com1")
        if usb:
            drive = ["-device", "qemu-xhci", "-drive", f"if=none,id=stick,format=raw,file={disk}",
                     "-device", "usb-storage,drive=stick,bootindex=0"]
        else:
            drive = ["-drive", f"file={disk},format=raw,if=ide"]
        if press_key:
            os.mkfifo(com1 + ".in")
            os.mkfifo(com1 + ".out")
            serial_option = f"pipe:{com1}"
        else:
            serial_option = f"file:{serial}"
        cmd = ["qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-m", str(megs),
               "-display", "none", "-no-reboot", "-serial", serial_option,
               "-monitor", "none", *drive]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        received = bytearray()
        key_time = []
        if press_key:
            reader = threading.Thread(target=_talk_to_com1, args=(com1, received, key_time),
                                      daemon=True)
            reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()
            proc.wait()
        end = time.monotonic()
        if press_key:
            reader.join(timeout=5)
            data = bytes(received)
        else:
            with open(serial, "rb") as f:
                data = f.read()
        text = data.decode("latin-1").replace("\r\n", "\n")
        after = end - key_time[0] if key_time else None
        return QemuResult(text, proc.returncode, timed_out, after)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _talk_to_com1(base, received, key_time):
    """Reads COM1 until QEMU closes it; sends one byte after the result line."""
    with open(base + ".out", "rb", buffering=0) as out, open(base + ".in", "wb", buffering=0) as inp:
        while True:
            data = out.read(4096)
            if not data:
                return
            received.extend(data)
            tail = bytes(received).split(b"vmxboot: result=")
            if not key_time and len(tail) > 1 and b"\n" in tail[-1]:
                inp.write(b"\r")
                key_time.append(time.monotonic())
