// Phase 6: the VMCS. The host is described as the VMM runs now in VMX
// operation (SDM 28.5: what a VM exit loads), the TSC's rate measured; the
// guest's profile makes the plan (vmx/plan.h and the profile's part) from
// these and the capability MSRs; its image is written through machine[]
// in one loop, the only VMWRITEs before launch.
#include "vmx/bringup/phases.h"

#include "ia32/instructions.h"
#include "ia32/vmx/capabilities.h"
#include "common/console.h"
#include "common/descriptors.h"
#include "common/end_run.h"
#include "vmx/fault_cases.h"
#include "vmx/guest_timer.h"

// vmm/vmm.ld: the VMM's first loaded byte.
extern "C" const uint8_t __vmm_start[];

namespace vmx::bringup {

namespace {

namespace msr = ia32::vmx::msr;
using ia32::vmx::VmxResult;

uint64_t physical_address(const void* p) { return reinterpret_cast<uint64_t>(p); }

// The state a VM exit loads: the VMM as it runs now (RSP and RIP, to the
// exit stub on the Vcpu's exit stack, are the plan's).
HostState describe_host(Vcpu& vcpu) {
  HostState host{};
  uint16_t s;
  asm volatile("mov %%cs, %0" : "=r"(s));
  host.cs_selector = s;
  asm volatile("mov %%ss, %0" : "=r"(s));
  host.ss_selector = s;
  asm volatile("mov %%ds, %0" : "=r"(s));
  host.ds_selector = s;
  asm volatile("mov %%es, %0" : "=r"(s));
  host.es_selector = s;
  asm volatile("mov %%fs, %0" : "=r"(s));
  host.fs_selector = s;
  asm volatile("mov %%gs, %0" : "=r"(s));
  host.gs_selector = s;
  asm volatile("str %0" : "=r"(s));
  host.tr_selector = s;
  if (host.tr_selector == 0) {
    leave_vmx_operation(vcpu);
    end_run("vmx-failed", "step=host-state error=0 tr=0");
  }
  descriptors::TableRegister64 gdtr, idtr;
  asm volatile("sgdt %0" : "=m"(gdtr));
  asm volatile("sidt %0" : "=m"(idtr));
  host.gdtr_base = gdtr.base;
  host.idtr_base = idtr.base;
  host.tr_base = reinterpret_cast<uint64_t>(&vcpu.tables.tss);  // the TSS TR holds
  host.cr0 = read_cr0();
  host.cr3 = read_cr3();
  host.cr4 = read_cr4();
  host.fs_base = rdmsr(msr::fs_base);
  host.gs_base = rdmsr(msr::gs_base);
  host.sysenter_cs = static_cast<uint32_t>(rdmsr(msr::sysenter_cs));
  host.sysenter_esp = rdmsr(msr::sysenter_esp);
  host.sysenter_eip = rdmsr(msr::sysenter_eip);
  host.ia32_pat = rdmsr(msr::pat);
  host.ia32_efer = rdmsr(msr::efer);
  return host;
}

[[noreturn]] void refuse_plan(Vcpu& vcpu, const VmcsPlan& p, const CapabilityMsrs& msrs) {
  leave_vmx_operation(vcpu);
  switch (p.error) {
    case PlanError::controls: {
      const ControlError& e = p.control_error;
      console::printf("vmx: %s control bit %u (%s) %s (MSR 0x%x)\n",
                      ia32::vmx::control_word_name(e.word), e.bit, e.bit_name,
                      e.required_by_cpu ? "must be 1 but may not be" : "is wanted but not allowed",
                      capability_msr_index(msrs, e.word));
      end_run("vmx-failed", "step=controls word=%s bit=%u name=%s",
              ia32::vmx::control_word_name(e.word), e.bit, e.bit_name);
    }
    case PlanError::guest_cr0:
    case PlanError::guest_cr4: {
      const bool cr0 = p.error == PlanError::guest_cr0;
      const char* name = cr0 ? "guest-cr0" : "guest-cr4";
      console::printf("vmx: %s bits 0x%lx not allowed in VMX operation (FIXED1 0x%lx)\n", name,
                      p.fixed_error.forbidden, cr0 ? msrs.cr0_fixed1 : msrs.cr4_fixed1);
      end_run("vmx-failed", "step=%s-fixed-bits error=0", name);
    }
    default:
      console::printf("vmx: ept failed: the guest's memory lies beyond what the EPT maps\n");
      end_run("vmx-failed", "step=ept error=0");
  }
}

bool vmwrite_field(void* context, uint32_t field, uint64_t value) {
  const VmxResult r = ia32::vmx::vmwrite(field, value);
  *static_cast<VmxResult*>(context) = r;
  return r == VmxResult::success;
}

}  // namespace

PlanInputs describe_plan_inputs(Vcpu& vcpu, const CapabilityMsrs& msrs) {
  // Nothing the VMM keeps for VMX may lie in the first 4 MiB, which a guest
  // without EPT may map.
  if (physical_address(__vmm_start) < 0x400000) {
    leave_vmx_operation(vcpu);
    end_run("vmx-failed", "step=layout error=0 vmm-below-4mib=yes");
  }
  // The TSC against the PIT on every CPU: the deadline that counts the
  // exits' time, and the COM1 wait, are in TSC ticks (vmx/guest_timer.h).
  const uint64_t tsc_ticks_in_limit = guest_timer::tsc_ticks_in_limit();
  if (tsc_ticks_in_limit == 0) {
    leave_vmx_operation(vcpu);
    end_run("vmx-failed", "step=guest-clock error=0 pit-channel0=unusable");
  }
  return PlanInputs{msrs,
                    describe_host(vcpu),
                    reinterpret_cast<uint64_t>(&vmx_exit_stub),
                    physical_address(&vcpu.context),
                    physical_address(vcpu.io_bitmap_a),
                    physical_address(vcpu.io_bitmap_b),
                    tsc_ticks_in_limit};
}

void accept_plan(Vcpu& vcpu, const CapabilityMsrs& msrs) {
  const VmcsPlan& plan = vcpu.plan;
  if (plan.error != PlanError::none) refuse_plan(vcpu, plan, msrs);
  const ControlWords& c = plan.image.controls.words;
  console::printf("vmx: controls: pin 0x%x, primary 0x%x, secondary 0x%x,\n", c.pin_based,
                  c.primary_processor, c.secondary_processor);
  console::printf("vmx:   exit 0x%x, entry 0x%x\n", c.exit, c.entry);
}

void write_vmcs(Vcpu& vcpu, const CapabilityMsrs& msrs) {
  VmcsPlan& plan = vcpu.plan;
  fault_cases::after_vmcs_built(msrs, plan.image);

  VmxResult result = VmxResult::success;
  const MachineWriteResult written = write_machine(plan.image, {&result, vmwrite_field});
  if (!written.ok) {
    console::printf("vmx: VMWRITE of field 0x%04x (value 0x%lx) failed\n",
                    ia32::vmx::encoding(written.failed->field),
                    machine_value(plan.image, *written.failed));
    fail_instruction(vcpu, "vmwrite", result);
  }
  console::printf("vmx: VMCS written from machine[]: %u fields\n", written.written);
}

}  // namespace vmx::bringup
