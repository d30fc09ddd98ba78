// VM-exit handling for the demo: a table of handlers indexed by the basic
// exit reason. The VMX I/O bitmaps trap every port; the allow-list is here:
// COM1 is carried out on the real UART (the guest's only device), single
// OUTs to the benchmark's port are forwarded unpolled, every other access
// is denied (IN reads all ones, OUT is dropped), counted and logged. VMCALL
// ends the guest; a PIT tick past the limit or the VMX-preemption timer
// ends it as out of time; everything else stops the demo, to be printed
// decoded by the launcher. 64-bit VMM only.
#include "guest_header.h"
#include "ia32/instructions.h"
#include "ia32/registers.h"
#include "ia32/io.h"
#include "ia32/vmx/exit_reason.h"
#include "ia32/vmx/instructions.h"
#include "ia32/vmx/interruption_info.h"
#include "ia32/vmx/io_qualification.h"
#include "layout.h"
#include "lib/console.h"
#include "lib/uart16550.h"
#include "lib/uart16550_registers.h"
#include "vmx/exits.h"
#include "vmx/guest_state.h"
#include "vmx/guest_memory.h"
#include "vmx/guest_timer.h"
#include "vmx/io_emulation.h"

namespace vmx {

using ia32::vmx::FieldType;
using ia32::vmx::FieldWidth;
using ia32::vmx::IoQualification;
using ia32::vmx::VmcsField;
using ia32::vmx::VmxResult;

namespace {

ExitLog history;
bool cpu_reports_ins_outs_info;
uint16_t forwarded_unpolled_port;
uint32_t timer_tick_limit;


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

[[gnu::always_inline]] inline void advance_guest_rip(const ExitInfo& info) {
  if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_rip),
                                    info.guest_rip + info.instruction_length)) {
    return stop("VMWRITE of the guest RIP failed");
  }
}

// Bochs' 16550 drops a byte written while the transmitter is busy; wait, but
// not forever (a missing UART reads 0xFF, which looks ready). The driver's
// bound, inlined here: this is the exit path.
[[gnu::always_inline]] inline void wait_transmitter_ready() {
  for (uint32_t i = 0; i < Uart16550::max_ready_polls; ++i) {
    if (inb(layout::COM1_PORT + uart16550::LSR) & uart16550::LSR_THR_EMPTY) return;
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

[[gnu::always_inline]] inline void port_out(uint16_t port, unsigned bytes, uint32_t value) {
  constexpr uint16_t line_control = layout::COM1_PORT + 3;
  constexpr uint8_t lcr_dlab = 0x80;
  if (port == line_control) history.guest_dlab = (value & lcr_dlab) != 0;
  if (port == layout::COM1_PORT && !history.guest_dlab) {
    if (history.guest_line_start && static_cast<uint8_t>(value) != '\r') mark_guest_line();
    if (static_cast<uint8_t>(value) == '\n') history.guest_line_start = true;
    wait_transmitter_ready();
    history.com1_bytes_out += bytes;
  }
  switch (bytes) {
    case 1: outb(port, static_cast<uint8_t>(value)); break;
    case 2: outw(port, static_cast<uint16_t>(value)); break;
    default: outl(port, value); break;
  }
}

uint32_t port_in(uint16_t port, unsigned bytes) {
  switch (bytes) {
    case 1: return inb(port);
    case 2: return inw(port);
    default: return inl(port);
  }
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

// What an IN or INS from the guest reads: the port, or (`deny`, a port
// outside the allow-list) all ones, what a bus with nothing on it returns.
uint32_t guest_port_in(IoQualification qualification, bool deny) {
  return deny ? qualification.size_mask() : port_in(qualification.port(), qualification.size_bytes());
}

// The guest's memory and the ports, for emulate_string_io(): to COM1, or
// (`deny`) INS reads all ones, OUTS goes nowhere.
struct StringIoGuest {
  GuestPaging paging;
  bool deny;
  GuestAccess read(uint64_t linear, unsigned bytes, uint32_t* value) const {
    return read_guest_linear(paging, linear, bytes, value);
  }
  GuestAccess write(uint64_t linear, unsigned bytes, uint32_t value) const {
    return write_guest_linear(paging, linear, bytes, value);
  }
  IoQualification qualification;
  uint32_t in(uint16_t, unsigned) const { return guest_port_in(qualification, deny); }
  void out(uint16_t port, unsigned bytes, uint32_t value) const {
    if (!deny) port_out(port, bytes, value);
  }
};

// INS / OUTS, with or without REP, in one exit: the whole string through the
// guest's segment and paging, DF and address size honoured.
[[gnu::noinline]] void handle_string_io(GuestRegisters& registers, ExitInfo& info,
                                        IoQualification qualification, bool deny) {
  if (!deny) ++history.string_io_exits;
  const bool in = qualification.is_in();
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  const StringIoGuest guest{{vmread_or_zero(VmcsField::guest_cr3),
                             (vmread_or_zero(VmcsField::guest_cr4) & cr4::pse) != 0},
                            deny, qualification};
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
  if (deny && history.denied_accesses <= denied_log_size) {
    history.denied_log[history.denied_accesses - 1].elements = result.elements;
  }
  (in ? registers.rdi : registers.rsi) = result.index;
  registers.rcx = result.rcx;
  if (result.error != nullptr) return stop_with_dump(registers, info, result.error);
  return advance_guest_rip(info);
}

// IN / OUT (not a string): carried out, or (`deny`) IN reads all ones and
// OUT goes nowhere. IN writes AL, AX or EAX; the rest of RAX is the guest's.
void handle_single_io(GuestRegisters& registers, ExitInfo& info, IoQualification qualification,
                      bool deny) {
  if (qualification.is_in()) {
    registers.rax = (registers.rax & ~uint64_t{qualification.size_mask()}) |
                    guest_port_in(qualification, deny);
  } else if (!deny) {
    port_out(qualification.port(), qualification.size_bytes(),
             static_cast<uint32_t>(registers.rax));
  }
  return advance_guest_rip(info);
}

// A port outside the allow-list: denied; counted, the first few logged.
[[gnu::noinline]] void deny_io(GuestRegisters& registers, ExitInfo& info,
                               IoQualification qualification) {
  if (history.denied_accesses < denied_log_size) {
    history.denied_log[history.denied_accesses] = {
        qualification.port(), static_cast<uint8_t>(qualification.size_bytes()),
        qualification.is_in(), qualification.is_string(), 1};
  }
  ++history.denied_accesses;
  if (qualification.is_string()) return handle_string_io(registers, info, qualification, true);
  return handle_single_io(registers, info, qualification, true);
}

// Nearly every I/O exit is IN AL, DX / OUT DX, AL to COM1 or a single OUT
// to the benchmark's port: that path (handle_io) stays short (three
// VMREADs, one port access, one VMWRITE). Strings, wider accesses and every
// other port leave it at once for this one.
[[gnu::noinline]] void handle_uncommon_io(GuestRegisters& registers, ExitInfo& info) {
  const IoQualification qualification{info.exit_qualification};
  const uint16_t port = qualification.port();
  const bool allowed = static_cast<uint16_t>(port - layout::COM1_PORT) < 8 ||
                       port == forwarded_unpolled_port;
  if (!allowed) return deny_io(registers, info, qualification);
  if (qualification.is_string()) return handle_string_io(registers, info, qualification, false);
  return handle_single_io(registers, info, qualification, false);
}

void handle_io(GuestRegisters& registers, ExitInfo& info) {
  if (!read_results_range<1, results_for_io_exit>(info, vmread_ok)) {
    return stop("VMREAD of the exit information failed");
  }
  const IoQualification qualification{info.exit_qualification};
  const uint16_t port = qualification.port();
  // Size bits 0 (one byte), no string bit and OUT: the benchmark's port,
  // forwarded at once; then IN AL / OUT AL on COM1.
  constexpr uint64_t size_string_and_in = 0x1F;
  if ((qualification.raw & size_string_and_in) == 0 && port == forwarded_unpolled_port) {
    ++history.unpolled_outs;
    outb(port, static_cast<uint8_t>(registers.rax));
    return advance_guest_rip(info);
  }
  constexpr uint64_t size_and_string = 0x17;
  if ((qualification.raw & size_and_string) != 0 ||
      static_cast<uint16_t>(port - layout::COM1_PORT) >= 8) {
    return handle_uncommon_io(registers, info);
  }
  if (qualification.is_in()) {
    ++history.com1_in[port & 7];
    registers.rax = (registers.rax & ~0xFFull) | inb(port);
  } else {
    ++history.com1_out[port & 7];
    port_out(port, 1, static_cast<uint32_t>(registers.rax));
  }
  return advance_guest_rip(info);
}

void handle_vmcall(GuestRegisters& registers, ExitInfo& info) {
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

[[gnu::noipa]] void handle_unexpected(GuestRegisters& registers, ExitInfo& info) {
  return stop_with_dump(registers, info, nullptr);
}

// A PIT tick (vmx/guest_timer.h): the CPU acknowledged the interrupt on
// exit; the PIC wants its EOI. Past the limit the guest is out of time.
void handle_external_interrupt(GuestRegisters& registers, ExitInfo& info) {
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
  if (timer_tick_limit != 0 && history.timer_ticks >= timer_tick_limit) {
    read_results_range<1, results_size>(info, vmread_ok);
    vmx_return_to_launcher(exit_guest_timeout);
  }
  // Bochs 2.7 decides whether INTR may interrupt the guest while loading
  // the guest state, before it counts the CPU as in VMX non-root operation:
  // with the guest's RFLAGS.IF clear it blocks INTR until the guest changes
  // IF, so a guest that spins with interrupts off would take this first
  // tick and never another. Resuming with IF set avoids that; it changes
  // nothing else the guest can observe but PUSHF: under external-interrupt
  // exiting no interrupt reaches the guest whatever IF says (SDM 26.2).
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  if ((rflags & rflags::if_flag) == 0 &&
      !ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_rflags),
                                    rflags | rflags::if_flag)) {
    return stop("VMWRITE of the guest RFLAGS failed");
  }
}

void handle_preemption_timer(GuestRegisters&, ExitInfo& info) {
  read_results_range<1, results_size>(info, vmread_ok);
  vmx_return_to_launcher(exit_guest_timeout);
}

// Exit reason 0: an exception the exception bitmap sends here (the demo's
// guest has no business with one: stop), or a host NMI under NMI exiting,
// which ends the run without the guest seeing it (vmx/guest_state.h says
// why). Constant work either way.
void handle_exception_or_nmi(GuestRegisters& registers, ExitInfo& info) {
  const ia32::vmx::InterruptionInfo event{
      static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_interruption_info))};
  history.host_nmi = event.valid() && event.type() == ia32::vmx::interruption::nmi;
  return stop_with_dump(registers, info, nullptr);
}

// The guest reached guest-physical memory the EPT does not map for it.
void handle_ept_violation(GuestRegisters& registers, ExitInfo& info) {
  history.guest_physical_address = vmread_or_zero(VmcsField::guest_physical_address);
  return stop_with_dump(registers, info, "EPT violation");
}

// Indexed by basic exit reason. Each handler reads the part of results[] it
// needs (entry 0, the reason, is read by the dispatcher).
using ExitHandler = void (*)(GuestRegisters&, ExitInfo&);

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
    return handle_unexpected(*registers, info);
  }
  ++history.by_reason[basic];
  return handlers.slots[basic](*registers, info);
}

}  // namespace

void prepare_exit_handling(bool reports_ins_outs_info, uint16_t unpolled_port,
                           uint32_t pit_tick_limit, const EptTables* ept) {
  cpu_reports_ins_outs_info = reports_ins_outs_info;
  set_guest_memory(ept);
  forwarded_unpolled_port = unpolled_port;
  timer_tick_limit = pit_tick_limit;
  history = ExitLog{};
  history.guest_line_start = true;
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
