// VM-exit handling for the demo: a table of handlers indexed by the basic
// exit reason. The VMX I/O bitmaps trap every port; what each access may do
// is the VMM's port policy (vmx/port_policy.h): COM1's data and status on
// the real UART, its setup registers virtualized (vmx/uart_shadow.h), single
// OUTs to the benchmark's port forwarded unpolled, every other access denied
// (IN reads all ones, OUT is dropped), counted and logged. Every exit first
// checks the guest's time bound, which counts the exits' own time too
// (vmx/guest_timer.h), and does bounded work. VMCALL ends the guest; a PIT
// tick past the limit, the VMX-preemption timer or the deadline ends it as
// out of time; everything else stops the demo, to be printed decoded by the
// launcher. 64-bit VMM only.
#include "guest_header.h"
#include "ia32/instructions.h"
#include "ia32/registers.h"
#include "ia32/io.h"
#include "ia32/vmx/exit_reason.h"
#include "ia32/vmx/instructions.h"
#include "ia32/vmx/interruption_info.h"
#include "ia32/vmx/io_qualification.h"
#include "layout.h"
#include "common/console.h"
#include "common/uart16550_registers.h"
#include "vmx/exits.h"
#include "vmx/guest_state.h"
#include "vmx/guest_memory.h"
#include "vmx/guest_timer.h"
#include "vmx/io_emulation.h"
#include "vmx/port_policy.h"
#include "vmx/uart_shadow.h"

namespace vmx {

using ia32::vmx::FieldType;
using ia32::vmx::FieldWidth;
using ia32::vmx::IoQualification;
using ia32::vmx::VmcsField;
using ia32::vmx::VmxResult;

namespace {

ExitLog history;
bool cpu_reports_ins_outs_info;
uint32_t timer_tick_limit;

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
} bound;

// COM1's registers as the policy has them, by offset and direction: the
// exit path's one-byte COM1 accesses read this, computed from the table.
struct Com1Actions {
  PortAction in[8];
  PortAction out[8];
};
constexpr Com1Actions com1_actions = [] {
  Com1Actions a{};
  for (unsigned i = 0; i < 8; ++i) {
    a.in[i] = decide_port_access(static_cast<uint16_t>(layout::COM1_PORT + i), 1, true);
    a.out[i] = decide_port_access(static_cast<uint16_t>(layout::COM1_PORT + i), 1, false);
  }
  return a;
}();
// What com1_access() relies on: the guest writes no real COM1 register but
// the data port, and the benchmark's port takes one-byte OUTs only.
static_assert([] {
  for (unsigned i = 1; i < 8; ++i) {
    if (com1_actions.out[i] == PortAction::uart_forward) return false;
  }
  return com1_actions.out[0] == PortAction::uart_forward;
}());
static_assert(decide_port_access(layout::BENCH_PORT, 1, false) == PortAction::bench_count &&
              decide_port_access(layout::BENCH_PORT, 1, true) == PortAction::deny &&
              decide_port_access(layout::BENCH_PORT, 2, false) == PortAction::deny);
// Every rule but the benchmark's is a COM1 byte register.
static_assert([] {
  for (const PortRule& r : port_policy) {
    if (r.action == PortAction::bench_count) continue;
    if (r.sizes != size1 || r.port < layout::COM1_PORT || r.port >= layout::COM1_PORT + 8) {
      return false;
    }
  }
  return true;
}());

// A lambda, not a function, so that read_results_range() inlines it.
constexpr auto vmread_ok = [](uint32_t field, uint64_t* value) __attribute__((always_inline)) {
  return ia32::vmx::vmread_succeeded(field, value);
};

uint64_t vmread_or_zero(uint32_t field) {
  uint64_t value = 0;
  if (!vmread_ok(field, &value)) return 0;
  return value;
}

uint64_t vmread_or_zero(VmcsField field) { return vmread_or_zero(ia32::vmx::encoding(field)); }

// Never returns, but is not declared [[noreturn]] (and noipa keeps GCC from
// finding out): the handlers reach it in tail position, where GCC jumps to
// it. A call to a noreturn function would cost every handler a stack frame,
// on every exit.
[[gnu::noipa]] void stop(const char* note) {
  history.stop_note = note;
  vmx_return_to_launcher(exit_stop);
}

// The launcher prints the exit in full once the guest is done (exits.h says
// why not here).
[[gnu::noipa]] void stop_with_dump(GuestRegisters& registers, ExitInfo& info,
                                          const char* note) {
  // The fast paths read only part of results[]; a dump wants all of it.
  read_results_range<1, results_size>(info, vmread_ok);
  history.guest_report = registers;
  history.dump = true;
  return stop(note);
}

// The guest has used up its time (whichever clock said so first).
[[gnu::noipa]] void out_of_time(ExitInfo& info) {
  read_results_range<1, results_size>(info, vmread_ok);
  vmx_return_to_launcher(exit_guest_timeout);
}

// The TSC, inline (the exit path reads it on every exit).
[[gnu::always_inline]] inline uint64_t read_tsc() {
  uint64_t tsc;
  asm volatile("rdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax" : "=a"(tsc) : : "rdx");
  return tsc;
}

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

// Before the guest runs on, after an exit's slow work: false once the
// deadline has passed (or a VMWRITE failed).
[[gnu::noinline]] bool time_left() {
  const uint64_t now = read_tsc();
  return now < bound.deadline && refresh_clock(now);
}

[[gnu::always_inline]] inline void advance_guest_rip(const ExitInfo& info) {
  if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_rip),
                                    info.guest_rip + info.instruction_length)) {
    return stop("VMWRITE of the guest RIP failed");
  }
}

// Bochs' 16550 drops a byte written while the transmitter is busy; wait,
// but no longer than a byte takes at the VMM's own baud rate (the guest
// cannot change it: vmx/uart_shadow.h), so no exit waits long. A missing
// UART reads 0xFF, which looks ready.
[[gnu::always_inline]] inline void wait_transmitter_ready() {
  const uint64_t start = read_tsc();
  while ((inb(layout::COM1_PORT + uart16550::LSR) & uart16550::LSR_THR_EMPTY) == 0) {
    if (read_tsc() - start > bound.uart_byte_ticks) return;
  }
}

// What the guest sends reaches the same COM1 as the VMM's own lines, so each
// of its lines starts with a mark a reader can tell apart.
constexpr char guest_mark[] = "guest| ";

[[gnu::noinline]] void mark_guest_line() {
  for (const char* c = guest_mark; *c != '\0'; ++c) {
    wait_transmitter_ready();
    outb(layout::COM1_PORT, static_cast<uint8_t>(*c));
  }
  history.guest_line_start = false;
}

// One data byte from the guest to the real transmitter.
void uart_data_out(uint8_t value) {
  if (history.guest_line_start && value != '\r') mark_guest_line();
  if (value == '\n') history.guest_line_start = true;
  wait_transmitter_ready();
  ++history.com1_bytes_out;
  outb(layout::COM1_PORT + uart16550::THR, value);
}

// A one-byte access to COM1 + offset that the policy allows: a setup
// register (or with the guest's DLAB its divisor) in the shadow, else the
// real UART (writes reach only its data port: checked above).
uint8_t com1_access(unsigned offset, bool in, uint8_t value) {
  if (uint8_t* shadow = history.guest_uart.register_for(offset, in)) {
    if (in) return *shadow;
    *shadow = value;
    return 0;
  }
  if (in) return inb(static_cast<uint16_t>(layout::COM1_PORT + offset));
  uart_data_out(value);
  return 0;
}

// One access (of one element) as the policy decided: what an IN or INS
// reads (all ones when denied), or the OUT carried out.
uint32_t carry_out(PortAction action, uint16_t port, IoQualification qualification,
                   uint32_t value) {
  const bool in = qualification.is_in();
  switch (action) {
    case PortAction::uart_forward:
    case PortAction::uart_virtual:  // COM1 byte registers only (checked above)
      return com1_access(static_cast<uint16_t>(port - layout::COM1_PORT), in,
                         static_cast<uint8_t>(value));
    case PortAction::bench_count:  // one-byte OUTs only (checked above)
      if (in) break;
      ++history.unpolled_outs;
      outb(port, static_cast<uint8_t>(value));
      return 0;
    case PortAction::deny: break;
  }
  return qualification.size_mask();
}

uint32_t segment_base_field(ia32::vmx::SegmentRegister segment) {
  return ia32::vmx::field_encoding(FieldWidth::natural, FieldType::guest,
                                   3 + static_cast<uint32_t>(segment));
}
uint32_t segment_limit_field(ia32::vmx::SegmentRegister segment) {
  return ia32::vmx::field_encoding(FieldWidth::bits32, FieldType::guest,
                                   static_cast<uint32_t>(segment));
}
static_assert(ia32::vmx::field_encoding(FieldWidth::natural, FieldType::guest, 3 + 3) ==
              ia32::vmx::encoding(VmcsField::guest_ds_base));
static_assert(ia32::vmx::field_encoding(FieldWidth::bits32, FieldType::guest, 3) ==
              ia32::vmx::encoding(VmcsField::guest_ds_limit));

// The guest's memory and the port, for emulate_string_io(): each element
// as the policy decided for the whole instruction.
struct StringIoGuest {
  GuestPaging paging;
  PortAction action;
  IoQualification qualification;
  GuestAccess read(uint64_t linear, unsigned bytes, uint32_t* value) const {
    return read_guest_linear(paging, linear, bytes, value);
  }
  GuestAccess write(uint64_t linear, unsigned bytes, uint32_t value) const {
    return write_guest_linear(paging, linear, bytes, value);
  }
  uint32_t in(uint16_t port, unsigned) const { return carry_out(action, port, qualification, 0); }
  void out(uint16_t port, unsigned, uint32_t value) const {
    carry_out(action, port, qualification, value);
  }
};

// INS / OUTS, with or without REP, through the guest's segment and paging,
// DF and address size honoured: a chunk of at most string_io_chunk_elements
// per exit (vmx/io_emulation.h). A longer REP resumes at the same
// instruction with RCX and RSI/RDI advanced, and exits again.
[[gnu::noinline]] void handle_string_io(GuestRegisters& registers, ExitInfo& info,
                                        IoQualification qualification, PortAction action) {
  if (action != PortAction::deny) ++history.string_io_exits;
  const bool in = qualification.is_in();
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  const StringIoGuest guest{{vmread_or_zero(VmcsField::guest_cr3),
                             (vmread_or_zero(VmcsField::guest_cr4) & cr4::pse) != 0},
                            action, qualification};
  StringOperand operand;
  if (cpu_reports_ins_outs_info) {
    operand = string_operand_from_info(
        static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_instruction_info)), in);
  } else {
    // Decode the prefixes ourselves; V86 code has a 16-bit default.
    uint8_t bytes[15];
    const uint64_t cs_base = vmread_or_zero(VmcsField::guest_cs_base);
    const unsigned length = info.instruction_length <= 15 ? info.instruction_length : 15;
    for (unsigned i = 0; i < length; ++i) {
      uint32_t byte;
      if (read_guest_linear(guest.paging, cs_base + ((info.guest_rip + i) & 0xFFFF), 1, &byte) !=
          GuestAccess::ok) {
        return stop_with_dump(registers, info, "INS/OUTS instruction bytes unreadable");
      }
      bytes[i] = static_cast<uint8_t>(byte);
    }
    if (!string_operand_from_bytes(bytes, length, false, operand)) {
      return stop_with_dump(registers, info, "INS/OUTS prefixes not understood");
    }
  }
  StringIoRequest request{};
  request.qualification = qualification;
  request.operand = operand;
  request.segment_base = vmread_or_zero(segment_base_field(operand.segment));
  request.segment_limit = static_cast<uint32_t>(vmread_or_zero(segment_limit_field(operand.segment)));
  request.direction_down = (rflags & rflags::df) != 0;
  request.index = in ? registers.rdi : registers.rsi;
  request.rcx = registers.rcx;
  const StringIoResult result = emulate_string_io(request, guest);
  if (action == PortAction::deny && history.denied_accesses <= denied_log_size) {
    history.denied_log[history.denied_accesses - 1].elements = result.elements;
  }
  (in ? registers.rdi : registers.rsi) = result.index;
  registers.rcx = result.rcx;
  if (result.error != nullptr) return stop_with_dump(registers, info, result.error);
  // The chunk's own time counts before the guest goes on.
  if (!time_left()) return out_of_time(info);
  if (!result.done) return;  // RIP stays: the next exit does the next chunk
  return advance_guest_rip(info);
}

// IN / OUT (not a string) as the policy decided. IN writes AL, AX or EAX;
// the rest of RAX is the guest's.
void handle_single_io(GuestRegisters& registers, ExitInfo& info, IoQualification qualification,
                      PortAction action) {
  const uint32_t value = carry_out(action, qualification.port(), qualification,
                                   static_cast<uint32_t>(registers.rax));
  if (qualification.is_in()) {
    registers.rax = (registers.rax & ~uint64_t{qualification.size_mask()}) | value;
  }
  return advance_guest_rip(info);
}

// An access the policy does not allow: denied; counted, the first few logged.
[[gnu::noinline]] void deny_io(GuestRegisters& registers, ExitInfo& info,
                               IoQualification qualification) {
  if (history.denied_accesses < denied_log_size) {
    history.denied_log[history.denied_accesses] = {
        qualification.port(), static_cast<uint8_t>(qualification.size_bytes()),
        qualification.is_in(), qualification.is_string(), 1};
  }
  ++history.denied_accesses;
  if (qualification.is_string()) {
    return handle_string_io(registers, info, qualification, PortAction::deny);
  }
  return handle_single_io(registers, info, qualification, PortAction::deny);
}

// Nearly every I/O exit is IN AL, DX / OUT DX, AL to COM1 or a single OUT
// to the benchmark's port: that path (handle_io) stays short (three
// VMREADs, one port access, one VMWRITE). Strings, wider accesses and every
// other port leave it at once for this one, which asks the policy about
// every byte the access touches.
[[gnu::noinline]] void handle_uncommon_io(GuestRegisters& registers, ExitInfo& info) {
  const IoQualification qualification{info.exit_qualification};
  const PortAction action =
      decide_port_access(qualification.port(), qualification.size_bytes(), qualification.is_in());
  if (action == PortAction::deny) return deny_io(registers, info, qualification);
  if (qualification.is_string()) return handle_string_io(registers, info, qualification, action);
  return handle_single_io(registers, info, qualification, action);
}

void handle_com1_byte(GuestRegisters& registers, ExitInfo& info);

void handle_io(GuestRegisters& registers) {
  ExitInfo& info = history.info;
  if (!read_results_range<1, results_for_io_exit>(info, vmread_ok)) {
    return stop("VMREAD of the exit information failed");
  }
  const IoQualification qualification{info.exit_qualification};
  // The benchmark's port (the policy's bench_count, checked above):
  // forwarded at once.
  if (qualification.is_byte_out_to(layout::BENCH_PORT)) {
    // The next RIP before the OUT, while the fields are still in registers
    // (OUT is a compiler barrier: after it they would be loaded again).
    const uint64_t next_rip = info.guest_rip + info.instruction_length;
    ++history.unpolled_outs;
    outb(layout::BENCH_PORT, static_cast<uint8_t>(registers.rax));
    if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_rip), next_rip)) {
      return stop("VMWRITE of the guest RIP failed");
    }
    return;
  }
  // Then IN AL / OUT AL on COM1 (a function of its own, so that the
  // benchmark's path above saves no register).
  return handle_com1_byte(registers, info);
}

// IN AL / OUT AL on COM1, as the policy has its registers.
[[gnu::noinline]] void handle_com1_byte(GuestRegisters& registers, ExitInfo& info) {
  const IoQualification qualification{info.exit_qualification};
  const unsigned offset = static_cast<uint16_t>(qualification.port() - layout::COM1_PORT);
  if (!qualification.is_single_byte() || offset >= 8) {
    return handle_uncommon_io(registers, info);
  }
  const bool in = qualification.is_in();
  if ((in ? com1_actions.in[offset] : com1_actions.out[offset]) == PortAction::deny) {
    return deny_io(registers, info, qualification);
  }
  ++(in ? history.com1_in : history.com1_out)[offset];
  const uint8_t value = com1_access(offset, in, static_cast<uint8_t>(registers.rax));
  if (in) registers.rax = (registers.rax & ~0xFFull) | value;
  return advance_guest_rip(info);
}

void handle_vmcall(GuestRegisters& registers) {
  ExitInfo& info = history.info;
  if (!read_results_range<1, results_for_io_exit>(info, vmread_ok)) {
    return stop("VMREAD of the exit information failed");
  }
  history.guest_report = registers;
  if (static_cast<uint32_t>(registers.rax) == layout::GUEST_VMCALL_HALTED) {
    read_results_range<1, results_size>(info, vmread_ok);
    vmx_return_to_launcher(exit_guest_done);
  }
  return stop_with_dump(registers, info,
                        static_cast<uint32_t>(registers.rax) == layout::GUEST_VMCALL_FAULT
                            ? "guest reported an unexpected #GP"
                            : "VMCALL without the guest's report");
}

[[gnu::noipa]] void handle_unexpected(GuestRegisters& registers) {
  return stop_with_dump(registers, history.info, nullptr);
}

// A PIT tick (vmx/guest_timer.h): the CPU acknowledged the interrupt on
// exit; the PIC wants its EOI. Past the limit the guest is out of time.
void handle_external_interrupt(GuestRegisters& registers) {
  ExitInfo& info = history.info;
  const ia32::vmx::InterruptionInfo interrupt{
      static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_interruption_info))};
  if (interrupt.valid() && interrupt.vector() == guest_timer::irq0_vector + 7) {
    return;  // spurious IRQ7: no EOI, not a tick
  }
  guest_timer::end_of_interrupt();
  if (!interrupt.valid() || interrupt.vector() != guest_timer::irq0_vector) {
    return stop_with_dump(registers, info, "an external interrupt other than the PIT's");
  }
  ++history.timer_ticks;
  if (timer_tick_limit != 0 && history.timer_ticks >= timer_tick_limit) return out_of_time(info);
  // (The dispatcher keeps the guest's IF set for the next tick: time_left.)
}

// The timer ran out: the deadline has passed, or (the TSC and the timer
// disagreeing by a few ticks) is about to: either way the guest is done.
void handle_preemption_timer(GuestRegisters&) { return out_of_time(history.info); }

// Exit reason 0: an exception the exception bitmap sends here (the demo's
// guest has no business with one: stop), or a host NMI under NMI exiting,
// which ends the run without the guest seeing it (vmx/guest_state.h says
// why). Constant work either way.
void handle_exception_or_nmi(GuestRegisters& registers) {
  const ia32::vmx::InterruptionInfo event{
      static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_interruption_info))};
  history.host_nmi = event.valid() && event.type() == ia32::vmx::interruption::nmi;
  return stop_with_dump(registers, history.info, nullptr);
}

// The guest reached guest-physical memory the EPT does not map for it.
void handle_ept_violation(GuestRegisters& registers) {
  history.guest_physical_address = vmread_or_zero(VmcsField::guest_physical_address);
  return stop_with_dump(registers, history.info, "EPT violation");
}

// Indexed by basic exit reason. Each handler reads the part of results[] it
// needs into history.info (entry 0, the reason, is read by the dispatcher).
// Not a parameter: one instruction less on every exit.
using ExitHandler = void (*)(GuestRegisters&);

struct HandlerTable {
  ExitHandler slots[ia32::vmx::exit_reason_count];
};

constexpr HandlerTable make_handler_table() {
  HandlerTable table{};
  for (ExitHandler& slot : table.slots) slot = handle_unexpected;
  table.slots[static_cast<unsigned>(ia32::vmx::ExitReason::exception_or_nmi)] =
      handle_exception_or_nmi;
  table.slots[static_cast<unsigned>(ia32::vmx::ExitReason::io_instruction)] = handle_io;
  table.slots[static_cast<unsigned>(ia32::vmx::ExitReason::vmcall)] = handle_vmcall;
  table.slots[static_cast<unsigned>(ia32::vmx::ExitReason::external_interrupt)] =
      handle_external_interrupt;
  table.slots[static_cast<unsigned>(ia32::vmx::ExitReason::preemption_timer)] =
      handle_preemption_timer;
  table.slots[static_cast<unsigned>(ia32::vmx::ExitReason::ept_violation)] = handle_ept_violation;
  return table;
}

constexpr HandlerTable handlers = make_handler_table();

void print_interruption(const char* what, uint32_t raw, uint32_t error_code) {
  const ia32::vmx::InterruptionInfo info{raw};
  if (!info.valid()) return;
  console::printf("vmx:   %s: vector %u %s, %s", what, info.vector(),
                  info.vector() < exception_vectors ? exception_name(info.vector()) : "interrupt",
                  ia32::vmx::interruption_type_name(info.type()));
  if (info.error_code_valid()) console::printf(", error code 0x%x", error_code);
  console::printf("\n");
}

// The exit path's clock check, when it is due (TimeBound::next_check).
[[gnu::noinline]] void check_clock_then_handle(GuestRegisters& registers) {
  ExitInfo& info = history.info;
  const uint64_t now = read_tsc();
  if (now >= bound.deadline) return out_of_time(info);
  if (!refresh_clock(now)) return stop("VMWRITE of the guest's clock failed");
  return handlers.slots[ia32::vmx::basic_exit_reason(info.exit_reason)](registers);
}

void dispatch_exit(GuestRegisters* registers) {
  ExitInfo& info = history.info;
  uint64_t reason;
  if (!vmread_ok(ia32::vmx::encoding(VmcsField::exit_reason), &reason)) {
    return stop("VMREAD of the exit reason failed");
  }
  info.exit_reason = static_cast<uint32_t>(reason);
  // A failed VM entry (bit 31) reports reason 33, 34 or 41: never a handled one.
  const uint32_t basic = static_cast<uint32_t>(reason) & 0x8000FFFFu;
  if (basic >= ia32::vmx::exit_reason_count) {
    ++history.by_reason[ia32::vmx::exit_reason_count];
    return handle_unexpected(*registers);
  }
  ++history.by_reason[basic];
  // The time bound first, whatever the exit: it counts the exits' time too.
  if (read_tsc() >= bound.next_check) return check_clock_then_handle(*registers);
  return handlers.slots[basic](*registers);
}

}  // namespace

void prepare_exit_handling(bool reports_ins_outs_info, const GuestClock& clock,
                           const EptTables* ept) {
  cpu_reports_ins_outs_info = reports_ins_outs_info;
  set_guest_memory(ept);
  timer_tick_limit = clock.pit_tick_limit;
  bound = TimeBound{};
  bound.tsc_ticks = clock.tsc_ticks_in_limit;
  bound.uart_byte_ticks = guest_timer::uart_byte_wait_ticks(clock.tsc_ticks_in_limit);
  bound.preemption_timer = clock.preemption_timer;
  bound.timer_shift = clock.timer_shift;
  bound.refresh_ticks = clock.tsc_ticks_in_limit / 100;
  history = ExitLog{};
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

uint32_t total_exits(const ExitLog& log) {
  uint32_t total = 0;
  for (uint32_t count : log.by_reason) total += count;
  return total;
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
  if (registers != nullptr) {
    console::printf("vmx:   rax 0x%lx rcx 0x%lx rdx 0x%lx rsi 0x%lx rdi 0x%lx\n", registers->rax,
                    registers->rcx, registers->rdx, registers->rsi, registers->rdi);
  }
}

}  // namespace vmx


extern "C" void vmx_handle_exit(vmx::GuestRegisters* registers) {
  vmx::dispatch_exit(registers);
}
