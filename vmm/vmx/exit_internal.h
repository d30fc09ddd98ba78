// What the exit path's runtime files share: the way out of the guest, the
// guest's clock, the VMCS reads they all make, the log. Not for the
// launcher (that is vmx/exits.h). 64-bit VMM only.
#pragma once

#include <stdint.h>

#include "ia32/vmx/instructions.h"
#include "vmx/exit_context.h"
#include "vmx/exits.h"

namespace vmx::exit_path {

// The log the launcher reads after the run (exits.h).
extern ExitLog history;
// Whether the CPU fills the instruction-information field for INS/OUTS.
extern bool cpu_reports_ins_outs_info;

// The way out, all of it in vmx/exit_runtime.cpp. A handler that is done
// with the guest calls one of these in tail position; none returns: they
// end in leave_guest(), which makes vmx_enter_guest() return.
[[noreturn]] void leave_guest(ExitContext& exit, uint64_t code);
// exit_stop with a note (a VMM failure: a VMREAD or VMWRITE that failed).
[[noreturn]] void stop(ExitContext& exit, const char* note);
// exit_stop, the exit to be printed in full by the launcher; note may be nullptr.
[[noreturn]] void stop_with_dump(ExitContext& exit, const char* note);
// exit_guest_timeout: the guest has used up its time.
[[noreturn]] void out_of_time(ExitContext& exit);

// Before the guest runs on, after an exit's slow work: false once the
// deadline has passed (or a VMWRITE of the clock failed).
bool time_left();
// The most one COM1 byte may wait for the transmitter, in TSC ticks.
uint64_t uart_byte_wait_ticks();

// A lambda, not a function, so that read_results_range() inlines it.
inline constexpr auto vmread_ok = [](uint32_t field, uint64_t* value)
                                      __attribute__((always_inline)) {
  return ia32::vmx::vmread_succeeded(field, value);
};

uint64_t vmread_or_zero(uint32_t field);
inline uint64_t vmread_or_zero(ia32::vmx::VmcsField field) {
  return vmread_or_zero(ia32::vmx::encoding(field));
}

// The TSC, inline (the exit path reads it on every exit).
[[gnu::always_inline]] inline uint64_t read_tsc() {
  uint64_t tsc;
  asm volatile("rdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax" : "=a"(tsc) : : "rdx");
  return tsc;
}

// Past the instruction that exited; stops the guest when the VMWRITE fails.
[[gnu::always_inline]] inline void advance_guest_rip(ExitContext& exit) {
  if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(ia32::vmx::VmcsField::guest_rip),
                                    exit.next_rip())) {
    stop(exit, "VMWRITE of the guest RIP failed");
  }
}

}  // namespace vmx::exit_path

// vmx/exit_io_runtime.cpp: the handler of I/O-instruction exits.
namespace vmx {
void handle_io(ExitContext& exit);
}

// vmx/exit_chain_runtime.cpp: chain mode's own handlers.
namespace vmx::chain_exits {
void set_up(uint16_t pm1a_cnt, bool hlt_activity, bool emulator_panic_ports,
            const GuestMemoryMap* memory_map);
void handle_io(ExitContext& exit);
void handle_cpuid(ExitContext& exit);
void handle_hlt(ExitContext& exit);
void handle_vmcall(ExitContext& exit);
void handle_cr_access(ExitContext& exit);
void handle_msr(ExitContext& exit);
void handle_invd(ExitContext& exit);
void handle_xsetbv(ExitContext& exit);
}
