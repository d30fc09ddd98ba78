// The exit dispatcher, the guest's clock, the one way out of the guest, and
// the core's handlers other than I/O (vmx/io_exit_runtime.cpp). 64-bit VMM
// only.
//
// Every exit runs: the stub (vmx/exit_stub.asm) saves the guest's general
// registers into the Vcpu's ExitContext and calls vmx_handle_exit with the
// Vcpu; the dispatcher reads the exit information once (the fields every
// exit has, and those this exit defines), counts the exit, checks the
// guest's time bound (which counts the exits' own time too:
// vmx/guest_timer.h) and calls the reason's handler from the profile's
// table (vmx/exit_handlers.h); the stub loads the registers back and
// executes VMRESUME. A handler that is done with the guest ends in
// leave_guest(), the only way out. Every exit does bounded work.
#include "ia32/registers.h"
#include "ia32/vmx/exit_reason.h"
#include "ia32/vmx/instructions.h"
#include "ia32/vmx/interruption_info.h"
#include "common/console.h"
#include "vmx/event_delivery.h"
#include "vmx/exit_path.h"
#include "vmx/guest_timer.h"

namespace vmx {

using ia32::vmx::VmcsField;

namespace exit_path {

uint64_t vmread_or_zero(uint32_t field) {
  uint64_t value = 0;
  if (!vmread_ok(field, &value)) return 0;
  return value;
}

// The one way out of the guest. Reads the rest of the last exit's
// information (the report prints it: the dispatcher read the fields every
// exit has and those this exit defines; the guest-physical address exists
// only where the CPU has EPT), keeps the exit for the report, and
// makes vmx_enter_guest() return `code`: a non-local return
// (exit_stub.asm), so that no handler needs a way back through the stub.
// Cold and out of line: a handler reaches it, through stop() and the
// others, in tail position, and (the VMM keeps its stack 8-byte aligned:
// Makefile) calling a [[noreturn]] function costs a handler's fast path no
// stack adjustment.
[[noreturn, gnu::cold, gnu::noinline]] void leave_guest(Vcpu& vcpu, uint64_t code) {
  ExitLog& log = vcpu.log;
  read_results_range<results_every_exit + results_where_defined, results_size>(vcpu.context.info,
                                                                             vmread_ok);
  log.info = vcpu.context.info;
  log.guest_report = vcpu.context.registers;
  log.refused_valid = vcpu.memory.refused_valid;
  log.refused_guest_physical = vcpu.memory.refused;
  vmx_return_to_launcher(&vcpu, code);
}

[[noreturn, gnu::cold, gnu::noinline]] void end_guest(Vcpu& vcpu, const GuestEnd& end) {
  vcpu.log.end = end;
  leave_guest(vcpu, exit_guest_done);
}

[[noreturn, gnu::cold, gnu::noinline]] void stop(Vcpu& vcpu, const char* note) {
  vcpu.log.stop_note = note;
  leave_guest(vcpu, exit_stop);
}

[[noreturn, gnu::cold, gnu::noinline]] void stop_with_dump(Vcpu& vcpu, const char* note) {
  vcpu.log.dump = true;
  stop(vcpu, note);
}

[[noreturn, gnu::cold, gnu::noinline]] void out_of_time(Vcpu& vcpu) {
  leave_guest(vcpu, exit_guest_timeout);
}

}  // namespace exit_path

using namespace exit_path;

namespace {

// PIT mode: Bochs 2.7 decides whether INTR may interrupt the guest while
// loading the guest state, before it counts the CPU as in VMX non-root
// operation: with the guest's RFLAGS.IF clear it blocks INTR until the
// guest changes IF, so a guest that keeps IF clear would take no PIT tick
// after any exit (a guest that spins after an OUT would never be stopped).
// Resuming with IF set avoids that; it changes nothing else the guest can
// observe but PUSHF: under external-interrupt exiting no interrupt reaches
// the guest whatever IF says (SDM 26.2).
[[gnu::noinline]] void keep_ticks_coming(Vcpu& vcpu) {
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  if ((rflags & rflags::if_flag) != 0) return;
  write_guest_state(vcpu, VmcsField::guest_rflags, rflags | rflags::if_flag,
                    "VMWRITE of the guest's clock failed");
}

// With the VMX-preemption timer, the next stretch of the guest gets only
// what is left until the deadline, so the time the exits took counts too.
// (With "save VMX-preemption timer value" the CPU would carry over the
// guest's time only, not the exits'.) Done at the first exit after each
// refresh interval (1% of the limit), not at every one: the timer then
// overshoots the deadline by at most that interval, and the exit path
// stays short. In PIT mode at every exit (next_check stays 0). A VMWRITE
// that fails stops the guest: then it cannot be bounded.
[[gnu::noinline]] void refresh_clock(Vcpu& vcpu, uint64_t now) {
  guest_timer::TimeBound& bound = vcpu.bound;
  if (!bound.preemption_timer) return keep_ticks_coming(vcpu);
  const uint64_t next_refresh = now + bound.refresh_ticks;
  bound.next_check = next_refresh < bound.deadline ? next_refresh : bound.deadline;
  write_guest_state(vcpu, VmcsField::guest_preemption_timer_value,
                    guest_timer::preemption_timer_value_until(bound.deadline, now, bound.timer_shift),
                    "VMWRITE of the guest's clock failed");
}

// The exit path's clock check, when it is due (TimeBound::next_check), then
// the handler. (A function of its own, so that the usual path keeps nothing
// across a call but the Vcpu.)
[[gnu::noinline]] void check_clock_then_handle(Vcpu& vcpu, uint32_t slot) {
  const uint64_t now = read_tsc();
  if (now >= vcpu.bound.deadline) return out_of_time(vcpu);
  refresh_clock(vcpu, now);
  return vcpu.handlers->slots[slot](vcpu);
}

// The fields results[] has after the ones every exit reads, where this
// exit defines them (exit_defined_results).
[[gnu::noinline]] bool read_defined_results(ExitInfo& info, size_t defined) {
  if (defined == 2) return read_results_range<results_every_exit, results_every_exit + 2>(info, vmread_ok);
  return read_results_range<results_every_exit, results_every_exit + 3>(info, vmread_ok);
}

}  // namespace

namespace exit_path {

bool time_left(Vcpu& vcpu) {
  const uint64_t now = read_tsc();
  if (now >= vcpu.bound.deadline) return false;
  refresh_clock(vcpu, now);
  return true;
}

void handle_unexpected(Vcpu& vcpu) { return stop_with_dump(vcpu, nullptr); }

void handle_exception_or_nmi(Vcpu& vcpu) {
  const ia32::vmx::InterruptionInfo event{
      static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_interruption_info))};
  vcpu.log.host_nmi = event.valid() && event.type() == ia32::vmx::interruption::nmi;
  return stop_with_dump(vcpu, nullptr);
}

void handle_ept_violation(Vcpu& vcpu) { return stop_with_dump(vcpu, "EPT violation"); }

// The timer ran out: the deadline has passed, or is about to (the TSC and
// the timer disagreeing by a few ticks, at most a refresh interval): the
// guest is done. Or the timer ran out of its 32 bits well before a long
// deadline (2^32 steps), and the guest's time goes on.
void handle_preemption_timer(Vcpu& vcpu) {
  const uint64_t now = read_tsc();
  const guest_timer::TimeBound& bound = vcpu.bound;
  if (now >= bound.deadline || bound.deadline - now <= bound.refresh_ticks) {
    return out_of_time(vcpu);
  }
  refresh_clock(vcpu, now);
  reinject_cut_off_event(vcpu);
}

bool reinject_cut_off_event(Vcpu& vcpu) {
  const Reinjection r = reinjection(
      static_cast<uint32_t>(vmread_or_zero(VmcsField::idt_vectoring_info)));
  if (!r.needed) return false;
  const char* what = "VMWRITE of an event's redelivery failed";
  write_guest_state(vcpu, VmcsField::entry_interruption_info, r.interruption_info, what);
  if (r.error_code) {
    write_guest_state(vcpu, VmcsField::entry_exception_error_code,
                      vmread_or_zero(VmcsField::idt_vectoring_error_code), what);
  }
  if (r.instruction_length) {
    write_guest_state(vcpu, VmcsField::entry_instruction_length,
                      vcpu.context.info.instruction_length, what);
  }
  return true;
}

namespace {

void set_nmi_window_exiting(Vcpu& vcpu, bool on) {
  const uint64_t primary = vmread_or_zero(VmcsField::primary_processor_controls);
  const uint64_t window = ia32::vmx::primary_processor::nmi_window_exiting;
  write_guest_state(vcpu, VmcsField::primary_processor_controls,
                    on ? primary | window : primary & ~window,
                    "VMWRITE of the NMI-window control failed");
}

void inject_nmi(Vcpu& vcpu) {
  write_guest_state(vcpu, VmcsField::entry_interruption_info, nmi_injection,
                    "VMWRITE of the guest's NMI failed");
  ++vcpu.log.nmis_delivered;
}

}  // namespace

void handle_nmi_for_guest(Vcpu& vcpu) {
  const ia32::vmx::InterruptionInfo event{
      static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_interruption_info))};
  if (!event.valid() || event.type() != ia32::vmx::interruption::nmi) {
    return stop_with_dump(vcpu, nullptr);  // an exception the bitmap should not have sent
  }
  const bool reinjected = reinject_cut_off_event(vcpu);
  const uint32_t state =
      static_cast<uint32_t>(vmread_or_zero(VmcsField::guest_interruptibility_state));
  if (nmi_delivery(state, reinjected) == NmiDelivery::inject_now) return inject_nmi(vcpu);
  vcpu.nmi_pending = true;
  set_nmi_window_exiting(vcpu, true);
}

void handle_nmi_window(Vcpu& vcpu) {
  set_nmi_window_exiting(vcpu, false);
  if (!vcpu.nmi_pending) return;
  vcpu.nmi_pending = false;
  inject_nmi(vcpu);
}

}  // namespace exit_path

}  // namespace vmx

using namespace vmx;

// Every exit, called by the stub with the Vcpu whose exit stack it runs on.
// Reads the exit information, then: count, clock, handler. Reasons past the
// table and failed entries go to the fallback through the table's last slot.
extern "C" void vmx_handle_exit(Vcpu* vcpu_pointer) {
  Vcpu& vcpu = *vcpu_pointer;
  ExitInfo& info = vcpu.context.info;
  if (!read_results_range<0, results_every_exit>(info, vmread_ok)) {
    return stop(vcpu, "VMREAD of the exit information failed");
  }
  if (const size_t defined = exit_defined_results(info.exit_reason, info.exit_qualification);
      defined != 0 && !read_defined_results(info, defined)) {
    return stop(vcpu, "VMREAD of the exit information failed");
  }
  const uint32_t slot = ia32::vmx::exit_reason_slot(info.exit_reason);
  count_exit(vcpu.log.stats, slot);
  // The time bound first, whatever the exit: it counts the exits' time too.
  if (read_tsc() >= vcpu.bound.next_check) return check_clock_then_handle(vcpu, slot);
  return vcpu.handlers->slots[slot](vcpu);
}
