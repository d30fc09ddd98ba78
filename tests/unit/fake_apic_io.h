// The real local APIC the APIC device reaches (vmm/devices/apic_io.h),
// faked for the host tests: registers and MSRs read from tables (0 where
// nothing is set), every write recorded and kept (a write to
// IA32_APIC_BASE is ignored while `ignore_base_writes` is set, as Bochs
// ignores it while the APIC is globally disabled).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace fake_apic_io {

struct Write {
  bool msr;          // else a register by physical address
  uint64_t address;  // the MSR's index, or the physical address
  uint64_t value;
  bool operator==(const Write&) const = default;
};

extern std::map<uint64_t, uint32_t> registers;
extern std::map<uint32_t, uint64_t> msrs;
extern std::vector<Write> writes;
extern bool ignore_base_writes;

void reset();

}  // namespace fake_apic_io
