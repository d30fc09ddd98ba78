// Architectural exception vectors 0..31 (SDM Vol. 3A 6.3.1): names and which
// ones push an error code.
#pragma once

#include <stdint.h>

inline constexpr uint32_t exception_vectors = 32;
inline constexpr uint32_t vector_page_fault = 14;

constexpr const char* exception_name(uint32_t vector) {
  constexpr const char* names[exception_vectors] = {
      "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
      "#BR bound range", "#UD invalid opcode", "#NM no math coprocessor",
      "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
      "#NP segment not present", "#SS stack fault", "#GP general protection",
      "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
      "#MC machine check", "#XM SIMD error", "#VE virtualization exception",
      "#CP control protection", "reserved 22", "reserved 23", "reserved 24",
      "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor exception",
      "#VC VMM communication", "#SX security exception", "reserved 31"};
  return vector < exception_vectors ? names[vector] : "not an exception";
}

constexpr bool exception_has_error_code(uint32_t vector) {
  return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
         vector == 29 || vector == 30;
}
