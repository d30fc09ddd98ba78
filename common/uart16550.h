// Polled driver for a 16550-compatible UART (COM1 on the PC), transmit only.
#pragma once

#include <stdint.h>

class Uart16550 {
 public:
  // Bound on LSR reads while waiting for room in the transmitter. At roughly
  // 1 us per port read on real hardware this is about a second, far more
  // than one byte takes at 115200 baud (87 us); a UART that never gets
  // ready is treated as missing instead of hanging the machine.
  static constexpr uint32_t max_ready_polls = 1000000;

  constexpr explicit Uart16550(uint16_t base) : base_(base) {}
  // No UART yet, all zero (a zeroed object in .bss: common/run_state.h).
  constexpr Uart16550() : base_(0) {}

  // Detects the UART (scratch register test) and programs 115200 baud, 8N1,
  // FIFOs on, all interrupts off. Without a UART, present() stays false and
  // put() does nothing.
  void init();
  // Waits for the transmit holding register to empty (LSR bit 5) before
  // every byte: Bochs' 16550 drops bytes written while it is busy. Sends
  // "\r\n" for '\n'.
  void put(char c);
  // Waits (bounded) until the last byte has left the transmitter: a
  // power-off right after the last put() would lose what is still in it.
  void flush();
  void write(const char* s);
  bool present() const { return present_; }

  // The registers init() programs, as the UART has them now (DLAB is set
  // for a moment to read the divisor: call it between lines, not while
  // someone else sends).
  struct Setup {
    uint8_t ier, lcr, mcr;
    uint16_t divisor;
  };
  Setup read_setup() const;

 private:
  void send(uint8_t byte);

  uint16_t base_;
  bool present_ = false;
};
