// Encoders for GDT segment descriptors, the 64-bit TSS descriptor and 64-bit
// IDT gates (SDM Vol. 3A 3.4.5, 7.2.3, 6.14.1). Everything is constexpr so
// tables can be built at compile time and checked with static_assert.
#pragma once

#include <stdint.h>

namespace descriptors {

// Access byte (bits 47:40 of a descriptor).
inline constexpr uint8_t access_present = 0x80;
inline constexpr uint8_t access_code_or_data = 0x10;  // S: not a system descriptor
inline constexpr uint8_t access_executable = 0x08;
inline constexpr uint8_t access_conforming = 0x04;  // code; "expand-down" for data
inline constexpr uint8_t access_readable = 0x02;    // code; "writable" for data
inline constexpr uint8_t access_writable = 0x02;
inline constexpr uint8_t access_accessed = 0x01;
constexpr uint8_t access_dpl(unsigned dpl) { return static_cast<uint8_t>((dpl & 3) << 5); }

// Flags nibble (bits 55:52).
inline constexpr uint8_t flag_granularity_4k = 0x8;  // G: limit counts 4 KiB units
inline constexpr uint8_t flag_size_32 = 0x4;         // D/B: 32-bit segment
inline constexpr uint8_t flag_long_mode = 0x2;       // L: 64-bit code (D must be 0)
inline constexpr uint8_t flag_available = 0x1;

// System-descriptor types (S = 0) and gate types.
inline constexpr uint8_t type_tss64_available = 0x9;
inline constexpr uint8_t type_tss64_busy = 0xB;
inline constexpr uint8_t type_interrupt_gate = 0xE;
inline constexpr uint8_t type_trap_gate = 0xF;

// An 8-byte code or data segment descriptor. `limit` is 20 bits.
constexpr uint64_t segment_descriptor(uint32_t base, uint32_t limit, uint8_t access,
                                      uint8_t flags) {
  return (static_cast<uint64_t>(limit & 0xFFFF)) |
         (static_cast<uint64_t>(base & 0xFFFFFF) << 16) |
         (static_cast<uint64_t>(access) << 40) |
         (static_cast<uint64_t>((limit >> 16) & 0xF) << 48) |
         (static_cast<uint64_t>(flags & 0xF) << 52) |
         (static_cast<uint64_t>(base >> 24) << 56);
}

// 64-bit code: base and limit are ignored in long mode; L=1, D=0.
constexpr uint64_t code64_descriptor(unsigned dpl = 0) {
  return segment_descriptor(0, 0xFFFFF,
                            access_present | access_dpl(dpl) | access_code_or_data |
                                access_executable | access_readable,
                            flag_granularity_4k | flag_long_mode);
}

// Flat 4 GiB data, writable (also valid as the 64-bit SS/DS).
constexpr uint64_t data_flat_descriptor(unsigned dpl = 0) {
  return segment_descriptor(0, 0xFFFFF,
                            access_present | access_dpl(dpl) | access_code_or_data |
                                access_writable,
                            flag_granularity_4k | flag_size_32);
}

// A 16-byte descriptor: the TSS descriptor and IDT gates in IA-32e mode.
struct Descriptor128 {
  uint64_t low;
  uint64_t high;
};
static_assert(sizeof(Descriptor128) == 16);

// 64-bit TSS descriptor (occupies two GDT slots). limit is the TSS size - 1
// (0x67 for a TSS without I/O bitmap).
constexpr Descriptor128 tss64_descriptor(uint64_t base, uint32_t limit,
                                         uint8_t type = type_tss64_available) {
  return {segment_descriptor(static_cast<uint32_t>(base), limit,
                             static_cast<uint8_t>(access_present | (type & 0xF)), 0),
          base >> 32};
}

// 64-bit IDT gate. ist 0 means "no stack switch"; 1-7 pick a TSS IST entry.
constexpr Descriptor128 idt_gate64(uint16_t selector, uint64_t handler, unsigned ist = 0,
                                   unsigned dpl = 0,
                                   uint8_t type = type_interrupt_gate) {
  return {(handler & 0xFFFF) |
              (static_cast<uint64_t>(selector) << 16) |
              (static_cast<uint64_t>(ist & 7) << 32) |
              (static_cast<uint64_t>(type & 0xF) << 40) |
              (static_cast<uint64_t>(dpl & 3) << 45) |
              (static_cast<uint64_t>(1) << 47) |  // present
              (((handler >> 16) & 0xFFFF) << 48),
          handler >> 32};
}

// Operand of LGDT/LIDT in 64-bit mode.
struct [[gnu::packed]] TableRegister64 {
  uint16_t limit;  // size in bytes - 1
  uint64_t base;
};
static_assert(sizeof(TableRegister64) == 10);

// Known encodings, checked where they are defined.
static_assert(code64_descriptor() == 0x00AF9A000000FFFFull);
static_assert(data_flat_descriptor() == 0x00CF92000000FFFFull);

}  // namespace descriptors
