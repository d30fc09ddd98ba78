#include "lib/end_run.h"

#include <stdarg.h>

#include "ia32/instructions.h"
#include "lib/acpi.h"
#include "lib/console.h"
#include "lib/end_wait.h"
#include "lib/format.h"
#include "lib/piix4_power.h"

void end_run(const char* code, const char* details_fmt, ...) {
  acpi::PowerOff power_off = acpi::find_power_off(acpi::identity_mapped_memory());
  // Said before the result line, so that the result line stays the last one.
  if (!power_off.found) {
    const acpi::PowerOff chipset = piix4_power::find(piix4_power::read_config_io);
    if (chipset.found) {
      console::printf("vmxboot: no ACPI tables (%s): powering off through the PIIX4 at 0x%x\n",
                      power_off.error, chipset.pm1a_cnt);
      power_off = chipset;
    } else {
      console::printf("vmxboot: cannot power off (ACPI: %s; %s): halting after the result\n",
                      power_off.error, chipset.error);
    }
  }
  char details[200];
  va_list ap;
  va_start(ap, details_fmt);
  vformat(details, sizeof details, details_fmt, ap);
  va_end(ap);
  console::printf("vmxboot: result=%s%s%s\n", code, details[0] ? " " : "", details);
  console::flush();
  magic_breakpoint();
  end_wait::wait_before_power_off();
  if (power_off.found) acpi::power_off(power_off);
  halt_forever();
}
