// The bytes of the instruction a guest executed, fetched by the VMM the way
// the guest's CPU fetched them: CS's base plus RIP (IP wrapping at 64 KiB
// in 16-bit code, EIP at 4 GiB in 32-bit code; CS's base is 0 in 64-bit
// code), through the guest's paging in whatever mode it is in
// (vmx/guest_page_walk.h), each page walked once. Copied once into the
// VMM's buffer, which the decoder then reads (vmx/store_decoder.h). Pure.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmx/guest_page_walk.h"
#include "vmx/store_decoder.h"

namespace vmx {

struct GuestCodePointer {
  uint64_t cs_base;
  uint64_t rip;
  CodeSize code;
  bool user;  // CPL 3
};

// The linear address of the instruction's byte `i`.
constexpr uint64_t guest_code_linear(const GuestCodePointer& at, unsigned i) {
  switch (at.code) {
    case CodeSize::bits64: return at.rip + i;
    case CodeSize::bits32: return (at.cs_base + ((at.rip + i) & 0xFFFFFFFFull)) & 0xFFFFFFFFull;
    case CodeSize::bits16: break;
  }
  return (at.cs_base + ((at.rip + i) & 0xFFFF)) & 0xFFFFFFFFull;
}

// Up to longest_instruction bytes into `out`: how many could be fetched
// (the first byte whose page does not translate, or whose memory
// read_physical refuses, ends them). read_physical(address, bytes, &value)
// as the page walk has it; here also with bytes = 1.
template <typename ReadPhysical>
size_t fetch_guest_instruction(const GuestPagingState& paging, const GuestCodePointer& at,
                               uint8_t (&out)[longest_instruction],
                               ReadPhysical&& read_physical) {
  uint64_t page = 1;  // not a page's address: no page walked yet
  uint64_t page_physical = 0;
  for (unsigned i = 0; i < longest_instruction; ++i) {
    const uint64_t linear = guest_code_linear(at, i);
    if ((linear & ~0xFFFull) != page) {
      const WalkResult walk =
          walk_guest_paging(paging, linear & ~0xFFFull, GuestAccessKind::fetch, at.user,
                            read_physical);
      if (walk.fault != WalkFault::none) return i;
      page = linear & ~0xFFFull;
      page_physical = walk.physical;
    }
    uint64_t byte;
    if (!read_physical(page_physical + (linear & 0xFFF), 1, &byte)) return i;
    out[i] = static_cast<uint8_t>(byte);
  }
  return longest_instruction;
}

}  // namespace vmx
