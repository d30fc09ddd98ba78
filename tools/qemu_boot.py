#!/usr/bin/env python3
"""Boot a vmxboot image once in QEMU (TCG, SeaBIOS): the platform without VMX.

QEMU's TCG does not emulate VMX, so a run here goes through the whole boot
chain and ends with `no-vmx`. The image is booted from an IDE disk or from an
emulated USB stick on xHCI; `-no-reboot` turns a triple fault into an exit.
The machine is QEMU's `pc` (i440FX) unless a test asks for another (`q35`,
with `devices` such as `intel-iommu` and `edu`: docs/platform.md).
"""
import os
import shutil
import subprocess
import tempfile
import threading
import time

from boot_result import BootResult


def boot(image, usb=False, megs=64, timeout=120, press_key=False, machine="pc", devices=()):
    """Boots once. press_key: COM1 goes through named pipes, and once the
    result line is out a byte is sent to COM1, as a person at a terminal
    would, which ends the VMM's end-of-run wait (QEMU's PIT runs in real
    time: 15 real seconds otherwise). machine: QEMU's -machine; devices:
    one -device each (e.g. "intel-iommu,caching-mode=on"). Returns a
    BootResult (COM1, exit code, timeout, seconds_after_key; QEMU's own
    messages on its standard error, such as the DMA faults its VT-d unit
    reports, as its log)."""
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
        cmd = ["qemu-system-x86_64", "-machine", machine, "-accel", "tcg", "-m", str(megs),
               "-display", "none", "-no-reboot", "-serial", serial_option,
               "-monitor", "none", *drive]
        for device in devices:
            cmd += ["-device", device]
        start = time.monotonic()
        stderr_path = os.path.join(work, "stderr.txt")
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=stderr)
        received = bytearray()
        key_time = []
        if press_key:
            reader = threading.Thread(target=_talk_to_com1, args=(com1, received, key_time),
                                      daemon=True)
            reader.start()
        result = BootResult("qemu")
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            result.timed_out = True
            proc.kill()
            proc.wait()
        end = time.monotonic()
        if press_key:
            reader.join(timeout=5)
            data = bytes(received)
        else:
            with open(serial, "rb") as f:
                data = f.read()
        result.serial = data.decode("latin-1").replace("\r\n", "\n")
        with open(stderr_path, "rb") as f:
            result.log = f.read().decode("latin-1")
        result.exit_code = proc.returncode
        result.wall_seconds = end - start
        # With press_key: wall seconds from the byte sent to QEMU's exit.
        result.seconds_after_key = end - key_time[0] if key_time else None
        return result
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
