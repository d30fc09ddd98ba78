#include "devices/system_control.h"

#include "devices/platform_ports.h"
#include "devices/port_io.h"

namespace devices {

namespace {

constexpr uint8_t port92_fast_reset = 1u << 0;
constexpr uint8_t kbc_output_port_reset = 1u << 0;  // the CPU's reset line, active low
constexpr uint8_t kbc_write_output_port = 0xD1;
constexpr uint8_t kbc_read_output_port = 0xD0;
constexpr uint8_t kbc_a20_off = 0xDD;
constexpr uint8_t kbc_a20_on = 0xDF;
constexpr uint8_t kbc_pulse_reset = 0xFE;

PortVerdict reset(vmx::GuestEnd& end, const PortAccess& a) {
  end = {vmx::guest_end::reset, a.port, a.value};
  return PortVerdict::end;
}

// The guest's byte with A20 as it wrote it, as the real port has it otherwise.
uint8_t with_a20(uint8_t real, bool a20) {
  return static_cast<uint8_t>((real & ~a20_bit) | (a20 ? a20_bit : 0));
}

PortVerdict port92(SystemControl& s, PortAccess& a, vmx::GuestEnd& end) {
  if (a.in) {
    a.value = with_a20(static_cast<uint8_t>(port_in(a.port, 1)), s.port92_a20);
    return PortVerdict::done;
  }
  if ((a.value & port92_fast_reset) != 0) return reset(end, a);
  s.port92_a20 = (a.value & a20_bit) != 0;
  if (!s.port92_a20) ++s.a20_writes_kept;
  port_out(a.port, 1, a.value | a20_bit);
  return PortVerdict::done;
}

PortVerdict kbc_command(SystemControl& s, PortAccess& a, vmx::GuestEnd& end) {
  if (a.in) return PortVerdict::pass;  // status
  s.kbc_output_port_next = a.value == kbc_write_output_port;
  s.kbc_output_read_next = a.value == kbc_read_output_port;
  switch (a.value) {
    case kbc_pulse_reset: return reset(end, a);
    case kbc_a20_off:
      s.kbc_a20 = false;
      ++s.a20_writes_kept;
      return PortVerdict::done;
    case kbc_a20_on:
      s.kbc_a20 = true;
      return PortVerdict::pass;
    default:
      return PortVerdict::pass;
  }
}

PortVerdict kbc_data(SystemControl& s, PortAccess& a, vmx::GuestEnd& end) {
  if (a.in) {
    if (!s.kbc_output_read_next) return PortVerdict::pass;
    s.kbc_output_read_next = false;
    a.value = with_a20(static_cast<uint8_t>(port_in(a.port, 1)), s.kbc_a20);
    return PortVerdict::done;
  }
  if (!s.kbc_output_port_next) return PortVerdict::pass;
  s.kbc_output_port_next = false;
  if ((a.value & kbc_output_port_reset) == 0) return reset(end, a);
  s.kbc_a20 = (a.value & a20_bit) != 0;
  if (!s.kbc_a20) ++s.a20_writes_kept;
  port_out(a.port, 1, a.value | a20_bit);
  return PortVerdict::done;
}

PortVerdict access(void* state, PortAccess& a, vmx::GuestEnd& end) {
  SystemControl& s = *static_cast<SystemControl*>(state);
  // Byte-wide registers; a wider access is carried out as it is (the
  // controller ignores what is not its own), A20 still the VMM's.
  if (a.bytes != 1) return a.in ? PortVerdict::pass : PortVerdict::deny;
  switch (a.port) {
    case system_control_port_a: return port92(s, a, end);
    case kbc_command_port: return kbc_command(s, a, end);
    case kbc_data_port: return kbc_data(s, a, end);
    default: return PortVerdict::pass;
  }
}

}  // namespace

PortDevice system_control_device(SystemControl& state) {
  state = SystemControl{true, true, false, false, 0};
  return {"system control", access, &state, passes::none};
}

}  // namespace devices
