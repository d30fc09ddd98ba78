// The exit path as a launcher sees it: entering the guest, the ways back,
// and what the exits leave for the report. The stub is vmx/exit_stub.asm,
// the context it fills vmx/exit_context.h, the handler table
// vmx/exit_handlers.h, the counts vmx/exit_stats.h, the dispatcher and the
// way out vmx/exit_runtime.cpp (vmx/exit_path.h for the handlers), the I/O
// exits vmx/io_exit_runtime.cpp. 64-bit VMM only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmx/exit_context.h"
#include "vmx/exit_stats.h"
#include "vmx/guest_end.h"
#include "vmx/vmcs_image.h"

namespace vmx {

struct Vcpu;

// Why the guest was left: what vmx_enter_guest() returns then (the way out,
// vmx/exit_path.h). Apart from the entry failures (exit_context.h).
inline constexpr uint64_t exit_guest_done = 0x10000;     // the guest ended itself (ExitLog::end)
inline constexpr uint64_t exit_stop = 0x20000;           // an exit the guest's profile does not handle
inline constexpr uint64_t exit_guest_timeout = 0x30000;  // the guest used up its time
static_assert(((exit_guest_done | exit_stop | exit_guest_timeout) &
               (enter_launch_failed | enter_resume_failed | enter_failure_flags)) == 0);

// What the exits leave for the report, read after the guest is done: the
// handlers print nothing, so that the VMM's own bytes (console state
// included) do not change while the guest runs, and a CRC before and after
// tells whether the guest reached them.
struct ExitLog {
  ExitStats stats;
  ExitInfo info;                    // the last exit, all of results[] read
  GuestRegisters guest_report;      // the guest's registers at the last exit
  const char* stop_note;            // why exit_stop, when a handler says
  bool dump;                        // exit_stop: print the last exit in full
  bool host_nmi;                    // exit_stop by a host NMI (NMI exiting)
  uint32_t nmis_delivered;          // NMIs the VMM delivered to the guest
  GuestEnd end;                     // exit_guest_done: how the guest ended itself
  bool refused_valid;               // the VMM refused to touch guest-physical
  uint64_t refused_guest_physical;  // memory not the guest's for it (vmx/guest_memory.h)
};

// Prints an exit decoded from ExitInfo, reading whatever else it needs, and
// the guest's registers when given.
void print_exit(const ExitInfo& info, uint32_t number, const GuestRegisters* registers);

}  // namespace vmx

// exit_stub.asm: enters the guest with VMLAUNCH. Returns when the guest is
// left for good (the way out's code) or an entry failed (EnterFailure).
extern "C" uint64_t vmx_enter_guest(vmx::Vcpu* vcpu);
// exit_stub.asm: the VMCS's host RIP.
extern "C" void vmx_exit_stub();
// exit_runtime.cpp: called by vmx_exit_stub on the Vcpu's exit stack;
// returning resumes the guest.
extern "C" void vmx_handle_exit(vmx::Vcpu* vcpu);
// exit_stub.asm: the non-local return out of an exit. Abandons the exit
// stack and returns `code` from vmx_enter_guest() on the launcher's stack
// (the callee-saved registers vmx_enter_guest saved are restored). Called
// by the way out only.
extern "C" [[noreturn]] void vmx_return_to_launcher(vmx::Vcpu* vcpu, uint64_t code);
