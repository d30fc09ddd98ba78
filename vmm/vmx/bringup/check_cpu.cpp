// Phase 1: the CPU says it has VMX (CPUID.1:ECX bit 5, SDM 24.6).
#include "vmx/bringup/phases.h"

#include "ia32/cpuid.h"
#include "ia32/instructions.h"
#include "common/console.h"
#include "common/end_run.h"

namespace vmx::bringup {

void check_cpu() {
  char vendor[13];
  uint32_t r[4];
  cpuid(cpuid_leaf::vendor, 0, r);
  decode_vendor(r[1], r[2], r[3], vendor);
  cpuid(cpuid_leaf::features, 0, r);
  const CpuSignature signature = decode_signature(r[0]);
  const bool vmx = (r[2] & cpuid1_ecx_vmx) != 0;
  console::printf("cpu: %s family 0x%x model 0x%x stepping %u, VMX %s\n", vendor,
                  signature.family, signature.model, signature.stepping, vmx ? "yes" : "no");
  if (!vmx) end_run("no-vmx", "vendor=%s", vendor);
}

}  // namespace vmx::bringup
