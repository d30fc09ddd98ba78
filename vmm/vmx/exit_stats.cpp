// The exit observer's I/O part off the hot path (vmx/exit_stats.h).
#include "vmx/exit_stats.h"

namespace vmx {

void observe_uncommon_io(ExitStats& stats, const ExitContext& exit) {
  const ia32::vmx::IoQualification io = exit.io();
  if (stats.chain && static_cast<uint16_t>(io.port() - layout::COM1_PORT) >= com1_registers) {
    ++stats.chain_ports[chain_port_slot(io.port(), stats.chain_pm1a_cnt)];
    return;
  }
  if (io_access_action(io) == PortAction::deny) {
    if (stats.denied_accesses < denied_log_size) {
      stats.denied_log[stats.denied_accesses] = {
          io.port(), static_cast<uint8_t>(io.size_bytes()), io.is_in(), io.is_string(),
          io.is_string() ? exit.string_elements : 1};
    }
    ++stats.denied_accesses;
    return;
  }
  if (io.is_string()) {
    ++stats.string_io_exits;
    return;
  }
  const unsigned offset = com1_byte_offset(io);
  if (offset < com1_registers) ++(io.is_in() ? stats.com1_in : stats.com1_out)[offset];
}

uint32_t total_exits(const ExitStats& stats) {
  uint32_t total = 0;
  for (uint32_t count : stats.by_reason) total += count;
  return total;
}

}  // namespace vmx
