#include "lib/end_run.h"

#include <stdarg.h>

#include "ia32/instructions.h"
#include "lib/acpi.h"
#include "lib/console.h"
#include "lib/format.h"

void end_run(const char* code, const char* details_fmt, ...) {
  const acpi::PowerOff power_off = acpi::find_power_off(acpi::identity_mapped_memory());
  // Said before the result line, so that the result line stays the last one.
  if (!power_off.found) {
    console::printf("vmxboot: cannot power off (ACPI: %s): halting after the result\n",
                    power_off.error);
  }
  char details[200];
  va_list ap;
  va_start(ap, details_fmt);
  vformat(details, sizeof details, details_fmt, ap);
  va_end(ap);
  console::printf("vmxboot: result=%s%s%s\n", code, details[0] ? " " : "", details);
  console::flush();
  magic_breakpoint();
  if (power_off.found) acpi::power_off(power_off);
  halt_forever();
}
