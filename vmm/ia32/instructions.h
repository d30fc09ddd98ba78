// Wrappers for single privileged or system instructions (SDM Vol. 2). Kept
// apart from the pure encoders in ia32/ so that host tests, which cannot run
// these, never need to include them. Compiles for -m32 and x86-64.
#pragma once

#include <stdint.h>

// CPUID leaf/subleaf; regs receives eax, ebx, ecx, edx in that order.
inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t regs[4]) {
  asm volatile("cpuid"
               : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
               : "a"(leaf), "c"(sub));
}

// MAXPHYADDR, the CPU's physical address width (CPUID 0x80000008 EAX[7:0]:
// every 64-bit CPU has the leaf).
inline unsigned physical_address_bits() {
  uint32_t regs[4];
  cpuid(0x80000008, 0, regs);
  return regs[0] & 0xFF;
}

// RDMSR/WRMSR split the value across EDX:EAX in both modes.
inline uint64_t rdmsr(uint32_t msr) {
  uint32_t low, high;
  asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
  return (static_cast<uint64_t>(high) << 32) | low;
}

inline void wrmsr(uint32_t msr, uint64_t value) {
  asm volatile("wrmsr"
               :
               : "c"(msr), "a"(static_cast<uint32_t>(value)),
                 "d"(static_cast<uint32_t>(value >> 32))
               : "memory");
}

// XSETBV needs CR4.OSXSAVE; XCR `index` takes EDX:EAX.
inline void xsetbv(uint32_t index, uint64_t value) {
  asm volatile("xsetbv"
               :
               : "c"(index), "a"(static_cast<uint32_t>(value)),
                 "d"(static_cast<uint32_t>(value >> 32)));
}

// Writes back and invalidates the caches.
inline void wbinvd() { asm volatile("wbinvd" : : : "memory"); }

inline uint64_t rdtsc() {
  uint32_t low, high;
  asm volatile("rdtsc" : "=a"(low), "=d"(high));
  return (static_cast<uint64_t>(high) << 32) | low;
}

// MOV to/from control registers operates on the native register width.
inline uintptr_t read_cr0() {
  uintptr_t value;
  asm volatile("mov %%cr0, %0" : "=r"(value));
  return value;
}

inline uintptr_t read_cr2() {
  uintptr_t value;
  asm volatile("mov %%cr2, %0" : "=r"(value));
  return value;
}

inline uintptr_t read_cr3() {
  uintptr_t value;
  asm volatile("mov %%cr3, %0" : "=r"(value));
  return value;
}

inline uintptr_t read_cr4() {
  uintptr_t value;
  asm volatile("mov %%cr4, %0" : "=r"(value));
  return value;
}

inline void write_cr0(uintptr_t value) {
  asm volatile("mov %0, %%cr0" : : "r"(value) : "memory");
}

inline void write_cr3(uintptr_t value) {
  asm volatile("mov %0, %%cr3" : : "r"(value) : "memory");
}

inline void write_cr4(uintptr_t value) {
  asm volatile("mov %0, %%cr4" : : "r"(value) : "memory");
}

// Writes the cache line holding `p` back to memory and drops it: for memory
// a device reads without snooping the CPU's caches. MFENCE orders the
// flushes before what follows.
inline void clflush(const volatile void* p) {
  asm volatile("clflush %0" : : "m"(*static_cast<const volatile char*>(p)) : "memory");
}
inline void mfence() { asm volatile("mfence" : : : "memory"); }

inline void cli() { asm volatile("cli" : : : "memory"); }

inline void hlt() { asm volatile("hlt" : : : "memory"); }

// Bochs stops in its debugger at `xchg bx, bx` when magic_break is enabled;
// elsewhere it is a no-op. Bochs checks only the 16-bit operand-size form,
// so 32- and 64-bit code needs the 0x66 prefix: bytes 66 87 DB. The bare
// 87 DB (xchg ebx, ebx there) does not stop it; checked in Bochs 2.7 in
// protected and long mode. The assembler picks the prefix from the mode.
inline void magic_breakpoint() { asm volatile("xchg %%bx, %%bx" : : : "memory"); }

// Stops the CPU for good: with interrupts off only NMI/SMI wake HLT, hence
// the loop.
[[noreturn]] inline void halt_forever() {
  cli();
  for (;;) hlt();
}
