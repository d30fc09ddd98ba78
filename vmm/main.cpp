// The VMM's main line: entered from entry.asm in long mode with the boot info
// stage1 and stage2 filled. Takes over the machine (its Vcpu's own GDT, TSS,
// IDT), reports the boot (timeline, memory map), then brings VMX up in the
// SDM's order (vmx/bringup/phases.h) around the guest's profile
// (guests/profile.h), picked once from the checked guest header.
#include <stdint.h>

#include "cpu_tables.h"
#include "ia32/instructions.h"
#include "layout.h"
#include "common/boot_report.h"
#include "common/console.h"
#include "common/end_wait.h"
#include "devices/port_map.h"
#include "guests/load_guest.h"
#include "guests/profile.h"
#include "machine.h"
#include "vmx/bringup/phases.h"
#include "vmx/fault_cases.h"
#include "vtd/dma_probe.h"
#include "vtd/remap.h"

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
    if (e.type == layout::E820_USABLE) usable += e.length;
  }
  console::printf("  usable: %llu KiB\n", (unsigned long long)(usable >> 10));
}

}  // namespace

extern "C" [[noreturn]] void vmm_main(const BootInfo* boot_info_in_low_memory) {
  const uint64_t tsc_vmm = rdtsc();
  Machine& m = machine;
  vmx::Vcpu& vcpu = vcpus[0];
  // The boot info lies at BOOTINFO_ADDR, in the first 4 MiB, which a guest
  // without EPT can write: the VMM reads only its own copy, taken first.
  m.boot_info = *boot_info_in_low_memory;
  const BootInfo& info = m.boot_info;
  console::resume(info.console_row);
  end_wait::set_seconds(info.end_wait_seconds);
  cpu_tables::install(vcpu.tables);
  vmx::fault_cases::at_vmm_start(info);
  console::printf("vmxboot VMM: running at 0x%08x in 64-bit mode\n",
                  info.payloads[PAYLOAD_VMM].load_addr);
  boot_report::print_disk_and_memory(info);
  boot_report::print_payloads(info);
  print_timeline(info, tsc_vmm);
  print_memory_map(info);

  using namespace vmx::bringup;
  vtd::dma_probe::before_vmx_check(m);                              // the probe build only
  check_cpu();                                                      // CPUID.1:ECX.VMX
  enable_vmx_in_feature_control();                                  // IA32_FEATURE_CONTROL
  m.msrs = read_capabilities();                                     // IA32_VMX_BASIC ...
  const layout::GuestHeader& guest = guests::load_guest(info, m.guest);  // the checked header
  const guests::GuestProfile& profile = guests::profile_for(guest.kind);  // once
  m.profile = &profile;
  vtd::protect_vmm_memory(m.dma, m.boot_info);                      // DMA remapping (VT-d)
  enter_vmx_operation(vcpu, m.msrs);                                // VMXON, VMPTRLD
  const vmx::PlanInputs inputs = describe_plan_inputs(vcpu, m.msrs);  // the host, the TSC
  profile.attach_devices(m, vcpu, inputs.tsc_ticks_in_limit);       // the port map
  m.ports.fill_io_bitmaps(vcpu.io_bitmap_a, vcpu.io_bitmap_b);
  vcpu.handlers = profile.handlers;
  profile.plan(m, vcpu, inputs);                                    // the plan
  write_vmcs(vcpu, m.msrs);                                         // machine[] written
  profile.run(m, vcpu);                                             // VMLAUNCH ... the end
  halt_forever();
}
