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
import time

from bochs_boot import RESULT_RE


class QemuResult:
    def __init__(self, serial, exit_code, timed_out):
        self.serial = serial
        self.exit_code = exit_code
        self.timed_out = timed_out

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


def boot(image, usb=False, megs=64, timeout=120):
    work = tempfile.mkdtemp(prefix="vmxboot-qemu-")
    try:
        disk = os.path.join(work, "disk.img")
        shutil.copyfile(image, disk)
        serial = os.path.join(work, "serial.txt")
        if usb:
            drive = ["-device", "qemu-xhci", "-drive", f"if=none,id=stick,format=raw,file={disk}",
                     "-device", "usb-storage,drive=stick,bootindex=0"]
        else:
            drive = ["-drive", f"file={disk},format=raw,if=ide"]
        cmd = ["qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-m", str(megs),
               "-display", "none", "-no-reboot", "-serial", f"file:{serial}",
               "-monitor", "none", *drive]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()
            proc.wait()
        with open(serial, "rb") as f:
            text = f.read().decode("latin-1").replace("\r\n", "\n")
        return QemuResult(text, proc.returncode, timed_out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
