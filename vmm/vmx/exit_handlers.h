// The exit handlers as a table indexed by the exit's slot (its basic reason,
// ia32::vmx::exit_reason_slot). Every guest profile has its own table: the
// core's handlers (vmx/exit_path.h: the I/O exits through the port map, EPT
// violations, the preemption timer, host NMIs) for the reasons every guest
// has, the profile's own for the rest it handles (hvpp composes its exit
// handlers the same way), and the fallback, which stops the guest and has
// the report print everything decoded, for every other reason, a failed VM
// entry and reasons newer than the table. Pure: the tests build tables of
// fakes.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ia32/vmx/exit_reason.h"

namespace vmx {

struct Vcpu;

// A handler that returns resumes the guest; one that is done with it ends
// in the way out (vmx/exit_path.h), which does not return.
using ExitHandler = void (*)(Vcpu&);

struct HandlerTable {
  ExitHandler slots[ia32::vmx::exit_reason_count + 1];

  constexpr ExitHandler for_exit(uint32_t exit_reason_field) const {
    return slots[ia32::vmx::exit_reason_slot(exit_reason_field)];
  }
};

struct ReasonHandler {
  ia32::vmx::ExitReason reason;
  ExitHandler handler;
};

// `fallback` in every slot, then each of `handlers` (N of them) in its
// reason's slot, later ones over earlier ones: a profile lists the core's
// handlers first and its own after them.
template <size_t N>
constexpr HandlerTable make_handler_table(ExitHandler fallback, const ReasonHandler (&handlers)[N]) {
  HandlerTable table{};
  for (ExitHandler& slot : table.slots) slot = fallback;
  for (const ReasonHandler& h : handlers) table.slots[static_cast<unsigned>(h.reason)] = h.handler;
  return table;
}

}  // namespace vmx
