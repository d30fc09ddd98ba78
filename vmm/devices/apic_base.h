// IA32_APIC_BASE (MSR 0x1B) as a guest that owns the machine writes it
// (SDM Vol. 3, 10.4.4 "Local APIC Status and Location" and 10.12.5 "x2APIC
// State Transitions"): bits 35:12 (up to MAXPHYADDR) the base of the
// xAPIC's 4 KiB register page, bit 11 global enable, bit 10 x2APIC mode,
// bit 8 BSP. The guest may enable and disable its APIC, switch it to
// x2APIC mode and move the page; what the CPU itself refuses with a #GP
// the guest gets as a #GP: reserved bits (7:0, 9, and 10 on a CPU without
// x2APIC), bits at or above MAXPHYADDR, the invalid state (bit 10 without
// bit 11), x2APIC back to xAPIC without disabling first, and disabled
// straight to x2APIC. One refusal is the VMM's own, given the same #GP:
// the page may not land on memory the VMM touches while the guest runs
// (KeptRange: its own memory, the VGA text it prints to, the low memory
// it writes for the guest; and where the profile cannot keep the page's
// stores in view), for an enabled xAPIC decodes every access of
// its CPU to that page, the VMM's own included (in Bochs the VMM's next
// instruction fetch from its first page then ends the emulator: "prefetch:
// getHostMemAddr vetoed direct read"). Pure.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace devices::apic {

inline constexpr uint32_t base_msr = 0x1B;
inline constexpr uint64_t bsp_flag = 1ull << 8;
inline constexpr uint64_t x2apic_enable = 1ull << 10;
inline constexpr uint64_t global_enable = 1ull << 11;
inline constexpr uint64_t register_page_bytes = 4096;

// Bits 11:10.
enum class Mode : uint8_t { disabled = 0, invalid = 1, xapic = 2, x2apic = 3 };

constexpr Mode mode_of(uint64_t msr) { return static_cast<Mode>((msr >> 10) & 3); }
// The xAPIC register page (in a value the CPU accepted, every bit above
// MAXPHYADDR is 0).
constexpr uint64_t page_of(uint64_t msr) { return msr & ~(register_page_bytes - 1); }

// Memory the page may not land on (the VMM touches it after launch, or
// cannot keep the page's stores in view there): [first, end).
struct KeptRange {
  uint64_t first, end;
  const char* what;
};

enum class BaseRefusal : uint8_t {
  none,                // carried out
  reserved_bits,       // 7:0, 9 (and 10 without x2APIC)
  beyond_maxphyaddr,   // a bit at or above MAXPHYADDR
  invalid_state,       // x2APIC mode without global enable
  x2apic_to_xapic,     // only through disabled
  disabled_to_x2apic,  // only through xAPIC
  kept_memory,         // the page where the VMM keeps it from (the VMM's refusal)
};

struct BaseDecision {
  BaseRefusal refusal;
  const KeptRange* onto;  // kept_memory: which
};

// A WRMSR of `value` to IA32_APIC_BASE while it holds `current`, on a CPU
// with MAXPHYADDR `physical_address_bits` and (or not) x2APIC. The page
// counts only where the write leaves the xAPIC enabled: disabled or in
// x2APIC mode the CPU decodes no page.
constexpr BaseDecision decide_base_write(uint64_t current, uint64_t value,
                                         unsigned physical_address_bits, bool has_x2apic,
                                         const KeptRange* kept, size_t kept_count) {
  const uint64_t reserved = 0x2FF | (has_x2apic ? 0 : x2apic_enable);
  if ((value & reserved) != 0) return {BaseRefusal::reserved_bits, nullptr};
  const unsigned m = physical_address_bits > 52 ? 52 : physical_address_bits;
  if ((value >> m) != 0) return {BaseRefusal::beyond_maxphyaddr, nullptr};
  const Mode from = mode_of(current), to = mode_of(value);
  if (to == Mode::invalid) return {BaseRefusal::invalid_state, nullptr};
  if (from == Mode::x2apic && to == Mode::xapic) return {BaseRefusal::x2apic_to_xapic, nullptr};
  if (from == Mode::disabled && to == Mode::x2apic) {
    return {BaseRefusal::disabled_to_x2apic, nullptr};
  }
  if (to == Mode::xapic) {
    const uint64_t page = page_of(value);
    for (size_t i = 0; i < kept_count; ++i) {
      if (page < kept[i].end && kept[i].first < page + register_page_bytes) {
        return {BaseRefusal::kept_memory, &kept[i]};
      }
    }
  }
  return {BaseRefusal::none, nullptr};
}

constexpr const char* base_refusal_name(BaseRefusal refusal) {
  switch (refusal) {
    case BaseRefusal::none: return "none";
    case BaseRefusal::reserved_bits: return "reserved-bits";
    case BaseRefusal::beyond_maxphyaddr: return "beyond-maxphyaddr";
    case BaseRefusal::invalid_state: return "invalid-state";
    case BaseRefusal::x2apic_to_xapic: return "x2apic-to-xapic";
    case BaseRefusal::disabled_to_x2apic: return "disabled-to-x2apic";
    case BaseRefusal::kept_memory: return "kept-memory";
  }
  return "?";
}

}  // namespace devices::apic
