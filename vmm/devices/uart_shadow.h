// The guest's view of COM1's setup registers (devices/com1.h: the shadow
// ones). The real UART keeps the VMM's setup, 115200 baud 8N1,
// FIFOs on, no interrupts, no loopback (common/uart16550_registers.h), so that
// the VMM's own lines always get out and each byte's wait is bounded by that
// baud rate; the guest reads back what it wrote. Its data bytes still go to
// the real transmitter (as long as its own DLAB is clear), whatever speed
// or loopback it asked for. Pure: tested on the host.
#pragma once

#include <stdint.h>

#include "common/uart16550_registers.h"

namespace devices {

struct UartShadow {
  uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;  // fcr: write-only, kept, never read back

  // Before the guest writes anything it sees the VMM's setup. (A function,
  // not default member values: the machine state that holds one stays plain
  // zeroed .bss, no constructor, no bytes in the VMM's image.)
  static constexpr UartShadow as_the_vmm_set_it_up() {
    return {0x00, uart16550::FCR_ENABLE_AND_CLEAR, uart16550::LCR_8N1, uart16550::MCR_DTR_RTS,
            0x00, uart16550::DIVISOR_115200 & 0xFF, uart16550::DIVISOR_115200 >> 8};
  }

  constexpr bool dlab() const { return (lcr & uart16550::LCR_DLAB) != 0; }

  // The shadow byte a one-byte access to COM1 + `offset` (0-7) reads or
  // writes, or nullptr when it goes to the real UART: data out (THR) and
  // in (RBR), IIR, LSR and MSR. With the guest's DLAB set, offsets 0 and 1
  // are its divisor latch.
  constexpr uint8_t* register_for(unsigned offset, bool in) {
    switch (offset & 7) {
      case uart16550::THR: return dlab() ? &dll : nullptr;
      case uart16550::IER: return dlab() ? &dlm : &ier;
      case uart16550::FCR: return in ? nullptr : &fcr;  // read: the real IIR
      case uart16550::LCR: return &lcr;
      case uart16550::MCR: return &mcr;
      case uart16550::SCR: return &scr;
      default: return nullptr;  // LSR, MSR
    }
  }
};

}  // namespace devices
