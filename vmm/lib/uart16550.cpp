#include "lib/uart16550.h"

#include "ia32/io.h"

namespace {

// Register offsets from the base port (PC16550D data sheet).
constexpr uint16_t THR = 0;  // transmit holding (DLAB=0, write)
constexpr uint16_t DLL = 0;  // divisor latch low (DLAB=1)
constexpr uint16_t IER = 1;  // interrupt enable (DLAB=0)
constexpr uint16_t DLM = 1;  // divisor latch high (DLAB=1)
constexpr uint16_t FCR = 2;  // FIFO control (write)
constexpr uint16_t LCR = 3;  // line control
constexpr uint16_t MCR = 4;  // modem control
constexpr uint16_t LSR = 5;  // line status
constexpr uint16_t SCR = 7;  // scratch

constexpr uint8_t LCR_DLAB = 0x80;
constexpr uint8_t LCR_8N1 = 0x03;               // 8 data bits, no parity, 1 stop bit
constexpr uint8_t FCR_ENABLE_AND_CLEAR = 0x07;  // enable, clear RX and TX FIFOs
constexpr uint8_t MCR_DTR_RTS = 0x03;           // OUT2 stays off: no IRQ to the PIC
constexpr uint8_t LSR_THR_EMPTY = 0x20;

// The UART clock is 1.8432 MHz / 16 = 115200: divisor 1.
constexpr uint16_t DIVISOR_115200 = 1;

}  // namespace

void Uart16550::init() {
  // An absent UART floats the bus (reads 0xFF), so no pattern survives the
  // round trip through the scratch register. Two patterns rule out a stuck bit.
  outb(base_ + SCR, 0x5A);
  bool first = inb(base_ + SCR) == 0x5A;
  outb(base_ + SCR, 0xA5);
  bool second = inb(base_ + SCR) == 0xA5;
  present_ = first && second;
  if (!present_) return;

  outb(base_ + IER, 0x00);
  outb(base_ + LCR, LCR_DLAB);
  outb(base_ + DLL, DIVISOR_115200 & 0xFF);
  outb(base_ + DLM, DIVISOR_115200 >> 8);
  outb(base_ + LCR, LCR_8N1);
  outb(base_ + FCR, FCR_ENABLE_AND_CLEAR);
  outb(base_ + MCR, MCR_DTR_RTS);
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
  constexpr uint8_t LSR_TRANSMITTER_EMPTY = 0x40;
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
