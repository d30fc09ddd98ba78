// The VMX demo, end to end: bring-up (CPUID, IA32_FEATURE_CONTROL,
// capability MSRs, CR0/CR4 fixed bits), VMXON, the VMCS written from
// machine[], VMLAUNCH into the V86 guest, the exit loop, VMXOFF. Ends the run
// through end_run() with one of: ok, no-vmx, vmx-disabled, vmx-failed,
// entry-failed, guest-exit, guest-invalid, guest-failed, guest-timeout.
#pragma once

#include "layout.h"

namespace vmx {

// Needs the VMM's GDT with a TSS loaded (the host TR must not be 0) and the
// guest payload loaded at layout::GUEST_ADDR.
[[noreturn]] void run_demo(const layout::BootInfo& boot_info);

}  // namespace vmx
