#include "vmm_plan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "cpu_tables.h"
#include "guests/bios_chain/devices.h"
#include "guests/v86_demo/devices.h"
#include "ia32/registers.h"
#include "layout.h"
#include "guests/guest_header_check.h"

namespace vmm_plan {

std::string guest_path() {
  const char* path = std::getenv("VMXBOOT_GUEST_BIN");
  return path != nullptr ? path : "build/guest.bin";
}

layout::GuestHeader checked_guest_header() {
  std::ifstream file(guest_path(), std::ios::binary);
  EXPECT_TRUE(file.good()) << guest_path()
                           << " is missing: run `make` (it assembles guest/guest.asm)";
  const std::vector<uint8_t> guest{std::istreambuf_iterator<char>(file), {}};
  layout::GuestHeader header{};
  const guests::GuestHeaderProblem problem =
      guests::copy_guest_header(guest.data(), static_cast<uint32_t>(guest.size()), header);
  EXPECT_TRUE(problem.ok()) << guest_path() << ": " << problem.field << ": " << problem.problem;
  return header;
}

vmx::HostState vmm_host_state(const vmx::CapabilityMsrs& msrs) {
  vmx::HostState host{};
  host.cs_selector = cpu_tables::selector_code64;
  host.ss_selector = host.ds_selector = host.es_selector = cpu_tables::selector_data;
  host.fs_selector = host.gs_selector = 0;  // cpu_tables::install loads 0 into FS and GS
  host.tr_selector = cpu_tables::selector_tss;
  host.cr0 = ia32::vmx::FixedBits{msrs.cr0_fixed0, msrs.cr0_fixed1}.apply(0x80000011);
  host.cr4 =
      ia32::vmx::FixedBits{msrs.cr4_fixed0, msrs.cr4_fixed1}.apply(cr4::pae | cr4::vmxe);
  host.cr3 = layout::PAGE_TABLES_ADDR;
  host.gdtr_base = layout::VMM_ADDR + 0x9000;
  host.idtr_base = layout::VMM_ADDR + 0x9100;
  host.tr_base = layout::VMM_ADDR + 0x9400;
  host.ia32_pat = vmx::guest_pat;
  host.ia32_efer = 0x500;  // LME, LMA
  return host;
}

vmx::PlanInputs vmm_plan_inputs(const vmx::CapabilityMsrs& msrs) {
  return vmx::PlanInputs{msrs,          vmm_host_state(msrs), exit_stub,          exit_context,
                         io_bitmap_a_physical, io_bitmap_b_physical, tsc_ticks_in_limit};
}

Planned plan_as_the_vmm_does(const vmx::CapabilityMsrs& msrs) {
  Planned planned{std::make_unique<VmmMemory>(), {}};
  VmmMemory& m = *planned.memory;
  EXPECT_TRUE(guests::v86_demo::attach_devices(m.ports, m.v86_demo, 1000));
  m.ports.fill_io_bitmaps(m.io_bitmap_a, m.io_bitmap_b);
  planned.plan = guests::v86_demo::plan(
      vmm_plan_inputs(msrs), {checked_guest_header(), layout::GUEST_ADDR, &m.v86_demo.ept,
                              ept_physical, m.v86_demo.page_directory, page_directory_physical});
  return planned;
}

}  // namespace vmm_plan

namespace vmm_plan {

layout::GuestHeader checked_chain_header() {
  const char* build = std::getenv("VMXBOOT_BUILD");
  const std::string path = std::string(build != nullptr ? build : "build") + "/chain-loader.bin";
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << path << " is missing: run `make image GUEST=chain`";
  const std::vector<uint8_t> loader{std::istreambuf_iterator<char>(file), {}};
  layout::GuestHeader header{};
  const guests::GuestHeaderProblem problem =
      guests::copy_guest_header(loader.data(), static_cast<uint32_t>(loader.size()), header);
  EXPECT_TRUE(problem.ok()) << path << ": " << problem.field << ": " << problem.problem;
  EXPECT_EQ(header.kind, layout::GUEST_KIND_CHAIN);
  return header;
}

const layout::E820Entry bochs_e820[5] = {
    {0x0, 0x9F000, 1, 0},         {0x9F000, 0x1000, 2, 0},      {0xE8000, 0x18000, 2, 0},
    {0x100000, 0x3EF0000, 1, 0},  {0x3FF0000, 0x10000, 3, 0},
};

Planned plan_chain_as_the_vmm_does(const vmx::CapabilityMsrs& msrs, uint32_t base_memory_kib,
                                   const guests::bios_chain::MemoryRegisters& registers) {
  Planned planned{std::make_unique<VmmMemory>(), {}};
  VmmMemory& m = *planned.memory;
  // The Bochs boot CPU's local APIC: at 0xFEE00000, enabled, BSP; x2APIC.
  uint16_t power_off = 0xB004;
  EXPECT_TRUE(guests::bios_chain::attach_devices(
      m.ports, m.mmio, m.bios_chain, 1000, {0xB004, 0xB2, 0xF1, 0xF0, &power_off}, true,
      {bochs_e820, 5, layout::VMM_ADDR, layout::VMM_MEMORY_END}, {true, 0xFEE00900, 40, true},
      registers));
  m.ports.fill_io_bitmaps(m.io_bitmap_a, m.io_bitmap_b);
  planned.plan = guests::bios_chain::plan(
      vmm_plan_inputs(msrs),
      {checked_chain_header(), bochs_e820, 5, nullptr, &m.chain_ept, layout::IDENTITY_EPT_ADDR,
       layout::VMM_ADDR, layout::VMM_MEMORY_END, base_memory_kib, &m.bios_chain.memory_map,
       m.msr_bitmap, msr_bitmap_physical, &m.bios_chain.ept_high, ept_high_physical,
       {40, (msrs.ept_vpid & vmx::ept_vpid_cap_pages_1g) != 0}, &m.mmio});
  return planned;
}

}  // namespace vmm_plan
