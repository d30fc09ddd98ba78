// The real local APIC as the VMM's APIC device reaches it (devices/
// local_apic.h): its xAPIC registers by physical address (the VMM's
// identity map, below 4 GiB) and its MSRs (IA32_APIC_BASE, the x2APIC
// registers). apic_io_runtime.cpp carries them out in the VMM; the unit
// tests link a fake that records them (tests/unit/fake_apic_io.cpp).
#pragma once

#include <stdint.h>

namespace devices {

uint32_t apic_mmio_read(uint64_t physical);
void apic_mmio_write(uint64_t physical, uint32_t value);
uint64_t apic_msr_read(uint32_t msr);
void apic_msr_write(uint32_t msr, uint64_t value);

}  // namespace devices
