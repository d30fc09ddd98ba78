// What the exit handlers share: the way out of the guest, the guest's
// clock, the VMCS reads and the one writer of the guest's state, and the
// core's handlers every guest profile's table has. Not for the launcher
// (that is vmx/exits.h). 64-bit VMM only.
#pragma once

#include <stdint.h>

#include "ia32/vmx/fields.h"
#include "ia32/vmx/instructions.h"
#include "vmx/guest_end.h"
#include "vmx/vcpu.h"

namespace vmx::exit_path {

// The way out, all of it in vmx/exit_runtime.cpp. A handler that is done
// with the guest calls one of these in tail position; none returns: they
// end in leave_guest(), which makes vmx_enter_guest() return.
[[noreturn]] void leave_guest(Vcpu& vcpu, uint64_t code);
// exit_guest_done: the guest ended itself, as `end` says.
[[noreturn]] void end_guest(Vcpu& vcpu, const GuestEnd& end);
// exit_stop with a note (a VMM failure: a VMREAD or VMWRITE that failed).
[[noreturn]] void stop(Vcpu& vcpu, const char* note);
// exit_stop, the exit to be printed in full by the report; note may be nullptr.
[[noreturn]] void stop_with_dump(Vcpu& vcpu, const char* note);
// exit_guest_timeout: the guest has used up its time.
[[noreturn]] void out_of_time(Vcpu& vcpu);

// Before the guest runs on, after an exit's slow work: false once the
// deadline has passed (the clock restarted with what is left otherwise).
bool time_left(Vcpu& vcpu);

// A lambda, not a function, so that read_results_range() inlines it.
inline constexpr auto vmread_ok = [](uint32_t field, uint64_t* value)
                                      __attribute__((always_inline)) {
  return ia32::vmx::vmread_succeeded(field, value);
};

uint64_t vmread_or_zero(uint32_t field);
inline uint64_t vmread_or_zero(ia32::vmx::VmcsField field) {
  return vmread_or_zero(ia32::vmx::encoding(field));
}

// The TSC, inline (the exit path reads it on every exit).
[[gnu::always_inline]] inline uint64_t read_tsc() {
  uint64_t tsc;
  asm volatile("rdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax" : "=a"(tsc) : : "rdx");
  return tsc;
}

// The one writer of the guest's VMCS state at exit time: every change a
// handler makes (RIP, RFLAGS, CR0/CR4 and their shadows, EFER, the entry
// controls, event injection, the activity state, the preemption timer)
// goes through here. A VMWRITE that fails stops the guest (`what` names it).
[[gnu::always_inline]] inline void write_guest_state(Vcpu& vcpu, ia32::vmx::VmcsField field,
                                                     uint64_t value, const char* what) {
  if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(field), value)) stop(vcpu, what);
}

// Past the instruction that exited.
[[gnu::always_inline]] inline void advance_guest_rip(Vcpu& vcpu) {
  write_guest_state(vcpu, ia32::vmx::VmcsField::guest_rip, vcpu.context.next_rip(),
                    "VMWRITE of the guest RIP failed");
}

// Delivers again an event whose delivery this exit cut off (its
// IDT-vectoring information valid), before the guest goes on: else the
// guest loses it (vmx/event_delivery.h). True when there was one.
bool reinject_cut_off_event(Vcpu& vcpu);

// The core's handlers (vmx/exit_runtime.cpp, vmx/io_exit_runtime.cpp).
// Every reason a profile does not handle: stop, the exit printed in full.
void handle_unexpected(Vcpu& vcpu);
// Exit reason 0: a host NMI under NMI exiting ends the run without the
// guest seeing it (vmx/plan.h says why); an exception the profile's bitmap
// sends here stops the guest.
void handle_exception_or_nmi(Vcpu& vcpu);
// The guest reached guest-physical memory the EPT does not map for it.
void handle_ept_violation(Vcpu& vcpu);
// The VMX-preemption timer ran out: the guest is out of time (or, a long
// bound's 32-bit timer spent, the clock restarts).
void handle_preemption_timer(Vcpu& vcpu);
// For a guest that gets its NMIs ("virtual NMIs"): a host NMI under NMI
// exiting is the guest's, delivered now or at its NMI window; the
// NMI-window exit delivers the one that waited.
void handle_nmi_for_guest(Vcpu& vcpu);
void handle_nmi_window(Vcpu& vcpu);
// IN/OUT, and INS/OUTS where the VMM may walk the guest's memory: the
// port looked up in the machine's port map, its device decides.
void handle_io(Vcpu& vcpu);

}  // namespace vmx::exit_path
