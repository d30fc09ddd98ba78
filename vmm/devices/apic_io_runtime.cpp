// The real local APIC (devices/apic_io.h) in the VMM: 32-bit accesses at a
// 16-byte boundary, the only ones the APIC defines (SDM Vol. 3, 10.4.1),
// and RDMSR/WRMSR.
#include "devices/apic_io.h"

#include "ia32/instructions.h"

namespace devices {

uint32_t apic_mmio_read(uint64_t physical) {
  return *reinterpret_cast<const volatile uint32_t*>(physical);
}

void apic_mmio_write(uint64_t physical, uint32_t value) {
  *reinterpret_cast<volatile uint32_t*>(physical) = value;
}

uint64_t apic_msr_read(uint32_t msr) { return rdmsr(msr); }

void apic_msr_write(uint32_t msr, uint64_t value) { wrmsr(msr, value); }

}  // namespace devices
