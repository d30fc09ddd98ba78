#include "devices/kept_registers.h"

namespace devices {

MmioVerdict drop_kept_register_write(void* state, MmioWrite& write, vmx::GuestEnd&) {
  KeptRegisters& kept = *static_cast<KeptRegisters*>(state);
  ++kept.writes_dropped;
  kept.last_address = write.address;
  return MmioVerdict::deny;
}

}  // namespace devices
