// The exit dispatcher, the handlers other than I/O (vmx/exit_io_runtime.cpp),
// the guest's clock and the one way out of the guest. 64-bit VMM only.
//
// Every exit runs: the stub (vmx/exit_stub.asm) saves the guest's general
// registers into an ExitContext and calls vmx_handle_exit; the dispatcher
// reads the exit reason, lets the observer see the exit (vmx/exit_stats.h),
// checks the guest's time bound (which counts the exits' own time too:
// vmx/guest_timer.h), calls the reason's handler from the table
// (vmx/exit_handlers.h) and lets the observer see it again; the stub loads
// the registers back and executes VMRESUME. A handler that is done with the
// guest ends in leave_guest(), the only way out: VMCALL ends the guest; a
// PIT tick past the limit, the VMX-preemption timer or the deadline ends it
// as out of time; everything else stops the demo, to be printed decoded by
// the launcher. Every exit does bounded work.
#include "guest_header.h"
#include "ia32/instructions.h"
#include "ia32/registers.h"
#include "ia32/vmx/exit_reason.h"
#include "ia32/vmx/instructions.h"
#include "ia32/vmx/interruption_info.h"
#include "ia32/vmx/io_qualification.h"
#include "layout.h"
#include "common/console.h"
#include "vmx/exit_handlers.h"
#include "vmx/exit_internal.h"
#include "vmx/exit_stats.h"
#include "vmx/exits.h"
#include "vmx/guest_memory.h"
#include "vmx/guest_timer.h"

namespace vmx {

using ia32::vmx::IoQualification;
using ia32::vmx::VmcsField;

namespace exit_path {

ExitLog history;
bool cpu_reports_ins_outs_info;

uint64_t vmread_or_zero(uint32_t field) {
  uint64_t value = 0;
  if (!vmread_ok(field, &value)) return 0;
  return value;
}

// The one way out of the guest. Reads the whole of the last exit's
// information (the launcher prints it), lets the observer see the exit as
// it does after a handler (unless the VMCS could not be read: then there is
// no exit to count), keeps the exit for the report, and makes
// vmx_enter_guest() return `code`: a non-local return (exit_stub.asm), so
// that no handler needs a way back through the stub. Cold and out of line:
// a handler reaches it, through stop() and the others, in tail position,
// and (the VMM keeps its stack 8-byte aligned: Makefile) calling a
// [[noreturn]] function costs a handler's fast path no stack adjustment.
[[noreturn, gnu::cold, gnu::noinline]] void leave_guest(ExitContext& exit, uint64_t code) {
  if (read_results_range<0, results_size>(exit.info, vmread_ok)) {
    observe_after(history, exit);
  }
  history.info = exit.info;
  history.guest_report = exit.registers;
  vmx_return_to_launcher(code);
}

[[noreturn, gnu::cold, gnu::noinline]] void stop(ExitContext& exit, const char* note) {
  history.stop_note = note;
  leave_guest(exit, exit_stop);
}

[[noreturn, gnu::cold, gnu::noinline]] void stop_with_dump(ExitContext& exit, const char* note) {
  history.dump = true;
  stop(exit, note);
}

[[noreturn, gnu::cold, gnu::noinline]] void out_of_time(ExitContext& exit) {
  leave_guest(exit, exit_guest_timeout);
}

}  // namespace exit_path

using namespace exit_path;

namespace {

// The guest's time bound as the exits see it (vmx/guest_timer.h).
struct TimeBound {
  uint64_t next_check;       // TSC value: the first exit from then on checks the clock:
                             // the deadline, or the next refresh_clock(), whichever is first
  uint64_t deadline;         // TSC value
  uint64_t refresh_ticks;    // the VMX-preemption timer's refresh interval
  uint64_t tsc_ticks;        // in the whole limit
  uint64_t uart_byte_ticks;  // the most one COM1 byte waits
  uint32_t timer_shift;      // IA32_VMX_MISC bits 4:0
  bool preemption_timer;     // restart it with what is left (refresh_clock)
  uint32_t pit_tick_limit;   // PIT mode: ticks in the limit
  uint32_t pit_ticks;        // PIT mode: ticks (external-interrupt exits) so far
} bound;

// PIT mode: Bochs 2.7 decides whether INTR may interrupt the guest while
// loading the guest state, before it counts the CPU as in VMX non-root
// operation: with the guest's RFLAGS.IF clear it blocks INTR until the
// guest changes IF, so a guest that keeps IF clear would take no PIT tick
// after any exit (a guest that spins after an OUT would never be stopped).
// Resuming with IF set avoids that; it changes nothing else the guest can
// observe but PUSHF: under external-interrupt exiting no interrupt reaches
// the guest whatever IF says (SDM 26.2).
[[gnu::noinline]] bool keep_ticks_coming() {
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  return (rflags & rflags::if_flag) != 0 ||
         ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_rflags),
                                      rflags | rflags::if_flag);
}

// With the VMX-preemption timer, the next stretch of the guest gets only
// what is left until the deadline, so the time the exits took counts too.
// (With "save VMX-preemption timer value" the CPU would carry over the
// guest's time only, not the exits'.) Done at the first exit after each
// refresh interval (1% of the limit), not at every one: the timer then
// overshoots the deadline by at most that interval, and the exit path
// stays short. In PIT mode at every exit (next_check stays 0). False
// when a VMWRITE fails: then the guest cannot be bounded.
[[gnu::noinline]] bool refresh_clock(uint64_t now) {
  if (!bound.preemption_timer) return keep_ticks_coming();
  const uint64_t next_refresh = now + bound.refresh_ticks;
  bound.next_check = next_refresh < bound.deadline ? next_refresh : bound.deadline;
  return ia32::vmx::vmwrite_succeeded(
      ia32::vmx::encoding(VmcsField::guest_preemption_timer_value),
      guest_timer::preemption_timer_value_until(bound.deadline, now, bound.timer_shift));
}

// The handler of the exit's slot, between the observer's two looks.
[[gnu::always_inline]] inline void handle_and_observe(ExitContext& exit, uint32_t slot);

// The exit path's clock check, when it is due (TimeBound::next_check), then
// the handler. (A function of its own, so that the usual path keeps nothing
// across a call but the context.)
[[gnu::noinline]] void check_clock_then_handle(ExitContext& exit, uint32_t slot) {
  const uint64_t now = read_tsc();
  if (now >= bound.deadline) return out_of_time(exit);
  if (!refresh_clock(now)) return stop(exit, "VMWRITE of the guest's clock failed");
  return handle_and_observe(exit, slot);
}

void handle_vmcall(ExitContext& exit) {
  if (!read_results_range<1, results_for_io_exit>(exit.info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  const uint32_t eax = static_cast<uint32_t>(exit.registers.rax);
  if (eax == layout::GUEST_VMCALL_HALTED) return leave_guest(exit, exit_guest_done);
  return stop_with_dump(exit, eax == layout::GUEST_VMCALL_FAULT
                                  ? "guest reported an unexpected #GP"
                                  : "VMCALL without the guest's report");
}

// Every reason the table has no handler for, a failed VM entry among them.
void handle_unexpected(ExitContext& exit) { return stop_with_dump(exit, nullptr); }

// A PIT tick (vmx/guest_timer.h): the CPU acknowledged the interrupt on
// exit; the PIC wants its EOI. Past the limit the guest is out of time.
void handle_external_interrupt(ExitContext& exit) {
  const ia32::vmx::InterruptionInfo interrupt{
      static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_interruption_info))};
  if (interrupt.valid() && interrupt.vector() == guest_timer::irq0_vector + 7) {
    return;  // spurious IRQ7: no EOI, not a tick
  }
  guest_timer::end_of_interrupt();
  if (!interrupt.valid() || interrupt.vector() != guest_timer::irq0_vector) {
    return stop_with_dump(exit, "an external interrupt other than the PIT's");
  }
  ++bound.pit_ticks;
  if (bound.pit_tick_limit != 0 && bound.pit_ticks >= bound.pit_tick_limit) {
    return out_of_time(exit);
  }
  // (The clock check keeps the guest's IF set for the next tick: refresh_clock.)
}

// The timer ran out: the deadline has passed, or (the TSC and the timer
// disagreeing by a few ticks) is about to: either way the guest is done.
void handle_preemption_timer(ExitContext& exit) { return out_of_time(exit); }

// Exit reason 0: an exception the exception bitmap sends here (the demo's
// guest has no business with one: stop), or a host NMI under NMI exiting,
// which ends the run without the guest seeing it (vmx/guest_state.h says
// why). Constant work either way.
void handle_exception_or_nmi(ExitContext& exit) {
  const ia32::vmx::InterruptionInfo event{
      static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_interruption_info))};
  history.host_nmi = event.valid() && event.type() == ia32::vmx::interruption::nmi;
  return stop_with_dump(exit, nullptr);
}

// The guest reached guest-physical memory the EPT does not map for it.
void handle_ept_violation(ExitContext& exit) {
  history.guest_physical_address = vmread_or_zero(VmcsField::guest_physical_address);
  return stop_with_dump(exit, "EPT violation");
}

constexpr HandlerTable handlers = make_handler_table({
    .exception_or_nmi = handle_exception_or_nmi,
    .external_interrupt = handle_external_interrupt,
    .io_instruction = handle_io,
    .vmcall = handle_vmcall,
    .ept_violation = handle_ept_violation,
    .preemption_timer = handle_preemption_timer,
    .fallback = handle_unexpected,
});

// Chain mode's table: its own I/O, CPUID, HLT, VMCALL, CR0 writes, the
// MSRs it keeps, INVD and XSETBV; no external
// interrupts (the guest's own), the rest as the demo's.
constexpr HandlerTable chain_handlers = make_handler_table({
    .exception_or_nmi = handle_exception_or_nmi,
    .external_interrupt = handle_unexpected,
    .io_instruction = chain_exits::handle_io,
    .vmcall = chain_exits::handle_vmcall,
    .ept_violation = handle_ept_violation,
    .preemption_timer = handle_preemption_timer,
    .fallback = handle_unexpected,
    .cpuid = chain_exits::handle_cpuid,
    .hlt = chain_exits::handle_hlt,
    .cr_access = chain_exits::handle_cr_access,
    .msr = chain_exits::handle_msr,
    .invd = chain_exits::handle_invd,
    .xsetbv = chain_exits::handle_xsetbv,
});

const HandlerTable* active_handlers = &handlers;

void handle_and_observe(ExitContext& exit, uint32_t slot) {
  active_handlers->slots[slot](exit);
  observe_after(history, exit);
}

void print_interruption(const char* what, uint32_t raw, uint32_t error_code) {
  const ia32::vmx::InterruptionInfo info{raw};
  if (!info.valid()) return;
  console::printf("vmx:   %s: vector %u %s, %s", what, info.vector(),
                  info.vector() < exception_vectors ? exception_name(info.vector()) : "interrupt",
                  ia32::vmx::interruption_type_name(info.type()));
  if (info.error_code_valid()) console::printf(", error code 0x%x", error_code);
  console::printf("\n");
}

}  // namespace

namespace exit_path {

bool time_left() {
  const uint64_t now = read_tsc();
  return now < bound.deadline && refresh_clock(now);
}

uint64_t uart_byte_wait_ticks() { return bound.uart_byte_ticks; }

}  // namespace exit_path

void prepare_exit_handling(bool reports_ins_outs_info, const GuestClock& clock,
                           const EptTables* ept) {
  cpu_reports_ins_outs_info = reports_ins_outs_info;
  set_guest_memory(ept);
  bound = TimeBound{};
  bound.pit_tick_limit = clock.pit_tick_limit;
  bound.tsc_ticks = clock.tsc_ticks_in_limit;
  bound.uart_byte_ticks = guest_timer::uart_byte_wait_ticks(clock.tsc_ticks_in_limit);
  bound.preemption_timer = clock.preemption_timer;
  bound.timer_shift = clock.timer_shift;
  bound.refresh_ticks = clock.tsc_ticks_in_limit / 100;
  history = ExitLog{};
  active_handlers = &handlers;
  history.guest_uart = UartShadow::as_the_vmm_set_it_up();
  history.guest_line_start = true;
}

uint64_t start_guest_clock() {
  const uint64_t now = read_tsc();
  bound.deadline = now + bound.tsc_ticks;
  bound.next_check = bound.preemption_timer ? now + bound.refresh_ticks : 0;
  return now;
}

const ExitLog& exit_log() { return history; }

void use_chain_exit_handlers(uint16_t pm1a_cnt, bool hlt_activity, bool panic_ports,
                             const GuestMemoryMap* memory_map) {
  active_handlers = &chain_handlers;
  history.chain = true;
  history.chain_pm1a_cnt = pm1a_cnt;
  chain_exits::set_up(pm1a_cnt, hlt_activity, panic_ports, memory_map);
}

void print_exit(const ExitInfo& info, const GuestRegisters* registers) {
  const uint32_t basic = ia32::vmx::basic_exit_reason(info.exit_reason);
  console::printf("vmx: exit %u: reason %u %s%s, qualification 0x%lx\n", total_exits(history), basic,
                  ia32::vmx::exit_reason_name(info.exit_reason),
                  ia32::vmx::is_entry_failure(info.exit_reason) ? " (VM-entry failure)" : "",
                  info.exit_qualification);
  const uint64_t cs = vmread_or_zero(VmcsField::guest_cs_selector);
  console::printf("vmx:   guest cs 0x%lx rip 0x%lx rsp 0x%lx rflags 0x%lx\n", cs, info.guest_rip,
                  info.guest_rsp, info.guest_rflags);
  console::printf("vmx:   instruction length %u, information 0x%x, guest-linear 0x%lx\n",
                  info.instruction_length, info.instruction_info, info.guest_linear_address);
  print_interruption("interruption", info.interruption_info, info.interruption_error_code);
  print_interruption("idt-vectoring", info.idt_vectoring_info, info.idt_vectoring_error_code);
  if (basic == static_cast<uint32_t>(ia32::vmx::ExitReason::io_instruction)) {
    const IoQualification q{info.exit_qualification};
    console::printf("vmx:   %s%s%s %u byte(s), port 0x%x%s\n", q.is_rep() ? "rep " : "",
                    q.is_in() ? "in" : "out", q.is_string() ? "s" : "", q.size_bytes(), q.port(),
                    q.port_is_immediate() ? " (immediate)" : " (dx)");
  }
  if (registers == nullptr) return;
  // All fifteen, five to a line.
  unsigned printed = 0;
#define VMX_PRINT_GUEST_REGISTER(name)                                       \
  console::printf("%s%s 0x%lx", printed % 5 == 0 ? "vmx:  " : "", " " #name, \
                  registers->name);                                          \
  if (++printed % 5 == 0) console::printf("\n");
  VMX_GUEST_REGISTERS(VMX_PRINT_GUEST_REGISTER)
#undef VMX_PRINT_GUEST_REGISTER
  if (printed % 5 != 0) console::printf("\n");
}

}  // namespace vmx

using namespace vmx;

// Every exit, called by the stub with the context it built. Reads the
// reason, then: observer, clock, handler, observer. Reasons past the table
// and failed entries go to the fallback through the table's last slot.
extern "C" void vmx_handle_exit(ExitContext* context) {
  ExitContext& exit = *context;
  uint64_t reason;
  if (!vmread_ok(ia32::vmx::encoding(VmcsField::exit_reason), &reason)) {
    return stop(exit, "VMREAD of the exit reason failed");
  }
  exit.info.exit_reason = static_cast<uint32_t>(reason);
  exit.string_elements = 0;  // until a string handler has moved some
  const uint32_t slot = ia32::vmx::exit_reason_slot(exit.info.exit_reason);
  observe_before(history, slot);
  // The time bound first, whatever the exit: it counts the exits' time too.
  if (read_tsc() >= bound.next_check) return check_clock_then_handle(exit, slot);
  return handle_and_observe(exit, slot);
}
