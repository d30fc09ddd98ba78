// The I/O-instruction exit handler: the port looked up in the machine's
// port map (devices/port_map.h), whose device decides what becomes of the
// access (devices/port_device.h): carried out or answered by the device,
// carried out on the real port, denied (IN reads all ones, OUT is dropped,
// logged), or the guest's end. Counted by the port map's slot for the
// report. String instructions are carried out element by element through
// the guest's memory where the VMM may walk it (vmx/guest_memory.h), a
// chunk per exit (vmx/io_emulation.h). Bounded work: one device access per
// element, at most one chunk of elements per exit. 64-bit VMM only.
#include "ia32/io.h"
#include "ia32/registers.h"
#include "ia32/vmx/io_qualification.h"
#include "devices/port_device.h"
#include "vmx/exit_path.h"
#include "vmx/guest_memory.h"
#include "vmx/io_emulation.h"

namespace vmx::exit_path {

using devices::PortAccess;
using devices::PortVerdict;
using ia32::vmx::FieldType;
using ia32::vmx::FieldWidth;
using ia32::vmx::IoQualification;
using ia32::vmx::VmcsField;

namespace {

// What becomes of one element: the slot's device decides; an access no
// device decides is denied (vmx/devices/port_map.h: decider).
[[gnu::always_inline]] inline PortVerdict decide(const devices::PortMap& ports, uint8_t slot,
                                                 PortAccess& access, GuestEnd& end) {
  if (slot == 0) return PortVerdict::deny;
  const devices::PortDevice& device = *ports.range(slot).device;
  return device.access(device.state, access, end);
}

// The access on the real port, as the guest made it.
[[gnu::always_inline]] inline void pass_through(PortAccess& a) {
  if (a.in) {
    a.value = a.bytes == 1 ? inb(a.port) : a.bytes == 2 ? inw(a.port) : inl(a.port);
  } else if (a.bytes == 1) {
    outb(a.port, static_cast<uint8_t>(a.value));
  } else if (a.bytes == 2) {
    outw(a.port, static_cast<uint16_t>(a.value));
  } else {
    outl(a.port, a.value);
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

// The guest's memory and the port, for emulate_string_io(): each element
// through the slot's device. A denied element is what a denied IN or OUT
// is; an element that ends the guest ends the chunk there.
struct StringIoGuest {
  Vcpu& vcpu;
  GuestPaging paging;
  uint8_t slot;
  unsigned bytes;
  bool* denied;
  GuestEnd* end;
  GuestAccess read(uint64_t linear, unsigned n, uint32_t* value) const {
    return read_guest_linear(vcpu.memory, paging, linear, n, value);
  }
  GuestAccess write(uint64_t linear, unsigned n, uint32_t value) const {
    return write_guest_linear(vcpu.memory, paging, linear, n, value);
  }
  uint32_t in(uint16_t port, unsigned) const { return element(port, true, 0); }
  void out(uint16_t port, unsigned, uint32_t value) const { element(port, false, value); }
  uint32_t element(uint16_t port, bool in, uint32_t value) const {
    PortAccess access{port, static_cast<uint8_t>(bytes), in, value};
    if (end->how != nullptr) return devices::size_mask(bytes);
    switch (decide(*vcpu.ports, slot, access, *end)) {
      case PortVerdict::done: return access.value;
      case PortVerdict::pass: pass_through(access); return access.value;
      case PortVerdict::end: return devices::size_mask(bytes);
      case PortVerdict::deny: break;
    }
    *denied = true;
    return devices::size_mask(bytes);
  }
};

// Where the string's memory operand is: from the CPU's instruction
// information, or (V86 code has a 16-bit default) from the instruction's
// own prefixes. False when they cannot be read or understood.
bool string_operand(Vcpu& vcpu, const GuestPaging& paging, StringOperand& operand,
                    const char** error) {
  const ExitContext& exit = vcpu.context;
  const bool in = exit.io().is_in();
  if (vcpu.plan.reports_ins_outs_info) {
    operand = string_operand_from_info(exit.info.instruction_info, in);
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
    if (read_guest_linear(vcpu.memory, paging, cs_base + ((exit.info.guest_rip + i) & ip_mask), 1,
                          &byte) != GuestAccess::ok) {
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
[[gnu::noinline]] void handle_string_io(Vcpu& vcpu) {
  ExitContext& exit = vcpu.context;
  exit.string_elements = 0;
  const IoQualification qualification = exit.io();
  if (vcpu.memory.kind == GuestMemory::Kind::none) {
    return stop_with_dump(vcpu, "INS/OUTS on a port the VMM keeps (it does not reach into this "
                                "guest's memory)");
  }
  const bool in = qualification.is_in();
  GuestRegisters& registers = exit.registers;
  const uint8_t slot = vcpu.ports->decider(qualification.port(), qualification.size_bytes());
  bool denied = false;
  GuestEnd end{};
  const StringIoGuest guest{vcpu,
                            {vmread_or_zero(VmcsField::guest_cr3),
                             (vmread_or_zero(VmcsField::guest_cr4) & cr4::pse) != 0},
                            slot,
                            qualification.size_bytes(),
                            &denied,
                            &end};
  StringOperand operand;
  const char* error = nullptr;
  if (!string_operand(vcpu, guest.paging, operand, &error)) return stop_with_dump(vcpu, error);
  StringIoRequest request{};
  request.qualification = qualification;
  request.operand = operand;
  request.segment_base = vmread_or_zero(segment_base_field(operand.segment));
  request.segment_limit = static_cast<uint32_t>(vmread_or_zero(segment_limit_field(operand.segment)));
  request.direction_down = (vmread_or_zero(VmcsField::guest_rflags) & rflags::df) != 0;
  request.index = in ? registers.rdi : registers.rsi;
  request.rcx = registers.rcx;
  const StringIoResult result = emulate_string_io(request, guest);
  exit.string_elements = result.elements;
  (in ? registers.rdi : registers.rsi) = result.index;
  registers.rcx = result.rcx;
  if (denied) {
    count_denied(vcpu.log.stats, {qualification.port(), static_cast<uint8_t>(qualification.size_bytes()),
                                  in, true, result.elements});
  } else {
    ++vcpu.log.stats.string_io_exits;
  }
  if (end.how != nullptr) return end_guest(vcpu, end);
  if (result.error != nullptr) return stop_with_dump(vcpu, result.error);
  // The chunk's own time counts before the guest goes on.
  if (!time_left(vcpu)) return out_of_time(vcpu);
  if (!result.done) return;  // RIP stays: the next exit does the next chunk
  return advance_guest_rip(vcpu);
}

// IN / OUT that the slot's device decides. IN writes AL, AX or EAX; the
// rest of RAX is the guest's.
[[gnu::noinline]] void handle_port_access(Vcpu& vcpu, uint8_t slot) {
  ExitContext& exit = vcpu.context;
  const IoQualification q = exit.io();
  const uint8_t bytes = static_cast<uint8_t>(q.size_bytes());
  uint64_t& rax = exit.registers.rax;
  PortAccess access{q.port(), bytes, q.is_in(), static_cast<uint32_t>(rax) & q.size_mask()};
  GuestEnd end;
  switch (decide(*vcpu.ports, slot, access, end)) {
    case PortVerdict::done:
      break;
    case PortVerdict::pass:
      pass_through(access);
      break;
    case PortVerdict::deny:
      count_denied(vcpu.log.stats, {access.port, bytes, access.in, false, 1});
      access.value = q.size_mask();
      break;
    case PortVerdict::end:
      return end_guest(vcpu, end);
  }
  if (access.in) rax = (rax & ~uint64_t{q.size_mask()}) | access.value;
  return advance_guest_rip(vcpu);
}

// Strings, and IN/OUT of a word or a dword: through the port map's
// decider (every byte of the access), then as handle_io.
[[gnu::noinline]] void handle_uncommon_io(Vcpu& vcpu) {
  ExitContext& exit = vcpu.context;
  const IoQualification q = exit.io();
  if (q.is_string()) return handle_string_io(vcpu);
  const devices::PortMap& ports = *vcpu.ports;
  const uint8_t slot = ports.decider(q.port(), q.size_bytes());
  ++vcpu.log.stats.port_accesses[slot][q.is_in()];
  if (!ports.passes(slot, q.is_in(), q.size_bytes())) return handle_port_access(vcpu, slot);
  PortAccess access{q.port(), static_cast<uint8_t>(q.size_bytes()), q.is_in(),
                    static_cast<uint32_t>(exit.registers.rax)};
  pass_through(access);
  uint64_t& rax = exit.registers.rax;
  if (access.in) rax = (rax & ~uint64_t{q.size_mask()}) | access.value;
  return advance_guest_rip(vcpu);
}

}  // namespace

// IN / OUT: one look in the port map. A single byte (nearly every I/O exit)
// that the slot's device lets through unseen is carried out here; anything
// else its device decides, or the uncommon path does.
void handle_io(Vcpu& vcpu) {
  ExitContext& exit = vcpu.context;
  const uint64_t q = exit.info.exit_qualification;
  if (!IoQualification{q}.is_single_byte()) return handle_uncommon_io(vcpu);
  const uint16_t port = static_cast<uint16_t>(q >> 16);
  const unsigned coded = static_cast<unsigned>(q) & 15;  // size 1: 0 for OUT, 8 for IN
  const uint8_t slot = vcpu.ports->slot_of(port);
  ++vcpu.log.stats.port_accesses[slot][coded >> 3];
  if (!vcpu.ports->passes_coded(slot, coded)) return handle_port_access(vcpu, slot);
  uint64_t& rax = exit.registers.rax;
  if (coded != 0) {
    rax = (rax & ~uint64_t{0xFF}) | inb(port);
  } else {
    outb(port, static_cast<uint8_t>(rax));
  }
  return advance_guest_rip(vcpu);
}

}  // namespace vmx::exit_path
