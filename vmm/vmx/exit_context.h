// One VM exit as the exit handlers see it: the guest's general registers,
// saved by the exit stub (vmx/exit_stub.asm) and loaded back from here before
// VMRESUME, and the exit information the dispatcher (vmx/exit_runtime.cpp)
// reads from the VMCS once per exit. It lives in the Vcpu (vmx/vcpu.h), at
// the VMCS's host RSP: the stub stores into it at the offsets
// abi/gen_layout_inc.cpp generates out of this header, and finds the Vcpu
// from it. Pure: the host tests build fake exits out of it.
//
// RSP and RIP are not here: VM exit saves them in the VMCS's guest-state
// area (SDM 28.3.1), where the handlers read them (ExitInfo::guest_rip, and
// guest_rsp once the way out has read the whole of results[]) and write RIP
// back (vmx/guest_writes.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ia32/registers.h"
#include "ia32/vmx/exit_reason.h"
#include "ia32/vmx/instructions.h"
#include "ia32/vmx/interruption_info.h"
#include "ia32/vmx/io_qualification.h"
#include "layout.h"
#include "vmx/vmcs_image.h"

namespace vmx {

// The guest's general registers but RSP, in the order of their encodings
// (SDM Vol. 2, table "Register Codes"): the one list from which the struct,
// the stub's offsets (build/gen/layout.inc) and the printed names come.
#define VMX_GUEST_REGISTERS(X) \
  X(rax) X(rcx) X(rdx) X(rbx) X(rbp) X(rsi) X(rdi) X(r8) X(r9) X(r10) X(r11) X(r12) X(r13) \
  X(r14) X(r15)

struct GuestRegisters {
#define VMX_GUEST_REGISTER_MEMBER(name) uint64_t name;
  VMX_GUEST_REGISTERS(VMX_GUEST_REGISTER_MEMBER)
#undef VMX_GUEST_REGISTER_MEMBER
};
static_assert(sizeof(GuestRegisters) == 15 * 8, "every general register but RSP");

// The register an exit qualification names by its code (0 RAX ... 15 R15);
// nullptr for 4, RSP, which the VMCS holds.
constexpr const uint64_t* register_by_code(const GuestRegisters& r, unsigned code) {
  constexpr uint64_t GuestRegisters::*in_order[] = {
#define VMX_GUEST_REGISTER_POINTER(name) &GuestRegisters::name,
      VMX_GUEST_REGISTERS(VMX_GUEST_REGISTER_POINTER)
#undef VMX_GUEST_REGISTER_POINTER
  };
  if (code == 4 || code > 15) return nullptr;
  return &(r.*in_order[code < 4 ? code : code - 1]);
}
constexpr uint64_t* register_by_code(GuestRegisters& r, unsigned code) {
  return const_cast<uint64_t*>(register_by_code(static_cast<const GuestRegisters&>(r), code));
}

struct ExitContext {
  GuestRegisters registers;  // first: the stub addresses them from RSP
  // What the dispatcher read for this exit (exit_info_fields): the reason,
  // qualification, instruction length and guest RIP always, the rest where
  // the exit defines it. The way out (leave_guest) reads all of results[].
  ExitInfo info;
  // Elements a string I/O instruction moved in this exit: 0 from the
  // dispatcher, then what the string handler moved (a denied one is logged
  // with it).
  uint32_t string_elements;

  // Typed views of the exit information (valid once the dispatcher has read it).
  constexpr ia32::vmx::IoQualification io() const { return {info.exit_qualification}; }
  constexpr uint64_t next_rip() const { return info.guest_rip + info.instruction_length; }
};
static_assert(offsetof(ExitContext, registers) == 0);

// What vmx_enter_guest() returns when VMLAUNCH or VMRESUME itself failed
// (one of these bits, plus RFLAGS.CF and ZF after the instruction); the
// stub builds it from the same constants (abi/layout.h).
inline constexpr uint64_t enter_launch_failed = layout::ENTER_LAUNCH_FAILED;
inline constexpr uint64_t enter_resume_failed = layout::ENTER_RESUME_FAILED;
inline constexpr uint64_t enter_failure_flags = rflags::cf | rflags::zf;

struct EnterFailure {
  uint64_t outcome;  // vmx_enter_guest()'s result

  constexpr bool failed() const {
    return (outcome & (enter_launch_failed | enter_resume_failed)) != 0;
  }
  constexpr bool on_resume() const { return (outcome & enter_resume_failed) != 0; }
  constexpr const char* step() const { return on_resume() ? "vmresume" : "vmlaunch"; }
  constexpr ia32::vmx::VmxResult result() const {
    return ia32::vmx::vmx_result((outcome & rflags::cf) != 0, (outcome & rflags::zf) != 0);
  }
};

}  // namespace vmx
