// An EPT violation on a range a device claims (devices/mmio_map.h): which
// ones the VMM carries out for the device and what it checks first. Only
// a data write the guest's own instruction made to the address it names:
// the qualification says a write, not a fetch (no code runs in a device's
// range), with the guest-linear address valid and its translation the
// access that violated (not a paging-structure entry on that page), and
// no event was being delivered (an interrupt pushing onto a stack there
// would otherwise be taken for the instruction at RIP). Then the decoded
// store (vmx/store_decoder.h) must name the address the CPU reported, in
// one page: the guest-linear address its segment and registers give is
// the exit's, and it lies at the same page offset as the guest-physical
// one. Pure.
#pragma once

#include <stdint.h>

#include "ia32/vmx/ept_violation_qualification.h"
#include "ia32/vmx/interruption_info.h"
#include "vmx/store_decoder.h"

namespace vmx {

// nullptr: a store for the device; else why the VMM does not carry it out.
constexpr const char* mmio_violation_refusal(uint64_t qualification, uint32_t idt_vectoring_info) {
  const ia32::vmx::EptViolationQualification q{qualification};
  if (q.instruction_fetch()) return "an instruction fetch from a device's registers";
  if (!q.write()) return "a read of a device's registers the EPT does not allow";
  if (!q.linear_address_valid() || !q.translated_access()) {
    return "a paging-structure access on a device's registers";
  }
  if (ia32::vmx::InterruptionInfo{idt_vectoring_info}.valid()) {
    return "an event delivery writing to a device's registers";
  }
  return nullptr;
}

// nullptr: the decoded store at guest-linear `linear` of `bytes` is the
// access that exited (at `exit_linear`, guest-physical `exit_physical`).
constexpr const char* mmio_store_mismatch(uint64_t linear, unsigned bytes, uint64_t exit_linear,
                                          uint64_t exit_physical) {
  if (linear != exit_linear) return "the decoded store's address is not the one that exited";
  if ((linear & 0xFFF) != (exit_physical & 0xFFF) || (linear & 0xFFF) + bytes > 0x1000) {
    return "a store that crosses into a device's registers from another page";
  }
  return nullptr;
}

// RIP after an instruction of `length` bytes: IP wraps at 64 KiB in 16-bit
// code, EIP at 4 GiB in 32-bit code.
constexpr uint64_t rip_after(uint64_t rip, unsigned length, CodeSize code) {
  const uint64_t next = rip + length;
  return code == CodeSize::bits16   ? next & 0xFFFF
         : code == CodeSize::bits32 ? next & 0xFFFFFFFFull
                                    : next;
}

}  // namespace vmx
