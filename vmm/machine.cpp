// The VMM's only mutable objects at namespace scope (vmm/machine.h): the
// Vcpus and the Machine, in .bss (zeroed by vmm/entry.asm), and where the
// code shared with stage2 finds its RunState (common/run_state.h).
#include "machine.h"

extern "C" {
alignas(4096) vmx::Vcpu vcpus[vmm_cpus];
constinit Machine machine{};
}

RunState& run_state() { return machine.run; }
