#include "vmx/exit_stats.h"

namespace vmx {

void count_denied(ExitStats& stats, const DeniedAccess& access) {
  if (stats.denied_accesses < denied_log_size) stats.denied_log[stats.denied_accesses] = access;
  ++stats.denied_accesses;
}

uint32_t total_exits(const ExitStats& stats) {
  uint32_t total = 0;
  for (uint32_t count : stats.by_reason) total += count;
  return total;
}

uint32_t exits_by(const ExitStats& stats, ia32::vmx::ExitReason reason) {
  return stats.by_reason[static_cast<unsigned>(reason)];
}

}  // namespace vmx
