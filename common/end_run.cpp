#include "common/end_run.h"

#include <stdarg.h>

#include "ia32/instructions.h"
#include "common/acpi.h"
#include "common/console.h"
#include "common/end_wait.h"
#include "common/format.h"
#include "common/piix4_power.h"
#include "common/run_state.h"

namespace {

PowerOffChoice decide() {
  PowerOffChoice c{};
  c.decided = true;
  c.power_off = acpi::find_power_off(acpi::identity_mapped_memory().view());
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

// (In run_state(), zeroed: decided == false until end_run_keep_power_off()
// or end_run().)
const acpi::PowerOff& end_run_keep_power_off() {
  PowerOffChoice& choice = run_state().power_off;
  choice = decide();
  return choice.power_off;
}

void end_run(const char* code, const char* details_fmt, ...) {
  PowerOffChoice& choice = run_state().power_off;
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
  // Still on: a guest moved the PIIX4's PM block (the kept port followed
  // it) where its PM1a_CNT does not decode. Back where firmware put it, it
  // does: the VMM lets no device's ports onto that block
  // (vmm/devices/pci_mediation.h).
  const piix4_power::Home& home = choice.pm_home;
  const uint16_t home_port = static_cast<uint16_t>(home.base + piix4_power::pmcntrl_offset);
  if (power_off.found && home.known && home_port != power_off.pm1a_cnt) {
    piix4_power::put_back(home);
    acpi::PowerOff at_home = power_off;
    at_home.pm1a_cnt = home_port;
    acpi::power_off(at_home);
  }
  halt_forever();
}
