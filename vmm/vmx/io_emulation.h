// What the VMM needs to carry out a guest's I/O instruction itself: finding
// the operand of OUTS (segment, address size) with or without the CPU's
// instruction-information field, translating the guest-linear addresses
// through the guest's 32-bit paging, and running a whole `rep outs` in one
// VM exit honouring DF, the address size and the segment limit. Pure: the
// memory reads and the port writes are passed in, so the host tests drive
// it over arrays.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ia32/vmx/io_qualification.h"

namespace vmx {

struct StringOperand {
  ia32::vmx::SegmentRegister segment;
  unsigned address_bytes;  // 2, 4 or 8
};

// From the VM-exit instruction-information field (IA32_VMX_BASIC bit 54).
constexpr StringOperand outs_operand_from_info(uint32_t instruction_info) {
  ia32::vmx::StringIoInstructionInfo info{instruction_info};
  return {info.segment(), info.address_size_bytes()};
}

// From the instruction's own bytes, for CPUs that do not report it: the last
// segment-override prefix wins (DS by default), 0x67 toggles the default
// address size. Returns false if the bytes are not prefixes followed by OUTS
// (0x6E/0x6F).
bool outs_operand_from_bytes(const uint8_t* bytes, size_t length, bool default_32bit_address,
                             StringOperand& operand);

// Guest-linear -> guest-physical through 32-bit paging (CR4.PAE = 0), as an
// access at CPL 3 would see it: not present or supervisor-only fails.
// read_physical32(address, &value) reads a page-table entry.
template <typename ReadPhysical32>
bool guest_linear_to_physical(uint64_t cr3, bool pse, uint32_t linear, uint64_t& physical,
                              ReadPhysical32&& read_physical32) {
  constexpr uint32_t present = 1, user = 4, page_size = 0x80;
  uint32_t pde;
  if (!read_physical32((cr3 & 0xFFFFF000u) + ((linear >> 22) << 2), &pde)) return false;
  if ((pde & (present | user)) != (present | user)) return false;
  if (pse && (pde & page_size) != 0) {
    physical = (pde & 0xFFC00000u) | (linear & 0x3FFFFFu);
    return true;
  }
  uint32_t pte;
  if (!read_physical32((pde & 0xFFFFF000u) + (((linear >> 12) & 0x3FF) << 2), &pte)) return false;
  if ((pte & (present | user)) != (present | user)) return false;
  physical = (pte & 0xFFFFF000u) | (linear & 0xFFFu);
  return true;
}

struct OutsRequest {
  ia32::vmx::IoQualification qualification;
  StringOperand operand;
  uint64_t segment_base;
  uint32_t segment_limit;
  bool direction_down;  // RFLAGS.DF
  uint64_t rsi;
  uint64_t rcx;
};

struct OutsResult {
  const char* error;  // nullptr when done
  uint64_t rsi;       // the guest's registers afterwards
  uint64_t rcx;
  uint32_t elements;  // written to the port
};

// Runs OUTS / REP OUTS: count = the address-size part of RCX with REP, else
// 1. Only the address-size part of RSI and RCX changes, as the CPU does.
// read_linear(linear, bytes, &value) reads guest memory; out(port, bytes,
// value) writes the port. On an error the registers say how far it got, so
// the guest could be resumed at the same instruction.
template <typename ReadLinear, typename PortOut>
OutsResult emulate_outs(const OutsRequest& request, ReadLinear&& read_linear, PortOut&& out) {
  const unsigned size = request.qualification.size_bytes();
  const uint64_t mask = request.operand.address_bytes >= 8 ? ~0ull
                        : request.operand.address_bytes == 4 ? 0xFFFFFFFFull
                                                              : 0xFFFFull;
  OutsResult result{nullptr, request.rsi, request.rcx, 0};
  uint64_t count = request.qualification.is_rep() ? (request.rcx & mask) : 1;
  uint64_t offset = request.rsi & mask;
  const uint16_t port = request.qualification.port();
  for (; count > 0; --count) {
    if (offset + size - 1 > request.segment_limit) {
      result.error = "outs beyond the segment limit";
      return result;
    }
    uint32_t value = 0;
    if (!read_linear(request.segment_base + offset, size, &value)) {
      result.error = "outs source not readable at CPL 3";
      return result;
    }
    out(port, size, value);
    ++result.elements;
    offset = (request.direction_down ? offset - size : offset + size) & mask;
    result.rsi = (result.rsi & ~mask) | offset;
    if (request.qualification.is_rep()) result.rcx = (result.rcx & ~mask) | ((count - 1) & mask);
  }
  return result;
}

}  // namespace vmx
