#!/usr/bin/env python3
"""Where the boot's instructions go: 0x7C00 to the VMM's entry, step by step.

One Bochs boot of build/vmxboot.img at `make bench`'s settings (Bochs' own
rate, bochs_boot.BOCHS_IPS) with a breakpoint at the start of each of
stage2's steps, found by name in build/stage2.elf, and at the VMM's entry;
prints the emulated instructions between them (docs/benchmark.md, "Where the
boot's instructions go"):

    python3 tools/boot_steps.py [--cpu core2_penryn_t9600] [--bios seabios]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bochs_boot  # noqa: E402

# (where the step starts: a symbol of stage2.elf, demangled, without its
# parameters; what runs from there to the next row's start). A symbol
# listed twice is its second call (the stops are taken in order).
STEPS = [
    (None, "stage1: the header, stage2 and its spare's first sector in one read"),
    ("stage2_start", "stage2's first sector: the sums of stage2's other sectors and the spare's first"),
    ("stage2_real_mode", "the boot info, the header's check (its CRC-32C)"),
    ("a20::enable", "A20"),
    ("e820::collect", "the E820 map"),
    ("disk::read", "the VMM read to the staging area (INT 13h)"),
    ("disk::read", "the guest read"),
    ("enter_protected_mode", "to protected mode, the IDT"),
    ("stage2_main", "COM1 and the screen, stage2's line, the checks (stage2, CPU, memory)"),
    ("crc32c", "the VMM's CRC-32C"),
    ("crc32c", "the guest's CRC-32C"),
    ("paging::build_identity_map_4g", "the page tables, to long mode"),
    ("long_mode", "the VMM moved to its address, the jump to it"),
]


def stage2_symbols(elf):
    out = subprocess.run(["nm", "-C", "--defined-only", elf], capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        address, _, name = line.split(" ", 2)
        found.setdefault(re.sub(r"\(.*", "", name), int(address, 16))
    return found


def vmm_entry(elf):
    out = subprocess.run(["readelf", "-h", elf], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Entry point address:\s+0x([0-9a-f]+)", out).group(1), 16)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default="build")
    p.add_argument("--cpu", default="corei7_skylake_x")
    p.add_argument("--bios", default="bochs", choices=sorted(bochs_boot.BIOS_IMAGES))
    a = p.parse_args()
    symbols = stage2_symbols(os.path.join(a.build, "stage2.elf"))
    stops = [0x7C00]
    for name, _ in STEPS[1:]:
        if name not in symbols:
            sys.exit(f"boot_steps: no {name} in {a.build}/stage2.elf")
        stops.append(symbols[name])
    stops.append(vmm_entry(os.path.join(a.build, "vmm.elf")))
    run = bochs_boot.boot(os.path.join(a.build, "vmxboot.img"), cpu=a.cpu, bios=a.bios,
                          ips=bochs_boot.BOCHS_IPS, timeout=300, stops=stops,
                          end_at_last_stop=True)
    t = run.stop_ticks
    if len(t) != len(stops):
        sys.exit(f"boot_steps: reached {len(t)} of {len(stops)} stops; Bochs said:\n"
                 f"{run.stdout[-2000:]}")
    total = t[-1] - t[0]
    print(f"0x7C00 -> the VMM's entry, cpu={a.cpu}, bios={a.bios}: {total:,} instructions")
    print(f"| step (from its start to the next's) | instructions | share |")
    print(f"| --- | ---: | ---: |")
    for i, (name, what) in enumerate(STEPS):
        n = t[i + 1] - t[i]
        where = f"`{name}`" if name else "0x7C00"
        print(f"| {what} ({where}) | {n:,} | {100 * n / total:.1f} % |")
    print(f"| total | {total:,} | |")


if __name__ == "__main__":
    main()
