// The one way stage2's real-mode C++ reaches the BIOS: bios_call() in
// bios_call.asm loads every register from a BiosRegs, enters the handler of
// interrupt `vector` as INT does, and stores every register and the flags
// back. One routine for every service, so that the C++ code says what it
// asks (AH=42h, ...) and the assembly holds no BIOS knowledge.
#pragma once

#include <stdint.h>

// X(type, field): in bios_call.asm's load and store order; abi/gen_layout_inc.cpp
// hands the offsets to NASM as BiosRegs_<field>.
#define STAGE2_BIOS_REGS(X) \
  X(uint32_t, eax)          \
  X(uint32_t, ebx)          \
  X(uint32_t, ecx)          \
  X(uint32_t, edx)          \
  X(uint32_t, esi)          \
  X(uint32_t, edi)          \
  X(uint32_t, ebp)          \
  X(uint32_t, eflags) /* out only: the flags the handler returned */ \
  X(uint16_t, ds)           \
  X(uint16_t, es)

struct BiosRegs {
#define STAGE2_BIOS_REG_FIELD(type, field) type field;
  STAGE2_BIOS_REGS(STAGE2_BIOS_REG_FIELD)
#undef STAGE2_BIOS_REG_FIELD
};

inline constexpr uint32_t kCarryFlag = 1u << 0;  // how most services say "failed"

// `regs` lies on the caller's stack, below 64 KiB (DS = SS = 0): the
// assembly addresses it by its offset. Interrupts are off while the handler
// starts (it may turn them on) and as the caller left them afterwards.
extern "C" void bios_call(uint8_t vector, BiosRegs& regs);
