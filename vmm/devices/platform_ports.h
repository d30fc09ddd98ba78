// The ports through which a guest that owns the machine could end the run
// unseen or upset the VMM, each kept by a small device that carries every
// other access out (PortVerdict::pass):
//   - ACPI PM1a_CNT (the FADT's, found before the guest ran): a write with
//     SLP_EN is the guest's power-off, which ends the run (`poweroff`);
//   - the reset control register: a byte to 0xCF9 with RST (bit 2) ends the
//     run (`reset`; the keyboard controller's and port 0x92's resets are
//     devices/system_control.h's);
//   - 0xB2 (APM control: a write raises an SMI), and the FADT's SMI_CMD
//     port where it is another: no write reaches it (Bochs 2.7 returns from
//     an SMI taken by a real-mode or unpaged unrestricted guest with
//     CR0.PE/PG/NE forced on: Bochs issue #863, docs/bochs.md; and an SMI
//     runs the firmware's handler outside the VMM's control). The ACPI
//     enable handshake an OS makes there (the FADT's ACPI_ENABLE or
//     ACPI_DISABLE byte to SMI_CMD, after which it waits for PM1a_CNT's
//     SCI_EN) the device answers itself: it sets or clears SCI_EN, which is
//     what the firmware's SMI handler would do;
//   - under an emulator's firmware only: the Bochs BIOS's panic ports
//     0x400/0x401 (a write stops the emulator) end the run (`bios-panic`),
//     and Bochs' shutdown port 0x8900 and debugger port 0x8A00
//     (`emulator-shutdown`); on a PC those ports are the chipset's or a
//     card's and never kept;
//   - the benchmark's port 0xE9 (Bochs prints what it gets): single-byte
//     OUTs carried out, everything else denied.
// Pure but for nothing: each decides from the access alone.
#pragma once

#include <stdint.h>

#include "devices/port_device.h"
#include "devices/port_map.h"

namespace devices {

inline constexpr uint32_t pm1_slp_en = 1u << 13;
inline constexpr uint32_t pm1_sci_en = 1u << 0;
inline constexpr uint16_t reset_control_port = 0xCF9;
inline constexpr uint16_t kbc_command_port = 0x64;
inline constexpr uint16_t system_control_port_a = 0x92;
inline constexpr uint16_t apm_control_port = 0xB2;
inline constexpr uint16_t emulator_bios_panic_port = 0x400;  // and 0x401
inline constexpr uint16_t emulator_shutdown_port = 0x8900;
inline constexpr uint16_t emulator_debugger_port = 0x8A00;
// How a guest ended by Bochs' own ports.
inline constexpr char emulator_shutdown[] = "emulator-shutdown";

// State: PM1a_CNT's port.
struct AcpiPm1 {
  uint16_t pm1a_cnt;
};
PortDevice acpi_pm1_device(AcpiPm1& pm1);
PortDevice reset_device();
// State: the FADT's handshake bytes and PM1a_CNT (0: none).
struct ApmControl {
  uint16_t pm1a_cnt;
  uint8_t acpi_enable, acpi_disable;
  uint32_t writes_dropped;
};
PortDevice apm_control_device(ApmControl& state);
PortDevice emulator_panic_device();
PortDevice emulator_shutdown_device();
PortDevice bench_port_device();

}  // namespace devices
