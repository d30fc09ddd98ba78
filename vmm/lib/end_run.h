// How every run of vmxboot ends, in stage2 and in the VMM alike: one line
// `vmxboot: result=<code> [key=value...]` (the last line on COM1), a Bochs
// magic breakpoint, then ACPI S5 power-off. Tests, benchmarks and users rely
// on exactly this order.
#pragma once

// Prints the result line (code: lower-case with dashes; details_fmt: printf
// format of the key=value pairs, may be ""), then stops the machine. The ACPI
// tables are read only here, when the run ends: a boot that goes on does not
// pay for the search. Where there is no way to power off, a line before the
// result line says why, and the machine halts with interrupts off.
[[noreturn]] void end_run(const char* code, const char* details_fmt, ...)
    __attribute__((format(printf, 2, 3)));
