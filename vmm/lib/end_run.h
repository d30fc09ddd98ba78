// How every run of vmxboot ends, in stage2 and in the VMM alike: one line
// `vmxboot: result=<code> [key=value...]` (the last line on COM1), a Bochs
// magic breakpoint, then ACPI S5 power-off. Tests, benchmarks and users rely
// on exactly this order.
#pragma once

#include "lib/acpi.h"

namespace end_run_config {
// Where power-off goes; set once the ACPI tables have been read. Until then
// (or when they could not be read) the run halts instead, and says so.
void set_power_off(const acpi::PowerOff& power_off);
const acpi::PowerOff& power_off();
}  // namespace end_run_config

// Prints the result line (code: lower-case with dashes; details_fmt: printf
// format of the key=value pairs, may be ""), then stops the machine.
[[noreturn]] void end_run(const char* code, const char* details_fmt, ...)
    __attribute__((format(printf, 2, 3)));
