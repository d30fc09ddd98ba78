"""The harness's one pool of boots: boot requests run on one emulator per
core, each booted once a process and its BootResult kept by request.

A request names the emulator and the arguments of its boot function
(tools/bochs_boot.py's or tools/qemu_boot.py's boot()): `bochs(image,
cpu=..., bios=...)`, `qemu(image, usb=True)`. Two requests with the same
arguments (defaults filled in) on the same unchanged files are one boot:
the integration tests ask for what they need, in any thread and any number
of times, and the bench asks for its runs. `start` queues boots (the
caller goes on), `result`/`results` wait for them. A boot's timeout is
wall time: with one emulator per core none waits for a core while its
clock runs.
"""
import concurrent.futures
import inspect
import os
import threading

import bochs_boot
import qemu_boot

EMULATORS = {"bochs": bochs_boot.boot, "qemu": qemu_boot.boot}

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                              thread_name_prefix="boot")
_booted = {}  # request key -> Future of its BootResult
_lock = threading.Lock()


def _frozen(value):
    return tuple(_frozen(v) for v in value) if isinstance(value, (list, tuple)) else value


def _stamp(path):
    """What tells one version of a file from another: a rewritten image is
    another boot."""
    if path is None:
        return None
    s = os.stat(path)
    return (os.path.realpath(path), s.st_size, s.st_mtime_ns, s.st_ino)


class Request:
    """One boot: EMULATOR ("bochs" or "qemu") with its boot function's
    arguments."""

    def __init__(self, emulator, image, **options):
        bound = inspect.signature(EMULATORS[emulator]).bind(image, **options)
        bound.apply_defaults()
        self.emulator = emulator
        self.arguments = {name: _frozen(value) for name, value in bound.arguments.items()}

    def key(self):
        return (self.emulator, tuple(sorted(self.arguments.items())),
                _stamp(self.arguments["image"]), _stamp(self.arguments.get("disk2")))

    def run(self):
        return EMULATORS[self.emulator](**self.arguments)

    def __repr__(self):
        return f"{self.emulator}({self.arguments})"


def bochs(image, **options):
    """A boot of IMAGE in Bochs (bochs_boot.boot's arguments)."""
    return Request("bochs", image, **options)


def qemu(image, **options):
    """A boot of IMAGE in QEMU (qemu_boot.boot's arguments)."""
    return Request("qemu", image, **options)


def start(requests):
    """Queues the REQUESTS not booted or queued yet, in their order; returns
    the futures of all of them."""
    futures = []
    with _lock:
        for request in requests:
            key = request.key()
            if key not in _booted:
                _booted[key] = _pool.submit(request.run)
            futures.append(_booted[key])
    return futures


def results(requests):
    """The BootResults of REQUESTS, booted at once (those not booted yet)."""
    return [future.result() for future in start(requests)]


def result(request):
    """The BootResult of REQUEST, booted now unless it was already."""
    return results([request])[0]


def finish():
    """Drops the boots queued and not started (a run of selected tests asks
    for more than it waits for); waits for those running."""
    _pool.shutdown(cancel_futures=True)
