// How the exit path asks the VMM's port policy (vmx/port_policy.h, the one
// table) about a trapped I/O access, and the shortcuts it takes for the
// accesses nearly every I/O exit makes, checked against that table at
// compile time. Pure: the I/O handlers (vmx/exit_io_runtime.cpp), the exit
// observer (vmx/exit_stats.h) and the host tests use the same answers.
#pragma once

#include <stdint.h>

#include "ia32/vmx/io_qualification.h"
#include "layout.h"
#include "vmx/port_policy.h"

namespace vmx {

// The policy's decision for the whole access an I/O exit reports.
constexpr PortAction io_access_action(ia32::vmx::IoQualification qualification) {
  return decide_port_access(qualification.port(), qualification.size_bytes(),
                            qualification.is_in());
}

// COM1's registers as the policy has them, by offset and direction, for
// one-byte accesses: computed from the table, so the exit path's COM1
// shortcut reads an array instead of the table's rules.
inline constexpr unsigned com1_registers = 8;
struct Com1Actions {
  PortAction in[com1_registers];
  PortAction out[com1_registers];
};
inline constexpr Com1Actions com1_actions = [] {
  Com1Actions a{};
  for (unsigned i = 0; i < com1_registers; ++i) {
    a.in[i] = decide_port_access(static_cast<uint16_t>(layout::COM1_PORT + i), 1, true);
    a.out[i] = decide_port_access(static_cast<uint16_t>(layout::COM1_PORT + i), 1, false);
  }
  return a;
}();

// IN AL / OUT AL to a COM1 register: its offset, or com1_registers when the
// access is anything else.
constexpr unsigned com1_byte_offset(ia32::vmx::IoQualification qualification) {
  const unsigned offset = static_cast<uint16_t>(qualification.port() - layout::COM1_PORT);
  return qualification.is_single_byte() && offset < com1_registers ? offset : com1_registers;
}

constexpr PortAction com1_byte_action(unsigned offset, bool in) {
  return in ? com1_actions.in[offset] : com1_actions.out[offset];
}

// What the shortcuts rely on. The guest writes no real COM1 register but
// the data port.
static_assert([] {
  for (unsigned i = 1; i < com1_registers; ++i) {
    if (com1_actions.out[i] == PortAction::uart_forward) return false;
  }
  return com1_actions.out[0] == PortAction::uart_forward;
}());
// The benchmark's port takes one-byte OUTs only.
static_assert(decide_port_access(layout::BENCH_PORT, 1, false) == PortAction::bench_count &&
              decide_port_access(layout::BENCH_PORT, 1, true) == PortAction::deny &&
              decide_port_access(layout::BENCH_PORT, 2, false) == PortAction::deny);
// Every rule but the benchmark's is a COM1 byte register.
static_assert([] {
  for (const PortRule& r : port_policy) {
    if (r.action == PortAction::bench_count) continue;
    if (r.sizes != size1 || r.port < layout::COM1_PORT ||
        r.port >= layout::COM1_PORT + com1_registers) {
      return false;
    }
  }
  return true;
}());

}  // namespace vmx
