// How every run of vmxboot ends, in stage2 and in the VMM alike: one line
// `vmxboot: result=<code> [key=value...]` (the last line on COM1), a Bochs
// magic breakpoint, then ACPI S5 power-off. Tests, benchmarks and users rely
// on exactly this order.
#pragma once

#include "common/acpi.h"

// Between the breakpoint and the power-off: common/end_wait.h (a countdown for a
// person at a real PC, END_WAIT seconds from the image header).
//
// Prints the result line (code: lower-case with dashes; details_fmt: printf
// format of the key=value pairs, may be ""), then stops the machine. The ACPI
// tables are read here, when the run ends, unless end_run_keep_power_off()
// read them before: a boot that goes on does not pay for the search. Where
// there is no way to power off, a line before the result line says why, and
// the machine halts with interrupts off.
[[noreturn]] void end_run(const char* code, const char* details_fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Finds how to power off (the ACPI tables, else the PIIX4) now and keeps the
// port numbers and values in the caller's own memory: end_run() then reads
// no firmware table again. The VMM calls it before the guest runs: without
// EPT the guest can write the first 4 MiB (the EBDA pointer, the EBDA, any
// table there), and tables read after it ran would let it choose the port
// and the value of the final OUT (and an SMI command byte).
// Returns what it kept (found == false: end_run() will halt instead). A
// guest that moves the PIIX4's PM block moves the kept port with it (chain
// mode, vmm/devices/piix4_pm.h), and where the power-off there does
// nothing, end_run() puts the block back (RunState's pm_home) and tries
// once more.
const acpi::PowerOff& end_run_keep_power_off();
