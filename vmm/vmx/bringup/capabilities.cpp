// Phase 3: the VMX capability MSRs (SDM appendix A), which the plan
// (vmx/plan.h) settles every control against.
#include "vmx/bringup/phases.h"

#include "ia32/instructions.h"
#include "ia32/vmx/capabilities.h"
#include "common/console.h"
#include "common/end_run.h"

namespace vmx::bringup {

namespace {

namespace msr = ia32::vmx::msr;
using ia32::vmx::VmxBasic;

// Only the MSRs the CPU has: reading one it lacks is a #GP.
CapabilityMsrs read_msrs() {
  CapabilityMsrs m{};
  m.basic = rdmsr(msr::vmx_basic);
  m.pin_based = rdmsr(msr::vmx_pinbased_ctls);
  m.primary_processor = rdmsr(msr::vmx_procbased_ctls);
  m.exit = rdmsr(msr::vmx_exit_ctls);
  m.entry = rdmsr(msr::vmx_entry_ctls);
  m.misc = rdmsr(msr::vmx_misc);
  m.cr0_fixed0 = rdmsr(msr::vmx_cr0_fixed0);
  m.cr0_fixed1 = rdmsr(msr::vmx_cr0_fixed1);
  m.cr4_fixed0 = rdmsr(msr::vmx_cr4_fixed0);
  m.cr4_fixed1 = rdmsr(msr::vmx_cr4_fixed1);
  if (VmxBasic{m.basic}.has_true_controls()) {
    m.true_pin_based = rdmsr(msr::vmx_true_pinbased_ctls);
    m.true_primary_processor = rdmsr(msr::vmx_true_procbased_ctls);
    m.true_exit = rdmsr(msr::vmx_true_exit_ctls);
    m.true_entry = rdmsr(msr::vmx_true_entry_ctls);
  }
  using ia32::vmx::ControlWord;
  if (allowed_settings(m, ControlWord::primary_processor).may_be_one &
      ia32::vmx::primary_processor::activate_secondary_controls) {
    m.secondary_processor = rdmsr(msr::vmx_procbased_ctls2);
  }
  if (allowed_settings(m, ControlWord::secondary_processor).may_be_one &
      ia32::vmx::secondary_processor::enable_ept) {
    m.ept_vpid = rdmsr(msr::vmx_ept_vpid_cap);
  }
  return m;
}

void print_capabilities(const CapabilityMsrs& m) {
  const VmxBasic basic{m.basic};
  // Lines under 80 columns: the VGA screen shows them too.
  console::printf("vmx: IA32_VMX_BASIC 0x%016lx: revision 0x%x, region %u bytes,\n", m.basic,
                  basic.revision_id(), basic.region_bytes());
  console::printf("vmx:   memory type %u, true controls %s, INS/OUTS info %s\n",
                  basic.vmcs_memory_type(), basic.has_true_controls() ? "yes" : "no",
                  basic.reports_ins_outs_info() ? "yes" : "no");
  console::printf("vmx: pin %016lx proc %016lx exit %016lx\n", m.pin_based,
                  m.primary_processor, m.exit);
  console::printf("vmx: entry %016lx proc2 %016lx misc %016lx\n", m.entry,
                  m.secondary_processor, m.misc);
  if (basic.has_true_controls()) {
    console::printf("vmx: true pin %016lx proc %016lx exit %016lx\n", m.true_pin_based,
                    m.true_primary_processor, m.true_exit);
    console::printf("vmx: true entry %016lx\n", m.true_entry);
  }
  console::printf("vmx: cr0 fixed 0x%lx/0x%lx, cr4 fixed 0x%lx/0x%lx\n", m.cr0_fixed0,
                  m.cr0_fixed1, m.cr4_fixed0, m.cr4_fixed1);
}

}  // namespace

CapabilityMsrs read_capabilities() {
  const CapabilityMsrs msrs = read_msrs();
  print_capabilities(msrs);
  // The VMXON region and the VMCS are one 4 KiB page each, write-back.
  const VmxBasic basic{msrs.basic};
  if (basic.region_bytes() > 4096 ||
      basic.vmcs_memory_type() != ia32::vmx::memory_type_write_back) {
    end_run("vmx-failed", "step=basic error=0 region=%u memory-type=%u", basic.region_bytes(),
            basic.vmcs_memory_type());
  }
  return msrs;
}

}  // namespace vmx::bringup
