// Exit qualification of an EPT-violation VM exit (SDM Vol. 3, table
// "Exit Qualification for EPT Violations"): the access that caused it.
#pragma once

#include <stdint.h>

namespace ia32::vmx {

struct EptViolationQualification {
  uint64_t raw;

  constexpr bool read() const { return raw & 1; }               // bit 0: a data read
  constexpr bool write() const { return (raw >> 1) & 1; }       // bit 1: a data write
  constexpr bool instruction_fetch() const { return (raw >> 2) & 1; }  // bit 2
  // Bit 7: the guest-linear-address field is valid.
  constexpr bool linear_address_valid() const { return (raw >> 7) & 1; }
  // Bit 8 (where bit 7 is set): the access was to the linear address's
  // translation, not to a paging-structure entry while translating it.
  constexpr bool translated_access() const { return (raw >> 8) & 1; }

  // The access as a reader says it ("write to" guest-physical ...).
  constexpr const char* access() const {
    return write() ? "write to" : instruction_fetch() ? "instruction fetch from" : "read of";
  }
};

}  // namespace ia32::vmx
