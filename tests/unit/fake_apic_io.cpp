#include "fake_apic_io.h"

#include "devices/apic_base.h"
#include "devices/apic_io.h"

namespace fake_apic_io {

std::map<uint64_t, uint32_t> registers;
std::map<uint32_t, uint64_t> msrs;
std::vector<Write> writes;
bool ignore_base_writes;

void reset() {
  registers.clear();
  msrs.clear();
  writes.clear();
  ignore_base_writes = false;
}

}  // namespace fake_apic_io

namespace devices {

uint32_t apic_mmio_read(uint64_t physical) {
  const auto it = fake_apic_io::registers.find(physical);
  return it != fake_apic_io::registers.end() ? it->second : 0;
}

void apic_mmio_write(uint64_t physical, uint32_t value) {
  fake_apic_io::writes.push_back({false, physical, value});
  fake_apic_io::registers[physical] = value;
}

uint64_t apic_msr_read(uint32_t msr) {
  const auto it = fake_apic_io::msrs.find(msr);
  return it != fake_apic_io::msrs.end() ? it->second : 0;
}

void apic_msr_write(uint32_t msr, uint64_t value) {
  fake_apic_io::writes.push_back({true, msr, value});
  if (msr == apic::base_msr && fake_apic_io::ignore_base_writes) return;
  fake_apic_io::msrs[msr] = value;
}

}  // namespace devices
