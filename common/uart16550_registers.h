// The 16550 UART's registers as vmxboot uses them (PC16550D data sheet):
// the one definition for the VMM's driver (common/uart16550.cpp), its exit path
// (vmx/exit_runtime.cpp) and, through abi/gen_layout_inc.cpp, the
// assembly that talks to COM1 itself (stage2's first sector, the guest).
// Freestanding: no port access here.
#pragma once

#include <stdint.h>

namespace uart16550 {

// Register offsets from the base port.
inline constexpr uint16_t THR = 0;  // transmit holding (DLAB=0, write)
inline constexpr uint16_t DLL = 0;  // divisor latch low (DLAB=1)
inline constexpr uint16_t IER = 1;  // interrupt enable (DLAB=0)
inline constexpr uint16_t DLM = 1;  // divisor latch high (DLAB=1)
inline constexpr uint16_t IIR = 2;  // interrupt identification (read)
inline constexpr uint16_t FCR = 2;  // FIFO control (write)
inline constexpr uint16_t LCR = 3;  // line control
inline constexpr uint16_t MCR = 4;  // modem control
inline constexpr uint16_t LSR = 5;  // line status
inline constexpr uint16_t MSR = 6;  // modem status (read)
inline constexpr uint16_t SCR = 7;  // scratch

inline constexpr uint8_t LCR_DLAB = 0x80;
inline constexpr uint8_t LCR_8N1 = 0x03;               // 8 data bits, no parity, 1 stop bit
inline constexpr uint8_t FCR_ENABLE_AND_CLEAR = 0x07;  // enable, clear RX and TX FIFOs
inline constexpr uint8_t MCR_DTR_RTS = 0x03;           // OUT2 stays off: no IRQ to the PIC
inline constexpr uint8_t LSR_THR_EMPTY = 0x20;         // room for the next byte
inline constexpr uint8_t LSR_TRANSMITTER_EMPTY = 0x40; // the last byte has left

// The UART clock is 1.8432 MHz / 16 = 115200: divisor 1.
inline constexpr uint32_t BASE_BAUD = 115200;
inline constexpr uint16_t DIVISOR_115200 = 1;
inline constexpr uint32_t BAUD = BASE_BAUD / DIVISOR_115200;  // the VMM's, always
// A byte on the line in 8N1: start bit, 8 data bits, stop bit.
inline constexpr uint32_t BITS_PER_BYTE_8N1 = 10;

// Programming the UART once it is known to be there: 115200 baud, 8N1,
// FIFOs on, all interrupts off. In this order.
struct SetupStep {
  uint16_t reg;
  uint8_t value;
};
inline constexpr SetupStep setup[] = {
    {IER, 0x00},
    {LCR, LCR_DLAB},
    {DLL, DIVISOR_115200 & 0xFF},
    {DLM, DIVISOR_115200 >> 8},
    {LCR, LCR_8N1},
    {FCR, FCR_ENABLE_AND_CLEAR},
    {MCR, MCR_DTR_RTS},
};
// stage2's copy of the table ends at a step of value 0 for register 0.
static_assert([] {
  for (const SetupStep& step : setup) {
    if (step.reg == 0 && step.value == 0) return false;
  }
  return true;
}());

}  // namespace uart16550
