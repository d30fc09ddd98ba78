// What the code stage2 and the VMM share keeps while a program runs: the
// console's screen and UART, how the run will power off, the wait before
// it. Each program that links common/ keeps one RunState and says where
// (run_state()): stage2 its own (stage2/run_state.cpp), the VMM in its
// Machine (vmm/machine.h), so that the VMM's only mutable objects are its
// Vcpus and its Machine. All zero until used: .bss, no constructor.
#pragma once

#include <stdint.h>

#include "common/acpi.h"
#include "common/piix4_power.h"
#include "common/uart16550.h"
#include "common/vga_text.h"

// How the run will power off, once decided (common/end_run.h).
struct PowerOffChoice {
  bool decided;
  acpi::PowerOff power_off;   // ACPI's, else the PIIX4's, else found == false
  const char* acpi_error;     // why not ACPI (static), nullptr when ACPI
  const char* chipset_error;  // why not the PIIX4 either (static)
  // Where the PIIX4's PM block was before a guest could move it, when
  // power_off is that block's (chain mode sets it): tried last.
  piix4_power::Home pm_home;
};

struct RunState {
  VgaText screen;             // common/console.h
  Uart16550 serial;
  bool console_ready;
  PowerOffChoice power_off;   // common/end_run.h
  uint16_t end_wait_seconds;  // common/end_wait.h
};

RunState& run_state();
