// The VMM's print of a failed VM-entry check (vmx/checks/entry_checks.h) on the
// console. Apart from entry_checks.cpp because the console exists only in
// the VMM; the host tests link a stand-in console::printf that records it.
#include "common/console.h"
#include "common/format.h"
#include "vmx/checks/entry_checks.h"

namespace vmx {

void print_check_failure(const CheckFailure& failure) {
  char line[2 * console::printf_buffer_bytes];
  const size_t length = format_check_failure(line, sizeof(line), failure);
  if (length < console::printf_buffer_bytes - 1) {
    console::printf("%s\n", line);
    return;
  }
  // Longer than console::printf takes: the rule on one line, the values
  // (after "; ") on the next.
  const size_t head = format(nullptr, 0, "entry check failed: %s (SDM %s): %s", failure.id,
                             failure.sdm_section, failure.rule);
  console::printf("%.*s\n", static_cast<int>(head), line);
  if (head + 2 < sizeof(line)) console::printf("  %s\n", line + head + 2);
}

}  // namespace vmx
