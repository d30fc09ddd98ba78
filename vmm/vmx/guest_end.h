// How a guest ended itself, when it did: a power-off, a reset, a halt for
// good, its firmware's panic... Named by whatever saw it (a device on a
// port, an exit handler), carried out of the guest by the way out
// (vmx/exit_path.h: end_guest) and printed in the run's result line as
// `guest-end=<how>`. Pure.
#pragma once

#include <stdint.h>

namespace vmx {

struct GuestEnd {
  const char* how;   // one of guest_end's names (or a profile's own), printed as it is
  uint64_t detail;   // what the one who saw it says (a port, a value, a RIP)
  uint64_t detail2;
};

// The ends every profile may meet, one object each: compared by address.
namespace guest_end {
inline constexpr char poweroff[] = "poweroff";      // ACPI S5 (detail: the PM1a_CNT value)
inline constexpr char reset[] = "reset";            // a reset path (detail: the port, the value)
inline constexpr char halt[] = "halt";              // stopped for good (detail: its RIP)
inline constexpr char bios_panic[] = "bios-panic";  // the emulator BIOS's panic port, value
}  // namespace guest_end

}  // namespace vmx
