// Phase 7: VMLAUNCH. From here the guest runs and its exits are handled by
// the exit stub and the profile's handlers (vmx/exit_handlers.h) until one
// stops it for good or the entry itself fails.
#include "vmx/bringup/phases.h"

#include "ia32/instructions.h"

namespace vmx::bringup {

GuestRun launch(Vcpu& vcpu) {
  GuestRun run{};
  const uint64_t tsc_launch = rdtsc();
  vcpu.bound.start(tsc_launch);
  run.outcome = vmx_enter_guest(&vcpu);
  run.guest_ticks = rdtsc() - tsc_launch;
  return run;
}

}  // namespace vmx::bringup
