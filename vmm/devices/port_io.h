// The real hardware as the devices reach it: port accesses and the TSC.
// port_io_runtime.cpp carries them out in the VMM; the unit tests link a
// fake that records them (tests/unit/fake_port_io.cpp), which is what makes
// the devices' code testable on the host.
#pragma once

#include <stdint.h>

namespace devices {

uint32_t port_in(uint16_t port, unsigned bytes);
void port_out(uint16_t port, unsigned bytes, uint32_t value);
uint64_t read_tsc();

}  // namespace devices
