// The local APIC's interrupt command register, which sends IPIs (SDM Vol. 3,
// 10.6.1 "Interrupt Command Register", 10.12.9 for x2APIC mode): in the
// xAPIC's page at 0x300 (a write there sends) with the destination in
// 0x310's bits 31:24, or in x2APIC mode MSR 0x830, 64 bits, the
// destination in 63:32. Decoded here against the sending CPU's own APIC
// ID and logical destination, and judged for a guest that owns the
// machine but for what the VMM keeps (README "What the guest can reach"):
//   - SMI: never. An SMI runs the SMM handler, outside VMX and the EPT,
//     in memory a guest might have written: refused, counted, reported;
//     the guest goes on.
//   - INIT, SIPI or NMI that may reach another CPU: that CPU runs without
//     VMX (the VMM runs on the boot CPU only), so an INIT and SIPI would
//     start it on the guest's code outside the VMM: the run ends
//     (guest-unsupported reason=ipi-other-cpu). Another CPU's logical
//     destination is not known: any destination bit that is not this
//     CPU's counts as another CPU.
//   - INIT to itself: the guest resets its own CPU: the run ends
//     (guest-end=init), the INIT never sent, so none is left pending.
//   - NMI to itself: sent from VMX root operation it would interrupt the
//     VMM, not the guest: the VMM delivers it to the guest instead, as it
//     delivers a host NMI that arrives while the guest runs.
//   - SIPI to itself (a running CPU ignores it), INIT level de-assert
//     (ignored since the Pentium 4), an INIT, SIPI or NMI that reaches no
//     CPU: nothing to do.
//   - Everything else (fixed, lowest priority, ExtINT, the reserved
//     modes): carried out.
// Pure.
#pragma once

#include <stdint.h>

namespace devices::apic {

// xAPIC register offsets in the page, x2APIC MSRs.
inline constexpr uint32_t id_offset = 0x20, ldr_offset = 0xD0, dfr_offset = 0xE0;
inline constexpr uint32_t icr_low_offset = 0x300, icr_high_offset = 0x310;
inline constexpr uint32_t x2apic_id_msr = 0x802, x2apic_ldr_msr = 0x80D, x2apic_icr_msr = 0x830;
// The x2APIC ICR's reserved bits: 31:20, 17:16, 13:12 (delivery status is
// gone); a WRMSR that sets one is a #GP (SDM 10.12.1.3).
inline constexpr uint64_t x2apic_icr_reserved = 0xFFF33000;

enum class Delivery : uint8_t {
  fixed = 0, lowest_priority = 1, smi = 2, reserved_3 = 3, nmi = 4, init = 5, startup = 6,
  extint = 7,
};
enum class Shorthand : uint8_t { none = 0, self = 1, all = 2, all_but_self = 3 };

struct Icr {
  uint32_t low;
  uint32_t destination;  // xAPIC: 8 bits (0xFF all); x2APIC: 32 bits (0xFFFFFFFF all)
  bool x2apic;

  constexpr uint8_t vector() const { return static_cast<uint8_t>(low); }
  constexpr Delivery delivery() const { return static_cast<Delivery>((low >> 8) & 7); }
  constexpr bool logical() const { return (low >> 11) & 1; }
  constexpr bool level_assert() const { return (low >> 14) & 1; }
  constexpr bool level_triggered() const { return (low >> 15) & 1; }
  constexpr Shorthand shorthand() const { return static_cast<Shorthand>((low >> 18) & 3); }
  constexpr uint32_t broadcast() const { return x2apic ? 0xFFFFFFFFu : 0xFFu; }
};

constexpr Icr xapic_icr(uint32_t low, uint32_t high) { return {low, high >> 24, false}; }
constexpr Icr x2apic_icr(uint64_t value) {
  return {static_cast<uint32_t>(value), static_cast<uint32_t>(value >> 32), true};
}

// The sending CPU's APIC: its ID, its logical destination and (xAPIC) its
// destination model, as its registers hold them: xAPIC ID and LDR in
// bits 31:24, the DFR's model in bits 31:28 (0xF flat, 0 cluster); in
// x2APIC mode the 32-bit ID and LDR (cluster in 31:16, a bit in 15:0).
struct ApicSelf {
  uint32_t id;
  uint32_t ldr;
  uint8_t dfr_model;
  bool x2apic;
};

constexpr ApicSelf xapic_self(uint32_t id_register, uint32_t ldr_register, uint32_t dfr_register) {
  return {id_register >> 24, ldr_register >> 24, static_cast<uint8_t>(dfr_register >> 28), false};
}

struct Reach {
  bool self;
  bool others;
};

namespace icr_detail {
// A cluster destination (cluster number above `bits` mask bits) against
// this CPU's.
constexpr Reach cluster_reach(uint32_t destination, uint32_t own, unsigned bits) {
  const uint32_t mask = (1u << bits) - 1;
  const bool same_cluster = (destination >> bits) == (own >> bits);
  const uint32_t wanted = destination & mask, mine = own & mask;
  return {same_cluster && (wanted & mine) != 0,
          wanted != 0 && (!same_cluster || (wanted & ~mine) != 0)};
}
}  // namespace icr_detail

// Which CPUs the IPI may reach: this one, and any other.
constexpr Reach reach(const Icr& icr, const ApicSelf& self) {
  switch (icr.shorthand()) {
    case Shorthand::self: return {true, false};
    case Shorthand::all: return {true, true};
    case Shorthand::all_but_self: return {false, true};
    case Shorthand::none: break;
  }
  const uint32_t destination = icr.destination;
  if (destination == icr.broadcast()) return {true, true};
  if (!icr.logical()) return {destination == self.id, destination != self.id};
  if (icr.x2apic) return icr_detail::cluster_reach(destination, self.ldr, 16);
  if (self.dfr_model == 0xF) {  // flat: a bit per CPU
    return {(destination & self.ldr) != 0, (destination & ~self.ldr & 0xFF) != 0};
  }
  if (self.dfr_model == 0) return icr_detail::cluster_reach(destination, self.ldr, 4);
  return {true, true};  // a model the SDM does not define: anyone
}

enum class IcrVerdict : uint8_t {
  forward,     // carried out on the real APIC
  refuse_smi,  // dropped, counted
  ignore,      // nothing to do (no CPU acts on it)
  init_self,   // the run ends: guest-end=init
  other_cpu,   // the run ends: guest-unsupported reason=ipi-other-cpu
  nmi_self,    // delivered to the guest, not sent
};

constexpr IcrVerdict decide_icr(const Icr& icr, const ApicSelf& self) {
  const Delivery delivery = icr.delivery();
  if (delivery == Delivery::smi) return IcrVerdict::refuse_smi;
  if (delivery != Delivery::init && delivery != Delivery::startup && delivery != Delivery::nmi) {
    return IcrVerdict::forward;
  }
  if (delivery == Delivery::init && !icr.level_assert() && icr.level_triggered()) {
    return IcrVerdict::ignore;  // INIT level de-assert
  }
  const Reach r = reach(icr, self);
  if (r.others) return IcrVerdict::other_cpu;
  if (!r.self) return IcrVerdict::ignore;
  if (delivery == Delivery::init) return IcrVerdict::init_self;
  if (delivery == Delivery::nmi) return IcrVerdict::nmi_self;
  return IcrVerdict::ignore;  // SIPI to a running CPU
}

// The IPI as the result line names it (ipi=...).
constexpr const char* delivery_name(Delivery delivery) {
  switch (delivery) {
    case Delivery::fixed: return "fixed";
    case Delivery::lowest_priority: return "lowest-priority";
    case Delivery::smi: return "smi";
    case Delivery::reserved_3: return "reserved";
    case Delivery::nmi: return "nmi";
    case Delivery::init: return "init";
    case Delivery::startup: return "sipi";
    case Delivery::extint: return "extint";
  }
  return "?";
}

// The destination as the result line names it (dest=...): self, all,
// all-but-self, physical:0x<id>, logical:0x<bits>.
constexpr const char* shorthand_name(Shorthand shorthand) {
  switch (shorthand) {
    case Shorthand::self: return "self";
    case Shorthand::all: return "all";
    case Shorthand::all_but_self: return "all-but-self";
    case Shorthand::none: break;
  }
  return nullptr;
}

}  // namespace devices::apic
