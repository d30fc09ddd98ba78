// Bits of CR0, CR4 and RFLAGS the VMM and its checks name (SDM Vol. 3A 2.5,
// Vol. 1 3.4.3). One definition for the guest state the VMM builds and the
// VM-entry checks that judge it.
#pragma once

#include <stdint.h>

namespace cr0 {
inline constexpr uint64_t pe = 1u << 0;   // protection enable
inline constexpr uint64_t et = 1u << 4;   // extension type
inline constexpr uint64_t ne = 1u << 5;   // numeric error
inline constexpr uint64_t pg = 1u << 31;  // paging
}  // namespace cr0

namespace cr4 {
inline constexpr uint64_t vme = 1u << 0;     // virtual-8086 mode extensions
inline constexpr uint64_t pse = 1u << 4;     // 4 MiB pages
inline constexpr uint64_t pae = 1u << 5;
inline constexpr uint64_t vmxe = 1u << 13;
inline constexpr uint64_t pcide = 1u << 17;
inline constexpr uint64_t osxsave = 1u << 18;
}  // namespace cr4

namespace rflags {
inline constexpr uint64_t cf = 1u << 0;          // after a VMX instruction: VMfailInvalid
inline constexpr uint64_t reserved_1 = 1u << 1;  // always 1
inline constexpr uint64_t zf = 1u << 6;          // after a VMX instruction: VMfailValid
inline constexpr uint64_t tf = 1u << 8;          // single step
inline constexpr uint64_t if_flag = 1u << 9;     // interrupts enabled
inline constexpr uint64_t df = 1u << 10;
inline constexpr uint64_t iopl_3 = 3u << 12;
inline constexpr uint64_t vm = 1u << 17;         // virtual-8086 mode
}  // namespace rflags
