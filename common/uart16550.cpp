#include "common/uart16550.h"

#include "ia32/io.h"
#include "common/uart16550_registers.h"

using namespace uart16550;

void Uart16550::init() {
  // An absent UART floats the bus (reads 0xFF), so no pattern survives the
  // round trip through the scratch register. Two patterns rule out a stuck bit.
  outb(base_ + SCR, 0x5A);
  bool first = inb(base_ + SCR) == 0x5A;
  outb(base_ + SCR, 0xA5);
  bool second = inb(base_ + SCR) == 0xA5;
  present_ = first && second;
  if (!present_) return;

  for (const SetupStep& step : setup) outb(base_ + step.reg, step.value);
}

void Uart16550::send(uint8_t byte) {
  if (!present_) return;
  for (uint32_t polls = 0; (inb(base_ + LSR) & LSR_THR_EMPTY) == 0; ++polls) {
    if (polls >= max_ready_polls) {
      present_ = false;  // never wait on this UART again
      return;
    }
  }
  outb(base_ + THR, byte);
}

void Uart16550::flush() {
  if (!present_) return;
  for (uint32_t polls = 0; (inb(base_ + LSR) & LSR_TRANSMITTER_EMPTY) == 0; ++polls) {
    if (polls >= max_ready_polls) return;
  }
}

void Uart16550::put(char c) {
  if (c == '\n') send('\r');
  send(static_cast<uint8_t>(c));
}

void Uart16550::write(const char* s) {
  while (*s != '\0') put(*s++);
}

Uart16550::Setup Uart16550::read_setup() const {
  Setup s{};
  s.ier = inb(base_ + IER);
  s.lcr = inb(base_ + LCR);
  s.mcr = inb(base_ + MCR);
  outb(base_ + LCR, s.lcr | LCR_DLAB);
  s.divisor = static_cast<uint16_t>(inb(base_ + DLL) | inb(base_ + DLM) << 8);
  outb(base_ + LCR, s.lcr);
  return s;
}
