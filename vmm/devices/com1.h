// The guest's COM1: a 16550 it shares with the VMM's own console. Its
// setup registers are virtual (devices/uart_shadow.h: the guest reads back
// what it wrote, the real UART keeps the VMM's 115200 8N1 so that the VMM's
// lines always get out and every byte's wait is bounded); its data bytes go
// to the real transmitter, each line the guest sends marked `guest| ` so
// that a reader tells them from the VMM's; received data, IIR, LSR and MSR
// are read from the real UART. COM1 is a byte-wide device: a wider access,
// or a write to LSR or MSR, is denied.
//
// For a guest whose driver is interrupt-driven (an OS's 8250 driver sends
// on the UART's THRE interrupt and tests at start that it comes), the
// device carries the guest's interrupt enables to the real UART: IER, the
// FIFO control and MCR's OUT2 (which gates the UART's interrupt line on a
// PC), so that the real UART raises IRQ 4 through the PIC or I/O APIC the
// guest owns, as on the bare machine; the line's speed and format and the
// loopback bit stay the VMM's. Pure but for devices/port_io.h.
#pragma once

#include <stdint.h>

#include "devices/port_device.h"
#include "devices/port_map.h"
#include "devices/uart_shadow.h"

namespace devices {

struct Com1 {
  UartShadow guest_uart;     // the setup as the guest sees it
  bool carries_interrupts;   // IER, FCR, MCR.OUT2 reach the real UART
  bool guest_line_start;     // the guest's next byte starts a line on COM1
  uint32_t bytes_out;        // the guest's bytes sent to the real transmitter
  uint64_t byte_wait_ticks;  // the most one byte waits for the transmitter, in TSC ticks
};

// The device, its state `com1` set as the VMM left the UART (the next byte
// starts a line); `byte_wait_ticks`: vmx/guest_timer.h's uart_byte_wait_ticks.
PortDevice com1_device(Com1& com1, uint64_t byte_wait_ticks, bool carries_interrupts = false);

// Claims COM1's eight registers, one range each (the run's report counts
// them by register). False when the map refuses one.
bool claim_com1(PortMap& ports, const PortDevice& device);

// What the guest's one-byte access to COM1 + `offset` does, by the
// register's rules alone: deny, a shadow register, or the real UART.
enum class Com1Register : uint8_t { deny, shadow, real };
Com1Register com1_register_rule(unsigned offset, bool in);

// The mark that starts each of the guest's lines on COM1.
inline constexpr char guest_line_mark[] = "guest| ";

}  // namespace devices
