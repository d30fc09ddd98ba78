// Fault injection (`make image INJECT=<case>`, abi/layout.h
// VMXBOOT_INJECT_CASES): the named points where a case changes the VMM's
// course, and the one-line explanation each case ends with
// ("inject: <case>: <what was injected>: <what happened>").
//
// Only the injection build of the VMM (build/inject/vmm.bin, compiled with
// -DVMXBOOT_INJECT) has them: there fault_cases_runtime.cpp reads the case
// from the image header. In the normal build every hook below is an empty
// inline function, and the VMM holds no injection code at all.
#pragma once

#include <stdint.h>

#include "ia32/vmx/instructions.h"
#include "layout.h"
#include "common/acpi.h"
#include "common/uart16550.h"
#include "vmx/controls.h"
#include "devices/uart_shadow.h"
#include "vmx/vmcs_image.h"

namespace vmx::fault_cases {

#ifdef VMXBOOT_INJECT

// The VMM's entry, its own tables installed: takes the case from the boot
// info; host-fault reads unmapped memory here.
void at_vmm_start(const layout::BootInfo& boot_info);
// feature-locked-off: IA32_FEATURE_CONTROL as if the firmware locked VMX off.
uint64_t feature_control_as_read(uint64_t value);
// The header damage mkimage wrote (header-*), noted before the VMM checks it.
void before_guest_check();
// Before VMXON: bad-revision stamps a revision the CPU does not have.
uint32_t vmxon_revision(uint32_t cpu_revision);
// After VMPTRLD: unaligned-vmcs loads a VMCS address that is not 4 KiB aligned.
ia32::vmx::VmxResult after_vmptrld(uint64_t vmcs_physical);
// After the VMCS image is built, before it is written: bad-control sets a
// control bit the CPU forbids, bad-guest-state breaks the V86 CS base.
void after_vmcs_built(const CapabilityMsrs& msrs, VmcsImage& image);
// Before VMLAUNCH: the guest cases' part of the explanation; the guest is
// told its case; guest-write-vmm takes the VMM's CRC.
void before_launch();
// The guest has stopped, the console has not yet written: the CRC again.
void guest_stopped();

// The explanations, one per way the run ends.
void vmx_disabled();
void guest_refused(const char* field);
void instruction_failed(const char* step, ia32::vmx::VmxResult result, uint32_t error);
void entry_failed(const char* step, uint32_t error, const char* check);
void entry_failed_on_exit(const char* reason, const char* check);
void timed_out(const char* by);
// guest-write-vmm: prints both CRCs, returns " vmm-intact=yes|no" for the
// result line; "" otherwise.
const char* vmm_intact_pair();
void guest_exited(const char* reason, const char* gpa);
void guest_halted(const devices::UartShadow& guest_uart, uint32_t denied,
                  const Uart16550::Setup& com1_after, const acpi::PowerOff& kept,
                  uint16_t vga_row_used);

#else

inline void at_vmm_start(const layout::BootInfo&) {}
inline uint64_t feature_control_as_read(uint64_t value) { return value; }
inline void before_guest_check() {}
inline uint32_t vmxon_revision(uint32_t cpu_revision) { return cpu_revision; }
inline ia32::vmx::VmxResult after_vmptrld(uint64_t) { return ia32::vmx::VmxResult::success; }
inline void after_vmcs_built(const CapabilityMsrs&, VmcsImage&) {}
inline void before_launch() {}
inline void guest_stopped() {}
inline void vmx_disabled() {}
inline void guest_refused(const char*) {}
inline void instruction_failed(const char*, ia32::vmx::VmxResult, uint32_t) {}
inline void entry_failed(const char*, uint32_t, const char*) {}
inline void entry_failed_on_exit(const char*, const char*) {}
inline void timed_out(const char*) {}
inline const char* vmm_intact_pair() { return ""; }
inline void guest_exited(const char*, const char*) {}
inline void guest_halted(const devices::UartShadow&, uint32_t, const Uart16550::Setup&,
                         const acpi::PowerOff&, uint16_t) {}

#endif

}  // namespace vmx::fault_cases
