// The devices' hardware (devices/port_io.h) in the VMM.
#include "devices/port_io.h"

#include "ia32/instructions.h"
#include "ia32/io.h"

namespace devices {

uint32_t port_in(uint16_t port, unsigned bytes) {
  if (bytes == 1) return inb(port);
  if (bytes == 2) return inw(port);
  return inl(port);
}

void port_out(uint16_t port, unsigned bytes, uint32_t value) {
  if (bytes == 1) {
    outb(port, static_cast<uint8_t>(value));
  } else if (bytes == 2) {
    outw(port, static_cast<uint16_t>(value));
  } else {
    outl(port, value);
  }
}

uint64_t read_tsc() { return rdtsc(); }

}  // namespace devices
