// The exit path as the launcher (vmx/bringup/launch.cpp) sees it: entering the
// guest, the way back, and what the exits leave for the report. The stub is
// vmx/exit_stub.asm, the context it builds vmx/exit_context.h, the handler
// table vmx/exit_handlers.h, the counting vmx/exit_stats.h, the dispatcher
// and the way out vmx/exit_runtime.cpp, the I/O handlers
// vmx/exit_io_runtime.cpp. 64-bit VMM only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ia32/vmx/exit_reason.h"
#include "vmx/exit_context.h"
#include "vmx/exit_stats.h"
#include "vmx/machine.h"
#include "vmx/uart_shadow.h"

namespace vmx {

struct EptTables;

// How a chain guest ended itself (exit_guest_done in chain mode).
enum class ChainEnd : uint8_t { none, poweroff, reset, halt, bios_panic, loader_failed };
constexpr const char* chain_end_name(ChainEnd end) {
  switch (end) {
    case ChainEnd::poweroff: return "poweroff";
    case ChainEnd::reset: return "reset";
    case ChainEnd::halt: return "halt";
    case ChainEnd::bios_panic: return "bios-panic";
    case ChainEnd::loader_failed: return "loader-failed";
    case ChainEnd::none: break;
  }
  return "none";
}

// Why the guest was left: what vmx_enter_guest() returns then (leave_guest()
// in vmx/exit_runtime.cpp). Apart from the entry failures (exit_context.h).
inline constexpr uint64_t exit_guest_done = 0x10000;  // VMCALL: the guest finished
inline constexpr uint64_t exit_stop = 0x20000;        // an exit the demo does not handle
inline constexpr uint64_t exit_guest_timeout = 0x30000;  // the guest used up its time
static_assert(((exit_guest_done | exit_stop | exit_guest_timeout) &
               (enter_launch_failed | enter_resume_failed | enter_failure_flags)) == 0);

// What the exits leave for the launcher, which reports after the guest is
// done: the handlers print nothing, so that the VMM's own bytes (console
// state included) do not change while the guest runs, and a CRC before and
// after tells whether the guest reached them. The counts are the exit
// observer's (ExitStats); the rest is what the way out recorded about the
// last exit and the state of the guest's COM1.
struct ExitLog : ExitStats {
  ExitInfo info;                  // the last exit, all of results[] read
  GuestRegisters guest_report;    // the guest's registers at the last exit
  const char* stop_note;          // why exit_stop, when a handler says
  bool dump;                      // exit_stop: print the last exit in full
  bool host_nmi;                  // exit_stop by a host NMI (NMI exiting)
  uint64_t guest_physical_address;  // of the last EPT violation
  // The guest's COM1 as the I/O handlers keep it (vmx/exit_io_runtime.cpp).
  UartShadow guest_uart;          // its setup as the guest sees it
  bool guest_line_start;          // the next guest byte starts a COM1 line
  uint32_t com1_bytes_out;        // bytes forwarded to the UART's data port
  // Chain mode (vmx/exit_chain_runtime.cpp): how the guest ended when it
  // ended itself (exit_guest_done), and what it asked CPUID.
  ChainEnd chain_end;
  uint32_t chain_end_detail;      // the value written / the loader's EBX, ECX
  uint32_t chain_end_detail2;
  uint32_t cpuid_leaves[16];      // the distinct leaves asked, first ones
  uint32_t cpuid_leaf_count;
  uint32_t int15_calls;           // the loader's INT 15h stub's VMCALLs
  uint32_t int15_refused;         // of those, E820 buffers int15_buffer() refused
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
// Chain mode: after prepare_exit_handling, the chain guest's handlers
// (vmx/exit_chain_runtime.cpp) instead of the V86 demo's.
// memory_map: what the guest's INT 15h (through its VMCALL) is told.
struct GuestMemoryMap;
void use_chain_exit_handlers(uint16_t pm1a_cnt, bool hlt_activity, bool emulator_panic_ports,
                             const GuestMemoryMap* memory_map);
const ExitLog& exit_log();

// Prints an exit decoded from ExitInfo, reading whatever else it needs, and
// the guest's registers when given.
void print_exit(const ExitInfo& info, const GuestRegisters* registers);

}  // namespace vmx

// exit_stub.asm: enters the guest with VMLAUNCH. Returns when the guest is
// left for good (leave_guest()'s code) or an entry failed (EnterFailure).
extern "C" uint64_t vmx_enter_guest();
// exit_stub.asm: the VMCS's host RIP.
extern "C" void vmx_exit_stub();
// exit_runtime.cpp: called by vmx_exit_stub on the exit stack, with the
// context it built; returning resumes the guest.
extern "C" void vmx_handle_exit(vmx::ExitContext* exit);
// exit_stub.asm: the non-local return out of an exit. Abandons the exit
// stack and returns `code` from vmx_enter_guest() on the launcher's stack
// (the callee-saved registers vmx_enter_guest saved are restored). Called
// by leave_guest() only.
extern "C" [[noreturn]] void vmx_return_to_launcher(uint64_t code);
