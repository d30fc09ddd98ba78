// Events the VMM hands a guest through VM entry (SDM Vol. 3, 27.6, and
// 26.3.1.5 for the entry checks): an NMI that arrived while the guest ran
// (NMI exiting, "virtual NMIs"), and an event whose delivery a VM exit cut
// off (IDT-vectoring information, 28.2.4), which must be delivered again or
// the guest loses it. Pure.
#pragma once

#include <stdint.h>

#include "ia32/vmx/interruption_info.h"

namespace vmx {

// Guest interruptibility-state bits (SDM 25.4.2).
namespace interruptibility {
inline constexpr uint32_t blocking_by_sti = 1u << 0;
inline constexpr uint32_t blocking_by_mov_ss = 1u << 1;
inline constexpr uint32_t blocking_by_nmi = 1u << 3;
}  // namespace interruptibility

// The VM-entry interruption information that delivers an NMI.
inline constexpr uint32_t nmi_injection =
    ia32::vmx::interruption::valid | ia32::vmx::interruption::nmi << 8 | 2;

// The entry fields that deliver again an event whose delivery an exit cut
// off: its IDT-vectoring information (bit 12, undefined there, clear), its
// error code where it had one, and for software interrupts and exceptions
// the instruction's length.
struct Reinjection {
  bool needed;
  uint32_t interruption_info;
  bool error_code;         // the exit's IDT-vectoring error code goes too
  bool instruction_length;  // the exit's instruction length goes too
};
constexpr Reinjection reinjection(uint32_t idt_vectoring_info) {
  using namespace ia32::vmx::interruption;
  if ((idt_vectoring_info & valid) == 0) return {false, 0, false, false};
  const uint32_t t = type(idt_vectoring_info);
  const bool software = t == software_interrupt || t == privileged_software_exception ||
                        t == software_exception;
  return {true, idt_vectoring_info & ~(1u << 12), (idt_vectoring_info & deliver_error_code) != 0,
          software};
}

// What to do with an NMI for the guest, given its interruptibility state
// and whether another event goes in at this entry: deliver it now, or wait
// for the NMI window (NMI-window exiting: the exit comes when the guest
// can take one).
enum class NmiDelivery : uint8_t { inject_now, wait_for_window };
constexpr NmiDelivery nmi_delivery(uint32_t interruptibility_state, bool event_pending) {
  using namespace interruptibility;
  if (event_pending) return NmiDelivery::wait_for_window;
  if ((interruptibility_state & (blocking_by_sti | blocking_by_mov_ss | blocking_by_nmi)) != 0) {
    return NmiDelivery::wait_for_window;
  }
  return NmiDelivery::inject_now;
}

}  // namespace vmx
