// The seam between exit_stub.asm and the C++ exit handlers
// (exit_runtime.cpp), and what the handlers report to the demo
// (demo_runtime.cpp). 64-bit VMM only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ia32/vmx/exit_reason.h"
#include "vmx/machine.h"
#include "vmx/uart_shadow.h"

namespace vmx {

struct EptTables;

// The guest's caller-saved registers as exit_stub.asm pushes them (RAX
// last, so lowest). The others (RBX, RBP, R12-R15) stay in the registers:
// the C++ handlers preserve them by the calling convention.
struct GuestRegisters {
  uint64_t rax, rcx, rdx, rsi, rdi, r8, r9, r10, r11;
};
static_assert(offsetof(GuestRegisters, rax) == 0 && offsetof(GuestRegisters, r11) == 64);

// An exit handler that returns resumes the guest. One that is done with it
// calls vmx_return_to_launcher(code), which makes vmx_enter_guest() return
// the code (the stub then needs no test on the way back: a shorter exit).
inline constexpr uint64_t exit_guest_done = 0x10000;  // VMCALL: the guest finished
inline constexpr uint64_t exit_stop = 0x20000;        // an exit the demo does not handle
inline constexpr uint64_t exit_guest_timeout = 0x30000;  // the guest used up its time

// What vmx_enter_guest() returns when VMLAUNCH/VMRESUME itself fails: one of
// these bits plus RFLAGS bits 0 (CF) and 6 (ZF) after the instruction.
// exit_stub.asm has the same numbers.
inline constexpr uint64_t enter_launch_failed = 0x100;
inline constexpr uint64_t enter_resume_failed = 0x200;

// An I/O access outside the VMM's port policy (vmx/port_policy.h), as the
// VMM denied it.
struct DeniedAccess {
  uint16_t port;
  uint8_t bytes;      // of one element
  bool in;
  bool string;
  uint32_t elements;  // 1, or how many a REP INS/OUTS moved in that exit
};
inline constexpr unsigned denied_log_size = 16;  // the first few, printed after the run

// Counts and facts gathered by the exit handlers. The handlers print
// nothing: the launcher reports after the guest is done, so that the VMM's
// own bytes (console state included) do not change while the guest runs,
// and a CRC before and after tells whether the guest reached them.
// Kept lean: the exit path counts only by reason; totals are sums.
struct ExitLog {
  ExitInfo info;                  // the latest exit
  uint32_t by_reason[ia32::vmx::exit_reason_count + 1];  // last slot: others
  // Single IN/OUT exits by COM1 register (port - COM1) and direction: the
  // exits decoded by kind at the end, for two instructions on the fast path.
  uint32_t com1_in[8];
  uint32_t com1_out[8];
  uint32_t unpolled_outs;         // single-byte OUTs to the benchmark's port
  uint32_t string_io_exits;       // one per chunk (vmx/io_emulation.h)
  uint32_t com1_bytes_out;        // bytes forwarded to the UART's data port
  UartShadow guest_uart;          // COM1's setup as the guest sees it
  bool guest_line_start;          // the next guest byte starts a COM1 line
  GuestRegisters guest_report;    // registers at the final VMCALL, or at a stop
  const char* stop_note;          // why exit_stop, when a handler says
  bool dump;                      // exit_stop: print the latest exit in full
  bool host_nmi;                  // exit_stop by a host NMI (NMI exiting)
  uint32_t denied_accesses;       // I/O exits outside the port policy (denied, counted;
                                  // a long REP string counts once per chunk)
  DeniedAccess denied_log[denied_log_size];
  uint32_t timer_ticks;           // PIT ticks (external interrupts) while the guest ran
  uint64_t guest_physical_address;  // of the latest EPT violation
};

// The guest's time bound (vmx/guest_timer.h).
struct GuestClock {
  uint64_t tsc_ticks_in_limit;  // guest_timer::tsc_ticks_in_limit(), not 0
  bool preemption_timer;        // the VMX-preemption timer bounds the guest's stretches
  uint32_t timer_shift;         // its rate: one step per 2^shift TSC ticks
  uint32_t pit_tick_limit;      // else external-interrupt exits (PIT ticks) in the limit
};

// Set before the first entry: whether the CPU fills the instruction-
// information field for INS/OUTS (IA32_VMX_BASIC bit 54); the clock; ept:
// the guest's EPT tables, nullptr without EPT (then the guest's memory is
// its one 4 MiB page): the VMM touches guest memory only where they map.
void prepare_exit_handling(bool reports_ins_outs_info, const GuestClock& clock,
                           const EptTables* ept);
// Right before the first entry: the deadline is now + the limit (in TSC
// ticks). Returns now.
uint64_t start_guest_clock();
const ExitLog& exit_log();
uint32_t total_exits(const ExitLog& log);

// Prints an exit decoded from ExitInfo, reading whatever else it needs.
void print_exit(const ExitInfo& info, const GuestRegisters* registers);

}  // namespace vmx

// exit_stub.asm: enters the guest with VMLAUNCH; returns only when the guest
// is done for good (an exit handler's nonzero result) or an entry failed.
extern "C" uint64_t vmx_enter_guest();
// exit_stub.asm: the VMCS's host RIP.
extern "C" void vmx_exit_stub();
// exit_runtime.cpp: called by vmx_exit_stub on the exit stack.
extern "C" void vmx_handle_exit(vmx::GuestRegisters* registers);
// exit_stub.asm: abandons the exit stack and returns `code` from
// vmx_enter_guest() on the launcher's stack.
extern "C" [[noreturn]] void vmx_return_to_launcher(uint64_t code);
