// Which I/O ports the guest reaches, and how: the VMM's one table. The VMX
// I/O bitmaps trap every port; each trapped access is looked up here, byte
// by byte (an access of n bytes at port p touches p .. p+n-1, so `out dx,
// ax` at 0x3FF also writes 0x400). Nothing of it comes from the guest
// binary. Pure and constexpr: the exit handlers (vmx/exit_runtime.cpp) and
// the host tests use the same table, and the exit path's shortcuts are
// checked against it at compile time.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "common/uart16550_registers.h"

namespace vmx {

enum class PortAction : uint8_t {
  deny,          // IN reads all ones (a bus with nothing on it), OUT goes nowhere; counted
  uart_forward,  // carried out on the real COM1 (data out, received data, status in)
  uart_virtual,  // COM1 setup registers: the guest reads back what it wrote,
                 // the real UART keeps the VMM's setup (vmx/uart_shadow.h)
  bench_count,   // the benchmark's port: a byte out, forwarded unpolled, counted
};

constexpr const char* port_action_name(PortAction action) {
  switch (action) {
    case PortAction::deny: return "deny";
    case PortAction::uart_forward: return "uart-forward";
    case PortAction::uart_virtual: return "uart-virtual";
    case PortAction::bench_count: return "bench-count";
  }
  return "?";
}

// Access sizes, as a mask: bit (bytes - 1).
inline constexpr uint8_t size1 = 1, size2 = 2, size4 = 8;

struct PortRule {
  uint16_t port;
  uint8_t sizes;  // size1 | size2 | size4
  bool in, out;   // the directions it allows
  PortAction action;
};

// The guest's whole reach. COM1 is a byte-wide device: byte accesses only.
// Port COM1+0 is the data port, or with the guest's own DLAB the divisor's
// low byte (then virtual too: vmx/uart_shadow.h); IIR, LSR and MSR are read
// from the real UART; LSR and MSR are not written.
inline constexpr PortRule port_policy[] = {
    {layout::COM1_PORT + uart16550::THR, size1, true, true, PortAction::uart_forward},
    {layout::COM1_PORT + uart16550::IER, size1, true, true, PortAction::uart_virtual},
    // Read: IIR (the real one); written: FCR (virtual).
    {layout::COM1_PORT + uart16550::FCR, size1, true, false, PortAction::uart_forward},
    {layout::COM1_PORT + uart16550::FCR, size1, false, true, PortAction::uart_virtual},
    {layout::COM1_PORT + uart16550::LCR, size1, true, true, PortAction::uart_virtual},
    {layout::COM1_PORT + uart16550::MCR, size1, true, true, PortAction::uart_virtual},
    {layout::COM1_PORT + uart16550::LSR, size1, true, false, PortAction::uart_forward},
    {layout::COM1_PORT + uart16550::MSR, size1, true, false, PortAction::uart_forward},
    {layout::COM1_PORT + uart16550::SCR, size1, true, true, PortAction::uart_virtual},
    {layout::BENCH_PORT, size1, false, true, PortAction::bench_count},
};

// The rule for one byte of an access, or nullptr.
constexpr const PortRule* find_port_rule(const PortRule* table, size_t rules, uint16_t port,
                                         unsigned bytes, bool in) {
  const uint8_t size = static_cast<uint8_t>(1u << (bytes - 1));
  for (size_t i = 0; i < rules; ++i) {
    const PortRule& r = table[i];
    if (r.port == port && (r.sizes & size) != 0 && (in ? r.in : r.out)) return &r;
  }
  return nullptr;
}

// What to do with an access of `bytes` (1, 2 or 4) at `port`: every byte
// it touches (port numbers wrap at 0xFFFF as the address does) needs a
// rule for this size and direction, and all of them the same action;
// anything else is denied as a whole.
constexpr PortAction decide_port_access(const PortRule* table, size_t rules, uint16_t port,
                                        unsigned bytes, bool in) {
  if (bytes != 1 && bytes != 2 && bytes != 4) return PortAction::deny;
  const PortRule* first = find_port_rule(table, rules, port, bytes, in);
  if (first == nullptr) return PortAction::deny;
  for (unsigned i = 1; i < bytes; ++i) {
    const PortRule* r = find_port_rule(table, rules, static_cast<uint16_t>(port + i), bytes, in);
    if (r == nullptr || r->action != first->action) return PortAction::deny;
  }
  return first->action;
}

constexpr PortAction decide_port_access(uint16_t port, unsigned bytes, bool in) {
  return decide_port_access(port_policy, sizeof(port_policy) / sizeof(port_policy[0]), port,
                            bytes, in);
}

}  // namespace vmx
