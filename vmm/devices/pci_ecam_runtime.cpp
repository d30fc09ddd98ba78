// The ECAM windows' registers (devices/pci_ecam.h) in the VMM: through its
// identity map, with the size of the guest's store (1, 2 or 4 bytes).
#include "devices/pci_ecam.h"

namespace devices {

namespace {

uint32_t identity_read(void*, uint64_t physical, unsigned bytes) {
  if (bytes == 1) return *reinterpret_cast<const volatile uint8_t*>(physical);
  if (bytes == 2) return *reinterpret_cast<const volatile uint16_t*>(physical);
  return *reinterpret_cast<const volatile uint32_t*>(physical);
}

void identity_write(void*, uint64_t physical, unsigned bytes, uint32_t value) {
  if (bytes == 1) {
    *reinterpret_cast<volatile uint8_t*>(physical) = static_cast<uint8_t>(value);
  } else if (bytes == 2) {
    *reinterpret_cast<volatile uint16_t*>(physical) = static_cast<uint16_t>(value);
  } else {
    *reinterpret_cast<volatile uint32_t*>(physical) = value;
  }
}

}  // namespace

EcamAccess identity_ecam_access() { return {nullptr, identity_read, identity_write}; }

}  // namespace devices
