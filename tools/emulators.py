"""How many emulators may run at once: one per core. The boot harnesses
(bochs_boot, qemu_boot) take a slot for each run, so tests can start as many
boots as they like in parallel: a boot's timeout is wall time, and an
overcommitted machine would eat into it."""
import os
import threading

SLOTS = threading.BoundedSemaphore(os.cpu_count() or 1)
