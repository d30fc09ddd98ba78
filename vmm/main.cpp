// The VMM's main line: entered from entry.asm in long mode with the boot info
// stage1 and stage2 filled. Takes over the machine (its own GDT, TSS, IDT),
// reports the boot (timeline, memory map, CPU), then runs the VMX demo.
#include <stdint.h>

#include "cpu_tables.h"
#include "ia32/cpuid.h"
#include "ia32/instructions.h"
#include "ia32/vmx/capabilities.h"
#include "layout.h"
#include "common/boot_report.h"
#include "common/console.h"
#include "common/end_run.h"
#include "common/end_wait.h"
#include "vmx/demo.h"

using namespace layout;

namespace {

const char* e820_type_name(uint32_t type) {
  switch (type) {
    case 1: return "usable";
    case 2: return "reserved";
    case 3: return "ACPI reclaimable";
    case 4: return "ACPI NVS";
    case 5: return "bad memory";
    default: return "other";
  }
}

void print_timeline(const BootInfo& info, uint64_t tsc_vmm) {
  console::printf("boot timeline (TSC; in Bochs: instructions)\n");
  console::printf("  stage1 -> stage2       %10llu\n",
                  (unsigned long long)(info.tsc_stage2 - info.tsc_stage1));
  console::printf("  stage2 -> long mode    %10llu\n",
                  (unsigned long long)(info.tsc_long_mode - info.tsc_stage2));
  console::printf("  long mode -> VMM       %10llu\n",
                  (unsigned long long)(tsc_vmm - info.tsc_long_mode));
  console::printf("  stage1 -> VMM          %10llu  (%u BIOS disk reads)\n",
                  (unsigned long long)(tsc_vmm - info.tsc_stage1), info.bios_disk_reads);
}

void print_memory_map(const BootInfo& info) {
  uint64_t usable = 0;
  console::printf("memory map (E820, %u entries)\n", info.e820_count);
  for (uint32_t i = 0; i < info.e820_count && i < E820_MAX_ENTRIES; ++i) {
    const E820Entry& e = info.e820[i];
    console::printf("  %016llx-%016llx %s\n", (unsigned long long)e.base,
                    (unsigned long long)(e.base + e.length - 1), e820_type_name(e.type));
    if (e.type == 1) usable += e.length;
  }
  console::printf("  usable: %llu KiB\n", (unsigned long long)(usable >> 10));
}

struct CpuIdentity {
  char vendor[13];
  CpuSignature signature;
  bool vmx;
};

CpuIdentity identify_cpu() {
  CpuIdentity id;
  uint32_t r[4];
  cpuid(cpuid_leaf::vendor, 0, r);
  decode_vendor(r[1], r[2], r[3], id.vendor);
  cpuid(cpuid_leaf::features, 0, r);
  id.signature = decode_signature(r[0]);
  id.vmx = (r[2] & cpuid1_ecx_vmx) != 0;
  return id;
}

// The boot info lies at BOOTINFO_ADDR, in the first 4 MiB, which a guest
// without EPT can write: the VMM reads only its own copy, taken first.
BootInfo boot_info;

}  // namespace

extern "C" [[noreturn]] void vmm_main(const BootInfo* boot_info_in_low_memory) {
  const uint64_t tsc_vmm = rdtsc();
  boot_info = *boot_info_in_low_memory;
  const BootInfo* const info = &boot_info;
  console::resume(info->console_row);
  end_wait::set_seconds(info->end_wait_seconds);
  cpu_tables::install();
  if (info->inject == INJECT_HOST_FAULT) {
    // A read above the 4 GiB the page tables map: a #PF inside the VMM,
    // which the IDT must turn into a readable dump and host-exception.
    console::printf("inject: host-fault: the VMM reads unmapped 0x100000000\n");
    (void)*reinterpret_cast<volatile uint64_t*>(0x100000000ull);
  }
  console::printf("vmxboot VMM: running at 0x%08x in 64-bit mode\n",
                  info->payloads[PAYLOAD_VMM].load_addr);
  boot_report::print_disk_and_memory(*info);
  boot_report::print_payloads(*info);
  print_timeline(*info, tsc_vmm);
  print_memory_map(*info);

  const CpuIdentity cpu = identify_cpu();
  console::printf("cpu: %s family 0x%x model 0x%x stepping %u, VMX %s\n", cpu.vendor,
                  cpu.signature.family, cpu.signature.model, cpu.signature.stepping,
                  cpu.vmx ? "yes" : "no");
  if (!cpu.vmx) end_run("no-vmx", "vendor=%s", cpu.vendor);
  namespace fc = ia32::vmx::feature_control;
  const uint64_t feature_control = rdmsr(ia32::vmx::msr::feature_control);
  console::printf("cpu: IA32_FEATURE_CONTROL 0x%llx (%s, VMX outside SMX %s)\n",
                  (unsigned long long)feature_control,
                  (feature_control & fc::lock) ? "locked" : "unlocked",
                  (feature_control & fc::vmx_outside_smx) ? "on" : "off");
  vmx::run_demo(*info);
}
