// A chain guest's MOV to CR0 (docs/chain-mode.md). Under unrestricted
// guest the guest owns CR0 but for the bits VMX operation fixes to 1 and
// the CPU still wants fixed (CR0.NE on every model Bochs emulates): those
// are host-owned in the CR0 guest/host mask, so a MOV that changes one of
// them, as a protected-mode OS setting NE does, exits. The guest's CR0
// keeps them at 1 and the read shadow takes what the guest wrote, so that
// the guest reads back its own value. Pure.
#pragma once

#include <stdint.h>

#include "ia32/registers.h"

namespace guests::bios_chain {

struct ChainCr0Write {
  const char* refused;  // nullptr: carry it out; else why not (the CPU would #GP)
  uint64_t guest_cr0;   // the CR0 the guest runs with
  uint64_t read_shadow; // what it reads
};

inline constexpr uint64_t cr0_cd = 1ull << 30, cr0_nw = 1ull << 29;

constexpr ChainCr0Write chain_cr0_write(uint64_t value, uint64_t host_owned) {
  // What MOV to CR0 faults on natively (SDM Vol. 2, MOV to CR): reserved
  // bits 63:32, PG without PE, NW without CD. Not raised in the guest: it stops.
  if ((value >> 32) != 0) return {"reserved bits 63:32 set", 0, 0};
  if ((value & cr0::pg) != 0 && (value & cr0::pe) == 0) return {"PG without PE", 0, 0};
  if ((value & cr0_nw) != 0 && (value & cr0_cd) == 0) return {"NW without CD", 0, 0};
  return {nullptr, value | host_owned, value & host_owned};
}

}  // namespace guests::bios_chain
