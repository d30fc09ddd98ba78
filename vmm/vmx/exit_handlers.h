// The exit handlers as a table indexed by the exit's slot (its basic reason,
// ia32::vmx::exit_reason_slot): one handler per reason the demo handles and
// one fallback, which stops the guest and has the launcher print everything
// decoded, for every other reason, a failed VM entry and reasons newer than
// the table. Pure: vmx/exit_runtime.cpp builds it from its handlers, the
// host tests from fakes.
#pragma once

#include <stdint.h>

#include "ia32/vmx/exit_reason.h"
#include "vmx/exit_context.h"

namespace vmx {

// A handler that returns resumes the guest; one that is done with it calls
// leave_guest() (vmx/exit_runtime.cpp), which does not return.
using ExitHandler = void (*)(ExitContext&);

// The handlers the demo has, by name.
struct ExitHandlerSet {
  ExitHandler exception_or_nmi;
  ExitHandler external_interrupt;
  ExitHandler io_instruction;
  ExitHandler vmcall;
  ExitHandler ept_violation;
  ExitHandler preemption_timer;
  ExitHandler fallback;
  // Chain mode only (nullptr: the fallback).
  ExitHandler cpuid = nullptr;
  ExitHandler hlt = nullptr;
  ExitHandler cr_access = nullptr;
  ExitHandler msr = nullptr;  // RDMSR and WRMSR
  ExitHandler invd = nullptr;
  ExitHandler xsetbv = nullptr;
};

struct HandlerTable {
  ExitHandler slots[ia32::vmx::exit_reason_count + 1];

  constexpr ExitHandler for_exit(uint32_t exit_reason_field) const {
    return slots[ia32::vmx::exit_reason_slot(exit_reason_field)];
  }
};

constexpr HandlerTable make_handler_table(const ExitHandlerSet& set) {
  using ia32::vmx::ExitReason;
  HandlerTable table{};
  for (ExitHandler& slot : table.slots) slot = set.fallback;
  auto at = [&table](ExitReason reason) -> ExitHandler& {
    return table.slots[static_cast<unsigned>(reason)];
  };
  at(ExitReason::exception_or_nmi) = set.exception_or_nmi;
  at(ExitReason::external_interrupt) = set.external_interrupt;
  at(ExitReason::io_instruction) = set.io_instruction;
  at(ExitReason::vmcall) = set.vmcall;
  at(ExitReason::ept_violation) = set.ept_violation;
  at(ExitReason::preemption_timer) = set.preemption_timer;
  if (set.cpuid != nullptr) at(ExitReason::cpuid) = set.cpuid;
  if (set.hlt != nullptr) at(ExitReason::hlt) = set.hlt;
  if (set.cr_access != nullptr) at(ExitReason::cr_access) = set.cr_access;
  if (set.msr != nullptr) at(ExitReason::rdmsr) = at(ExitReason::wrmsr) = set.msr;
  if (set.invd != nullptr) at(ExitReason::invd) = set.invd;
  if (set.xsetbv != nullptr) at(ExitReason::xsetbv) = set.xsetbv;
  return table;
}

}  // namespace vmx
