#include "common/end_run.h"

#include <stdarg.h>

#include "ia32/instructions.h"
#include "common/acpi.h"
#include "common/console.h"
#include "common/end_wait.h"
#include "common/format.h"
#include "common/piix4_power.h"

namespace {

// How the run will power off, once decided. In .bss (zeroed by stage2's
// entry.asm and the VMM's): decided == false until end_run_keep_power_off()
// or end_run().
struct PowerOffChoice {
  bool decided;
  acpi::PowerOff power_off;   // ACPI's, else the PIIX4's, else found == false
  const char* acpi_error;     // why not ACPI (static), nullptr when ACPI
  const char* chipset_error;  // why not the PIIX4 either (static)
};
constinit PowerOffChoice choice{};

PowerOffChoice decide() {
  PowerOffChoice c{};
  c.decided = true;
  c.power_off = acpi::find_power_off(acpi::identity_mapped_memory());
  if (!c.power_off.found) {
    c.acpi_error = c.power_off.error;
    const acpi::PowerOff chipset = piix4_power::find(piix4_power::read_config_io);
    if (chipset.found) {
      c.power_off = chipset;
    } else {
      c.chipset_error = chipset.error;
    }
  }
  return c;
}

}  // namespace

const acpi::PowerOff& end_run_keep_power_off() {
  choice = decide();
  return choice.power_off;
}

void end_run(const char* code, const char* details_fmt, ...) {
  if (!choice.decided) choice = decide();
  const acpi::PowerOff& power_off = choice.power_off;
  // Said before the result line, so that the result line stays the last one.
  if (choice.acpi_error != nullptr) {
    if (power_off.found) {
      console::printf("vmxboot: no ACPI tables (%s): powering off through the PIIX4 at 0x%x\n",
                      choice.acpi_error, power_off.pm1a_cnt);
    } else {
      console::printf("vmxboot: cannot power off (ACPI: %s; %s): halting after the result\n",
                      choice.acpi_error, choice.chipset_error);
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
