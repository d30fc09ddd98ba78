#include "lib/end_run.h"

#include <stdarg.h>

#include "ia32/instructions.h"
#include "lib/console.h"
#include "lib/format.h"

namespace {
acpi::PowerOff g_power_off = {false, 0, 0, 0, 0, "ACPI tables not read yet"};
}

void end_run_config::set_power_off(const acpi::PowerOff& power_off) { g_power_off = power_off; }
const acpi::PowerOff& end_run_config::power_off() { return g_power_off; }

void end_run(const char* code, const char* details_fmt, ...) {
  // Said before the result line, so that the result line stays the last one.
  if (!g_power_off.found) {
    console::printf("vmxboot: cannot power off (%s): halting after the result\n",
                    g_power_off.error);
  }
  char details[200];
  va_list ap;
  va_start(ap, details_fmt);
  vformat(details, sizeof details, details_fmt, ap);
  va_end(ap);
  console::printf("vmxboot: result=%s%s%s\n", code, details[0] ? " " : "", details);
  console::flush();
  magic_breakpoint();
  if (g_power_off.found) acpi::power_off(g_power_off);
  halt_forever();
}
