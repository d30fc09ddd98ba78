// stage2's RunState (common/run_state.h): the console, the power-off and
// the end-of-run wait of stage2's 32-bit part, in its .bss.
#include "common/run_state.h"

namespace {
constinit RunState stage2_run_state{};
}  // namespace

RunState& run_state() { return stage2_run_state; }
