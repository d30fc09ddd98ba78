// The exits as counted for the report after the run: an observer the
// dispatcher (vmx/exit_runtime.cpp) calls before and after every exit's
// handler, and the way out (leave_guest) after the last one's; the handlers
// count nothing. (hvpp's vmexit_stats has this shape.) The counts are kept,
// not printed: the launcher prints them once the guest is done (vmx/exits.h
// says why). Pure: the host tests feed it fake exits.
#pragma once

#include <stdint.h>

#include "ia32/vmx/exit_reason.h"
#include "vmx/exit_context.h"
#include "vmx/exit_io_policy.h"

namespace vmx {

// An I/O access outside the VMM's port policy, as the VMM denied it.
struct DeniedAccess {
  uint16_t port;
  uint8_t bytes;      // of one element
  bool in;
  bool string;
  uint32_t elements;  // 1, or how many a REP INS/OUTS moved in that exit
};
inline constexpr unsigned denied_log_size = 16;  // the first few, printed after the run

struct ExitStats {
  // By the slot the exit's handler has (ia32::vmx::exit_reason_slot): the
  // last one counts failed VM entries and reasons newer than the table.
  uint32_t by_reason[ia32::vmx::exit_reason_count + 1];
  // I/O exits by kind, decoded from the exit qualification and the policy.
  // Single IN/OUT the policy allows, by COM1 register (port - COM1) and
  // direction:
  uint32_t com1_in[com1_registers];
  uint32_t com1_out[com1_registers];
  uint32_t unpolled_outs;    // single-byte OUTs to the benchmark's port
  uint32_t string_io_exits;  // INS/OUTS the policy allows: one per chunk (vmx/io_emulation.h)
  uint32_t denied_accesses;  // outside the policy (denied; a long REP string once per chunk)
  DeniedAccess denied_log[denied_log_size];
  // Chain mode: the ports it keeps besides COM1 are the guest's after a look
  // (vmx/exit_chain_runtime.cpp), not denied: counted here by
  // chain_port_slot().
  bool chain;
  uint16_t chain_pm1a_cnt;
  uint32_t chain_ports[7];
};

// Chain mode's kept ports, for the counts: PM1a_CNT, 0xCF9, 0x64, 0x92,
// 0xB2, the emulator's BIOS panic ports, and any other access that touched one.
inline constexpr const char* chain_port_names[7] = {"pm1a-cnt", "0xcf9", "0x64", "0x92",
                                                    "0xb2", "0x400-0x401", "other"};
constexpr unsigned chain_port_slot(uint16_t port, uint16_t pm1a_cnt) {
  if (pm1a_cnt != 0 && (port == pm1a_cnt || port == pm1a_cnt + 1)) return 0;
  switch (port) {
    case 0xCF9: return 1;
    case 0x64: return 2;
    case 0x92: return 3;
    case 0xB2: return 4;
    case 0x400:
    case 0x401: return 5;
    default: return 6;
  }
}

// Before the handler, once the dispatcher has read the exit's reason.
inline void observe_before(ExitStats& stats, uint32_t slot) { ++stats.by_reason[slot]; }

void observe_uncommon_io(ExitStats& stats, const ExitContext& exit);

// After the handler, or in leave_guest() when the handler ends the guest:
// the I/O exit's kind, from the qualification the handler read. The
// benchmark's OUT first: that test is the whole of it on the hot path.
[[gnu::always_inline]] inline void observe_after(ExitStats& stats, const ExitContext& exit) {
  if (ia32::vmx::basic_exit_reason(exit.info.exit_reason) !=
      static_cast<uint16_t>(ia32::vmx::ExitReason::io_instruction)) {
    return;
  }
  if (exit.io().is_byte_out_to(layout::BENCH_PORT)) {
    ++stats.unpolled_outs;
    return;
  }
  observe_uncommon_io(stats, exit);
}

uint32_t total_exits(const ExitStats& stats);

}  // namespace vmx
