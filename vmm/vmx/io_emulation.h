// What the VMM needs to carry out a guest's string I/O instruction itself:
// finding the memory operand of INS/OUTS (segment, address size) with or
// without the CPU's instruction-information field (guest-linear addresses go
// through the guest's paging in vmx/guest_paging.h), and running a whole `rep ins`
// or `rep outs` in one VM exit honouring DF, the address size and the
// segment limit. Pure: memory and port accesses are passed in, so the host
// tests drive it over arrays.
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
// INS always writes ES:(E)DI; the field's segment is OUTS's source.
constexpr StringOperand string_operand_from_info(uint32_t instruction_info, bool in) {
  ia32::vmx::StringIoInstructionInfo info{instruction_info};
  return {in ? ia32::vmx::SegmentRegister::es : info.segment(), info.address_size_bytes()};
}

// The registers an INS/OUTS uses at its address size: the index (RSI for
// OUTS, RDI for INS) and the count, as a report names them.
struct StringRegisters {
  const char* index;
  const char* count;
};
constexpr StringRegisters string_registers(const StringOperand& op, bool in) {
  if (op.address_bytes == 8) return {in ? "rdi" : "rsi", "rcx"};
  if (op.address_bytes == 4) return {in ? "edi" : "esi", "ecx"};
  return {in ? "di" : "si", "cx"};
}

// From the instruction's own bytes, for CPUs that do not report it: the last
// segment-override prefix wins (DS by default; INS ignores it: ES), 0x67
// toggles the default address size. Returns false if the bytes are not
// prefixes followed by INS or OUTS (0x6C-0x6F).
bool string_operand_from_bytes(const uint8_t* bytes, size_t length, bool default_32bit_address,
                               StringOperand& operand);

// How a guest-memory access on the guest's behalf went.
enum class GuestAccess : uint8_t {
  ok,
  denied_at_cpl3,     // its paging: not present, supervisor-only, read-only
  not_guest_memory,   // mapped, but to memory the guest is not given (EPT)
};

// Elements one VM exit carries out at most. A REP string longer than that is
// left as the CPU leaves one interrupted by an event: RCX and RSI/RDI
// advanced, RIP still at the instruction, whose next execution exits again
// and goes on. So every exit does bounded work however long the string (a
// 16-bit count reaches 64 K, a 32-bit one 4 G): at most this many COM1
// bytes, each waited for at most a character time (vmx/exit_runtime.cpp),
// 32 x 87 us = 2.8 ms at 115200 baud, and the guest's time bound is checked
// between chunks.
inline constexpr uint32_t string_io_chunk_elements = 32;

struct StringIoRequest {
  ia32::vmx::IoQualification qualification;  // the direction, size, REP, port
  StringOperand operand;
  uint64_t segment_base;
  uint32_t segment_limit;
  bool direction_down;  // RFLAGS.DF
  uint64_t index;       // RSI for OUTS, RDI for INS
  uint64_t rcx;
  uint32_t max_elements = string_io_chunk_elements;  // this exit's share
};

struct StringIoResult {
  const char* error;  // nullptr unless it failed
  uint64_t index;     // the guest's registers afterwards
  uint64_t rcx;
  uint32_t elements;  // moved between port and memory
  bool done;          // the instruction is complete: advance RIP (else resume
                      // at it, without an error: the rest is the next chunk)
};

// Runs INS / REP INS / OUTS / REP OUTS: count = the address-size part of RCX
// with REP, else 1; at most request.max_elements of it (`done` false when
// some are left). Only the address-size part of the index register and RCX
// changes, as the CPU does. `guest` provides read(linear, bytes, &value) and
// write(linear, bytes, value) -> GuestAccess for guest memory, in(port,
// bytes) -> value and out(port, bytes, value) for the port. On an error the
// registers say how far it got, so the guest could be resumed at the same
// instruction.
template <typename Guest>
StringIoResult emulate_string_io(const StringIoRequest& request, Guest&& guest) {
  const bool in = request.qualification.is_in();
  const unsigned size = request.qualification.size_bytes();
  const uint64_t mask = request.operand.address_bytes >= 8 ? ~0ull
                        : request.operand.address_bytes == 4 ? 0xFFFFFFFFull
                                                              : 0xFFFFull;
  StringIoResult result{nullptr, request.index, request.rcx, 0, false};
  uint64_t count = request.qualification.is_rep() ? (request.rcx & mask) : 1;
  uint64_t offset = request.index & mask;
  const uint16_t port = request.qualification.port();
  const uint32_t chunk = request.max_elements > 0 ? request.max_elements : 1;  // progress
  for (; count > 0; --count) {
    if (result.elements >= chunk) return result;  // the next exit goes on
    if (offset + size - 1 > request.segment_limit) {
      result.error = in ? "ins beyond the segment limit" : "outs beyond the segment limit";
      return result;
    }
    const uint64_t linear = request.segment_base + offset;
    GuestAccess access;
    if (in) {
      access = guest.write(linear, size, guest.in(port, size));
    } else {
      uint32_t value = 0;
      access = guest.read(linear, size, &value);
      if (access == GuestAccess::ok) guest.out(port, size, value);
    }
    if (access != GuestAccess::ok) {
      result.error = access == GuestAccess::not_guest_memory
                         ? (in ? "ins destination is not the guest's memory"
                               : "outs source is not the guest's memory")
                         : (in ? "ins destination not writable at CPL 3"
                               : "outs source not readable at CPL 3");
      return result;
    }
    ++result.elements;
    offset = (request.direction_down ? offset - size : offset + size) & mask;
    result.index = (result.index & ~mask) | offset;
    if (request.qualification.is_rep()) result.rcx = (result.rcx & ~mask) | ((count - 1) & mask);
  }
  result.done = true;
  return result;
}

}  // namespace vmx
