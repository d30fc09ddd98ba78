// The chain guest's own exit handlers (handlers_runtime.cpp says what each
// does); the profile's table puts them over the core's. 64-bit VMM only.
#pragma once

#include "vmx/vcpu.h"

namespace guests::bios_chain {

// The loader found no boot sector (detail: 1 the read failed, 2 no 0x55AA;
// detail2: what it read).
inline constexpr char loader_failed[] = "loader-failed";

void handle_cpuid(vmx::Vcpu& vcpu);
void handle_hlt(vmx::Vcpu& vcpu);
void handle_vmcall(vmx::Vcpu& vcpu);
void handle_cr_access(vmx::Vcpu& vcpu);
void handle_msr(vmx::Vcpu& vcpu);
void handle_invd(vmx::Vcpu& vcpu);
void handle_xsetbv(vmx::Vcpu& vcpu);

// The local APIC's MSRs the profile keeps (apic_runtime.cpp): false when
// the guest gets the #GP the CPU would give; may end or stop the guest.
bool write_apic_base(vmx::Vcpu& vcpu, uint64_t value);
bool write_x2apic_icr(vmx::Vcpu& vcpu, uint64_t value);

}  // namespace guests::bios_chain
