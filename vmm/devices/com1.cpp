#include "devices/com1.h"

#include "layout.h"
#include "common/uart16550_registers.h"
#include "devices/port_io.h"

namespace devices {

namespace {

constexpr uint16_t base = layout::COM1_PORT;

// Bochs' 16550 drops a byte written while the transmitter is busy: wait,
// but no longer than a byte takes at the VMM's own baud rate (the guest
// cannot change it), so no exit waits long. A missing UART reads 0xFF,
// which looks ready.
void wait_transmitter_ready(const Com1& com1) {
  const uint64_t start = read_tsc();
  while ((port_in(base + uart16550::LSR, 1) & uart16550::LSR_THR_EMPTY) == 0) {
    if (read_tsc() - start > com1.byte_wait_ticks) return;
  }
}

void send(const Com1& com1, uint8_t byte) {
  wait_transmitter_ready(com1);
  port_out(base + uart16550::THR, 1, byte);
}

// One data byte from the guest to the real transmitter.
void data_out(Com1& com1, uint8_t value) {
  if (com1.guest_line_start && value != '\r') {
    for (const char* c = guest_line_mark; *c != '\0'; ++c) send(com1, static_cast<uint8_t>(*c));
    com1.guest_line_start = false;
  }
  if (value == '\n') com1.guest_line_start = true;
  ++com1.bytes_out;
  send(com1, value);
}

// A setup write the guest made, as the real UART gets it: its interrupt
// enables where the device carries them, the VMM's setup otherwise.
void carry_to_real(const Com1& com1, unsigned offset) {
  if (!com1.carries_interrupts) return;
  const UartShadow& g = com1.guest_uart;
  constexpr uint8_t ier_enables = 0x0F, mcr_out2 = 0x08;
  switch (offset) {
    case uart16550::IER:
      if (!g.dlab()) port_out(base + uart16550::IER, 1, g.ier & ier_enables);
      break;
    case uart16550::FCR:
      port_out(base + uart16550::FCR, 1, g.fcr);
      break;
    case uart16550::MCR:
      port_out(base + uart16550::MCR, 1, uart16550::MCR_DTR_RTS | (g.mcr & mcr_out2));
      break;
    default:
      break;
  }
}

PortVerdict access(void* state, PortAccess& a, vmx::GuestEnd&) {
  Com1& com1 = *static_cast<Com1*>(state);
  const unsigned offset = static_cast<uint16_t>(a.port - base);
  if (a.bytes != 1 || offset > uart16550::SCR) return PortVerdict::deny;
  switch (com1_register_rule(offset, a.in)) {
    case Com1Register::deny:
      return PortVerdict::deny;
    case Com1Register::shadow: {
      uint8_t* shadow = com1.guest_uart.register_for(offset, a.in);
      if (shadow != nullptr) {
        if (a.in) {
          a.value = *shadow;
        } else {
          *shadow = static_cast<uint8_t>(a.value);
          carry_to_real(com1, offset);
        }
        return PortVerdict::done;
      }
      break;  // the data port with the guest's DLAB clear: the real UART
    }
    case Com1Register::real:
      break;
  }
  if (a.in) {
    a.value = port_in(a.port, 1);
  } else {
    data_out(com1, static_cast<uint8_t>(a.value));
  }
  return PortVerdict::done;
}

}  // namespace

Com1Register com1_register_rule(unsigned offset, bool in) {
  switch (offset) {
    case uart16550::THR: return Com1Register::shadow;  // the divisor with DLAB, else real
    case uart16550::IER: return Com1Register::shadow;
    case uart16550::FCR: return in ? Com1Register::real : Com1Register::shadow;  // IIR / FCR
    case uart16550::LCR: return Com1Register::shadow;
    case uart16550::MCR: return Com1Register::shadow;
    case uart16550::LSR: return in ? Com1Register::real : Com1Register::deny;
    case uart16550::MSR: return in ? Com1Register::real : Com1Register::deny;
    case uart16550::SCR: return Com1Register::shadow;
    default: return Com1Register::deny;
  }
}

PortDevice com1_device(Com1& com1, uint64_t byte_wait_ticks, bool carries_interrupts) {
  com1 = Com1{UartShadow::as_the_vmm_set_it_up(), carries_interrupts, true, 0, byte_wait_ticks};
  return {"COM1", access, &com1, passes::none};
}

bool claim_com1(PortMap& ports, const PortDevice& device) {
  static constexpr const char* in_names[8] = {"COM1 RBR", "COM1 IER", "COM1 IIR", "COM1 LCR",
                                              "COM1 MCR", "COM1 LSR", "COM1 MSR", "COM1 SCR"};
  static constexpr const char* out_names[8] = {"COM1 THR/DLL", "COM1 IER/DLM", "COM1 FCR",
                                               "COM1 LCR",     "COM1 MCR",     "COM1 LSR",
                                               "COM1 MSR",     "COM1 SCR"};
  for (unsigned r = 0; r < 8; ++r) {
    if (!ports.claim(static_cast<uint16_t>(base + r), 1, device, in_names[r], out_names[r])) {
      return false;
    }
  }
  return true;
}

}  // namespace devices
