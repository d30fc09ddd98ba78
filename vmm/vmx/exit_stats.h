// The exits as counted for the run's report: by reason (the dispatcher,
// before each handler), and I/O exits by the port range that decided them
// and their direction, the string ones, the denied ones with the first few
// logged (the I/O exit handler, vmx/io_exit_runtime.cpp). Kept, not
// printed: the profile's report prints them once the guest is done
// (vmx/exits.h says why). Pure: the host tests feed it fake exits.
#pragma once

#include <stdint.h>

#include "devices/port_map.h"
#include "ia32/vmx/exit_reason.h"

namespace vmx {

// An I/O access the VMM denied.
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
  // Single IN/OUT by the port map's slot that decided them ([0]: none
  // did), OUT in [.][0], IN in [.][1].
  uint32_t port_accesses[devices::PortMap::max_ranges + 1][2];
  uint32_t string_io_exits;  // INS/OUTS carried out: one per chunk (vmx/io_emulation.h)
  uint32_t denied_accesses;  // denied (a long REP string once per chunk)
  DeniedAccess denied_log[denied_log_size];
};

inline void count_exit(ExitStats& stats, uint32_t slot) { ++stats.by_reason[slot]; }

void count_denied(ExitStats& stats, const DeniedAccess& access);

uint32_t total_exits(const ExitStats& stats);
uint32_t exits_by(const ExitStats& stats, ia32::vmx::ExitReason reason);

}  // namespace vmx
