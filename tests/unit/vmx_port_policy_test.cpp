// The VMM's port policy, byte by byte (vmm/vmx/port_policy.h), the guest's
// virtual COM1 setup (vmm/devices/uart_shadow.h) and the time-bound arithmetic
// the exits use (vmm/vmx/guest_timer.h).
#include <gtest/gtest.h>

#include "layout.h"
#include "common/uart16550_registers.h"
#include "vmx/guest_timer.h"
#include "vmx/port_policy.h"
#include "devices/uart_shadow.h"

namespace {

using vmx::decide_port_access;
using vmx::PortAction;

constexpr uint16_t com1 = layout::COM1_PORT;

TEST(PortPolicy, Com1ByteRegistersAsTheVmmHasThem) {
  EXPECT_EQ(decide_port_access(com1 + 0, 1, false), PortAction::uart_forward);  // THR
  EXPECT_EQ(decide_port_access(com1 + 0, 1, true), PortAction::uart_forward);   // RBR
  EXPECT_EQ(decide_port_access(com1 + 1, 1, false), PortAction::uart_virtual);  // IER
  EXPECT_EQ(decide_port_access(com1 + 2, 1, true), PortAction::uart_forward);   // IIR
  EXPECT_EQ(decide_port_access(com1 + 2, 1, false), PortAction::uart_virtual);  // FCR
  EXPECT_EQ(decide_port_access(com1 + 3, 1, false), PortAction::uart_virtual);  // LCR
  EXPECT_EQ(decide_port_access(com1 + 4, 1, false), PortAction::uart_virtual);  // MCR
  EXPECT_EQ(decide_port_access(com1 + 4, 1, true), PortAction::uart_virtual);
  EXPECT_EQ(decide_port_access(com1 + 5, 1, true), PortAction::uart_forward);   // LSR
  EXPECT_EQ(decide_port_access(com1 + 5, 1, false), PortAction::deny);
  EXPECT_EQ(decide_port_access(com1 + 6, 1, true), PortAction::uart_forward);   // MSR
  EXPECT_EQ(decide_port_access(com1 + 6, 1, false), PortAction::deny);
  EXPECT_EQ(decide_port_access(com1 + 7, 1, false), PortAction::uart_virtual);  // SCR
}

TEST(PortPolicy, BenchmarkPortIsTheVmmsAndTakesByteOutsOnly) {
  EXPECT_EQ(layout::BENCH_PORT, 0xE9u);
  EXPECT_EQ(decide_port_access(0xE9, 1, false), PortAction::bench_count);
  EXPECT_EQ(decide_port_access(0xE9, 1, true), PortAction::deny);
  EXPECT_EQ(decide_port_access(0xE9, 2, false), PortAction::deny);
  EXPECT_EQ(decide_port_access(0xE8, 2, false), PortAction::deny) << "a word at 0xe8 reaches 0xe9";
}

TEST(PortPolicy, EveryByteOfAWideAccessIsChecked) {
  // A word at 0x3ff also touches 0x400, a dword at 0x3fe reaches 0x401.
  for (bool in : {false, true}) {
    EXPECT_EQ(decide_port_access(0x3FF, 2, in), PortAction::deny);
    EXPECT_EQ(decide_port_access(0x3FE, 4, in), PortAction::deny);
    EXPECT_EQ(decide_port_access(0x3FF, 4, in), PortAction::deny);
    // Inside COM1 too: a byte-wide device takes no words.
    EXPECT_EQ(decide_port_access(com1, 2, in), PortAction::deny);
    EXPECT_EQ(decide_port_access(com1, 4, in), PortAction::deny);
    EXPECT_EQ(decide_port_access(0x400, 1, in), PortAction::deny);
    EXPECT_EQ(decide_port_access(com1 - 1, 1, in), PortAction::deny);
  }
  // Ports the issue names: the PIC's mask, reset, PCI configuration, the
  // BIOS's debug port.
  for (uint16_t port : {0x21, 0x64, 0x92, 0xCF8, 0xCF9, 0xCFC, 0x402}) {
    for (unsigned bytes : {1u, 2u, 4u}) {
      EXPECT_EQ(decide_port_access(port, bytes, true), PortAction::deny) << port;
      EXPECT_EQ(decide_port_access(port, bytes, false), PortAction::deny) << port;
    }
  }
  EXPECT_EQ(decide_port_access(com1, 3, false), PortAction::deny) << "not an access size";
}

TEST(PortPolicy, ARuleForWiderAccessesStillNeedsEveryByte) {
  // A table that lets dwords through at 0x100-0x103 only: a dword at 0x101
  // reaches 0x104, which has no rule; one byte of another action denies too.
  constexpr vmx::PortRule table[] = {
      {0x100, vmx::size1 | vmx::size4, true, true, PortAction::uart_forward},
      {0x101, vmx::size4, true, true, PortAction::uart_forward},
      {0x102, vmx::size4, true, true, PortAction::uart_forward},
      {0x103, vmx::size4, true, true, PortAction::uart_forward},
      {0x104, vmx::size4, true, true, PortAction::uart_virtual},
      {0xFFFF, vmx::size2, true, true, PortAction::uart_forward},
      {0x0000, vmx::size2, true, true, PortAction::uart_forward},
  };
  constexpr size_t n = sizeof(table) / sizeof(table[0]);
  EXPECT_EQ(decide_port_access(table, n, 0x100, 4, false), PortAction::uart_forward);
  EXPECT_EQ(decide_port_access(table, n, 0x100, 1, true), PortAction::uart_forward);
  EXPECT_EQ(decide_port_access(table, n, 0x101, 1, true), PortAction::deny) << "size";
  EXPECT_EQ(decide_port_access(table, n, 0x100, 2, true), PortAction::deny) << "size";
  EXPECT_EQ(decide_port_access(table, n, 0x101, 4, true), PortAction::deny)
      << "0x104's action differs";
  EXPECT_EQ(decide_port_access(table, n, 0x102, 4, true), PortAction::deny) << "0x105: none";
  // Port numbers wrap as the CPU's do.
  EXPECT_EQ(decide_port_access(table, n, 0xFFFF, 2, true), PortAction::uart_forward);
}

TEST(UartShadow, TheGuestSeesTheVmmsSetupThenWhatItWrote) {
  vmx::UartShadow uart = vmx::UartShadow::as_the_vmm_set_it_up();
  using namespace uart16550;
  EXPECT_EQ(*uart.register_for(LCR, true), LCR_8N1);
  EXPECT_EQ(*uart.register_for(MCR, true), MCR_DTR_RTS);
  EXPECT_EQ(*uart.register_for(IER, true), 0);
  // Data, IIR, LSR and MSR are the real UART's.
  EXPECT_EQ(uart.register_for(THR, false), nullptr);
  EXPECT_EQ(uart.register_for(THR, true), nullptr);
  EXPECT_EQ(uart.register_for(IIR, true), nullptr);
  EXPECT_EQ(uart.register_for(LSR, true), nullptr);
  EXPECT_EQ(uart.register_for(MSR, true), nullptr);
  // Loopback, 7E1: kept, read back.
  *uart.register_for(MCR, false) = 0x10;
  *uart.register_for(FCR, false) = 0x00;
  EXPECT_EQ(*uart.register_for(MCR, true), 0x10);
  EXPECT_EQ(uart.fcr, 0x00);
  // DLAB: offsets 0 and 1 are the divisor latch, and virtual.
  *uart.register_for(LCR, false) = LCR_DLAB | 0x1A;
  EXPECT_TRUE(uart.dlab());
  *uart.register_for(DLL, false) = 0x0C;
  *uart.register_for(DLM, false) = 0x00;
  EXPECT_EQ(uart.dll, 0x0C);
  EXPECT_EQ(*uart.register_for(DLL, true), 0x0C);
  *uart.register_for(LCR, false) = 0x1A;
  EXPECT_FALSE(uart.dlab());
  EXPECT_EQ(uart.register_for(THR, false), nullptr) << "data again";
  *uart.register_for(IER, false) = 0x0F;
  EXPECT_EQ(uart.ier, 0x0F);
  EXPECT_EQ(uart.dlm, 0x00) << "IER and DLM are apart";
  EXPECT_EQ(*uart.register_for(SCR, true), 0);
}

TEST(GuestTimer, PreemptionTimerRestartsWithWhatIsLeft) {
  using vmx::guest_timer::preemption_timer_value_until;
  EXPECT_EQ(preemption_timer_value_until(8000000, 1000000, 0), 7000000u);
  EXPECT_EQ(preemption_timer_value_until(8000000, 1000000, 5), 7000000u >> 5);
  EXPECT_EQ(preemption_timer_value_until(8000000, 8000000, 0), 0u);
  EXPECT_EQ(preemption_timer_value_until(8000000, 9000000, 0), 0u) << "past: no wrap";
}

TEST(GuestTimer, Com1ByteWaitIsTwoCharacterTimesAtTheVmmsBaudRate) {
  using vmx::guest_timer::uart_byte_wait_ticks;
  // Bochs: 4 million TSC ticks an emulated second, 2 s in the limit; one
  // byte at 115200 8N1 is 86.8 us: 347 ticks, twice that 694.
  EXPECT_EQ(uart_byte_wait_ticks(8000000), 695u);
  // A 3 GHz TSC: 86.8 us = 260416 ticks, twice that 520833.
  EXPECT_EQ(uart_byte_wait_ticks(6000000000ull), 520834u);
  EXPECT_EQ(uart_byte_wait_ticks(0), 1u);
}

}  // namespace
