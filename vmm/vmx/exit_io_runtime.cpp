// The I/O-instruction exit handler. The VMX I/O bitmaps trap every port;
// what each access may do is the VMM's port policy (vmx/port_policy.h,
// asked through vmx/exit_io_policy.h): COM1's data and status on the real
// UART, its setup registers virtualized (vmx/uart_shadow.h), single OUTs to
// the benchmark's port forwarded unpolled, every other access denied (IN
// reads all ones, OUT is dropped). The exit observer counts and logs them
// (vmx/exit_stats.h); nothing here counts. Bounded work: a string
// instruction moves at most one chunk per exit (vmx/io_emulation.h), a COM1
// byte waits at most a byte's time. 64-bit VMM only.
#include "ia32/io.h"
#include "ia32/registers.h"
#include "ia32/vmx/io_qualification.h"
#include "layout.h"
#include "common/uart16550_registers.h"
#include "vmx/exit_internal.h"
#include "vmx/exit_io_policy.h"
#include "vmx/guest_memory.h"
#include "vmx/io_emulation.h"

namespace vmx {

using ia32::vmx::FieldType;
using ia32::vmx::FieldWidth;
using ia32::vmx::IoQualification;
using ia32::vmx::VmcsField;
using namespace exit_path;

namespace {

// Bochs' 16550 drops a byte written while the transmitter is busy; wait,
// but no longer than a byte takes at the VMM's own baud rate (the guest
// cannot change it: vmx/uart_shadow.h), so no exit waits long. A missing
// UART reads 0xFF, which looks ready.
[[gnu::always_inline]] inline void wait_transmitter_ready() {
  const uint64_t start = read_tsc();
  const uint64_t limit = uart_byte_wait_ticks();
  while ((inb(layout::COM1_PORT + uart16550::LSR) & uart16550::LSR_THR_EMPTY) == 0) {
    if (read_tsc() - start > limit) return;
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

// One data byte from the guest to the real transmitter. (The bytes sent are
// the guest COM1's state, like its line position, not a count of exits.)
void uart_data_out(uint8_t value) {
  if (history.guest_line_start && value != '\r') mark_guest_line();
  if (value == '\n') history.guest_line_start = true;
  wait_transmitter_ready();
  ++history.com1_bytes_out;
  outb(layout::COM1_PORT + uart16550::THR, value);
}

// A one-byte access to COM1 + offset that the policy allows: a setup
// register (or with the guest's DLAB its divisor) in the shadow, else the
// real UART (writes reach only its data port: vmx/exit_io_policy.h).
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
    case PortAction::uart_virtual:  // COM1 byte registers only (vmx/exit_io_policy.h)
      return com1_access(static_cast<uint16_t>(port - layout::COM1_PORT), in,
                         static_cast<uint8_t>(value));
    case PortAction::bench_count:  // one-byte OUTs only (vmx/exit_io_policy.h)
      if (in) break;
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

// Where the string's memory operand is: from the CPU's instruction
// information, or (V86 code has a 16-bit default) from the instruction's
// own prefixes. False when they cannot be read or understood.
bool string_operand(ExitContext& exit, const GuestPaging& paging, StringOperand& operand,
                    const char** error) {
  const bool in = exit.io().is_in();
  if (cpu_reports_ins_outs_info) {
    operand = string_operand_from_info(
        static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_instruction_info)), in);
    return true;
  }
  // An instruction is at most 15 bytes (SDM Vol. 2, 2.3.11); V86 code
  // fetches wrap at 64 KiB within CS.
  constexpr unsigned longest_instruction = 15;
  constexpr uint64_t ip_mask = 0xFFFF;
  uint8_t bytes[longest_instruction];
  const uint64_t cs_base = vmread_or_zero(VmcsField::guest_cs_base);
  const unsigned length = exit.info.instruction_length <= longest_instruction
                              ? exit.info.instruction_length
                              : longest_instruction;
  for (unsigned i = 0; i < length; ++i) {
    uint32_t byte;
    if (read_guest_linear(paging, cs_base + ((exit.info.guest_rip + i) & ip_mask), 1, &byte) !=
        GuestAccess::ok) {
      *error = "INS/OUTS instruction bytes unreadable";
      return false;
    }
    bytes[i] = static_cast<uint8_t>(byte);
  }
  if (!string_operand_from_bytes(bytes, length, false, operand)) {
    *error = "INS/OUTS prefixes not understood";
    return false;
  }
  return true;
}

// INS / OUTS, with or without REP, through the guest's segment and paging,
// DF and address size honoured: a chunk of at most string_io_chunk_elements
// per exit (vmx/io_emulation.h). A longer REP resumes at the same
// instruction with RCX and RSI/RDI advanced, and exits again.
[[gnu::noinline]] void handle_string_io(ExitContext& exit, PortAction action) {
  const IoQualification qualification = exit.io();
  const bool in = qualification.is_in();
  GuestRegisters& registers = exit.registers;
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  const StringIoGuest guest{{vmread_or_zero(VmcsField::guest_cr3),
                             (vmread_or_zero(VmcsField::guest_cr4) & cr4::pse) != 0},
                            action, qualification};
  StringOperand operand;
  const char* error = nullptr;
  if (!string_operand(exit, guest.paging, operand, &error)) return stop_with_dump(exit, error);
  StringIoRequest request{};
  request.qualification = qualification;
  request.operand = operand;
  request.segment_base = vmread_or_zero(segment_base_field(operand.segment));
  request.segment_limit = static_cast<uint32_t>(vmread_or_zero(segment_limit_field(operand.segment)));
  request.direction_down = (rflags & rflags::df) != 0;
  request.index = in ? registers.rdi : registers.rsi;
  request.rcx = registers.rcx;
  const StringIoResult result = emulate_string_io(request, guest);
  exit.string_elements = result.elements;
  (in ? registers.rdi : registers.rsi) = result.index;
  registers.rcx = result.rcx;
  if (result.error != nullptr) return stop_with_dump(exit, result.error);
  // The chunk's own time counts before the guest goes on.
  if (!time_left()) return out_of_time(exit);
  if (!result.done) return;  // RIP stays: the next exit does the next chunk
  return advance_guest_rip(exit);
}

// IN / OUT (not a string) as the policy decided. IN writes AL, AX or EAX;
// the rest of RAX is the guest's.
void handle_single_io(ExitContext& exit, PortAction action) {
  const IoQualification qualification = exit.io();
  uint64_t& rax = exit.registers.rax;
  const uint32_t value =
      carry_out(action, qualification.port(), qualification, static_cast<uint32_t>(rax));
  if (qualification.is_in()) rax = (rax & ~uint64_t{qualification.size_mask()}) | value;
  return advance_guest_rip(exit);
}

// Nearly every I/O exit is IN AL, DX / OUT DX, AL to COM1 or a single OUT
// to the benchmark's port: that path (handle_io) stays short (three
// VMREADs, one port access, one VMWRITE). Strings, wider accesses and every
// other port leave it at once for this one, which asks the policy about
// every byte the access touches.
[[gnu::noinline]] void handle_uncommon_io(ExitContext& exit) {
  const PortAction action = io_access_action(exit.io());
  if (exit.io().is_string()) return handle_string_io(exit, action);
  return handle_single_io(exit, action);
}

// IN AL / OUT AL on COM1, as the policy has its registers.
[[gnu::noinline]] void handle_com1_byte(ExitContext& exit) {
  const IoQualification qualification = exit.io();
  const unsigned offset = com1_byte_offset(qualification);
  if (offset >= com1_registers) return handle_uncommon_io(exit);
  const bool in = qualification.is_in();
  if (com1_byte_action(offset, in) == PortAction::deny) {
    return handle_single_io(exit, PortAction::deny);
  }
  uint64_t& rax = exit.registers.rax;
  const uint8_t value = com1_access(offset, in, static_cast<uint8_t>(rax));
  if (in) rax = (rax & ~uint64_t{qualification.size_mask()}) | value;
  return advance_guest_rip(exit);
}

}  // namespace

void handle_io(ExitContext& exit) {
  ExitInfo& info = exit.info;
  if (!read_results_range<1, 2>(info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  // The benchmark's port (the policy's bench_count: vmx/exit_io_policy.h):
  // forwarded at once. Its instruction length and RIP are used here only
  // (the way out reads them again for the report), so they stay local.
  if (exit.io().is_byte_out_to(layout::BENCH_PORT)) {
    uint64_t length, rip;
    if (!vmread_ok(ia32::vmx::encoding(VmcsField::exit_instruction_length), &length) ||
        !vmread_ok(ia32::vmx::encoding(VmcsField::guest_rip), &rip)) {
      return stop(exit, "VMREAD of the exit information failed");
    }
    outb(layout::BENCH_PORT, static_cast<uint8_t>(exit.registers.rax));
    if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_rip), rip + length)) {
      return stop(exit, "VMWRITE of the guest RIP failed");
    }
    return;
  }
  if (!read_results_range<2, results_for_io_exit>(info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  // Then IN AL / OUT AL on COM1 (a function of its own, so that the
  // benchmark's path above saves no register).
  return handle_com1_byte(exit);
}

}  // namespace vmx
