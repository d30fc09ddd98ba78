// Chain mode's EPT (vmm/vmx/identity_ept.h) and plan (vmm/vmx/plan.h): what
// the guest reaches, what it does not, and the ports the VMM keeps.
#include <gtest/gtest.h>

#include <memory>

#include "layout.h"
#include "bochs_vmx_msrs.h"
#include "vmm_plan.h"
#include "vmx/identity_ept.h"
#include "vmx/ept.h"

namespace {

using vmm_plan::bochs_e820;

struct Built {
  std::unique_ptr<vmx::IdentityEptTables> t = std::make_unique<vmx::IdentityEptTables>();
  bool ok;
};

Built build(uint64_t first = layout::VMM_ADDR, uint64_t end = layout::VMM_MEMORY_END) {
  Built b;
  b.ok = vmx::build_identity_ept(*b.t, layout::IDENTITY_EPT_ADDR, bochs_e820, 5, nullptr, first, end);
  return b;
}

uint64_t memory_type(const vmx::IdentityEptTables& t, uint64_t a) {
  const uint64_t pde = t.pd[a >> 30][(a >> 21) & 511];
  if (pde & (1u << 7)) return (pde >> 3) & 7;
  const uint64_t* pt = (a >> 21) == 0 ? t.pt_low : t.pt_hole_end;
  return (pt[(a >> 12) & 511] >> 3) & 7;
}

TEST(ChainEpt, MapsEverythingBelow4GiBButTheVmm) {
  const Built b = build();
  ASSERT_TRUE(b.ok);
  for (uint64_t a : {0x0ull, 0x7C00ull, 0xB8000ull, 0xF0000ull, 0x100000ull, 0x3FFFFFull,
                     0ull + layout::VMM_MEMORY_END, 0x800000ull, 0x3FFF000ull, 0xFEC00000ull, 0xFEE00000ull,
                     0xFFFFF000ull}) {
    EXPECT_TRUE(vmx::identity_ept_maps(*b.t, a)) << std::hex << a;
  }
  for (uint64_t a = layout::VMM_ADDR; a < layout::VMM_MEMORY_END; a += 4096) {
    ASSERT_FALSE(vmx::identity_ept_maps(*b.t, a)) << std::hex << a;
  }
  EXPECT_FALSE(vmx::identity_ept_maps(*b.t, layout::IDENTITY_EPT_ADDR)) << "its own tables";
  EXPECT_FALSE(vmx::identity_ept_maps(*b.t, 4ull << 30));
}

// Without MTRRs (CPUID.1:EDX.MTRR clear): E820's rule.
TEST(ChainEpt, WithoutMtrrsWriteBackOnlyWhereTheMapSaysRam) {
  const Built b = build();
  EXPECT_EQ(memory_type(*b.t, 0x7000), vmx::ept_memory_type_wb);
  EXPECT_EQ(memory_type(*b.t, 0x9F000), vmx::ept_memory_type_uc) << "EBDA: reserved";
  EXPECT_EQ(memory_type(*b.t, 0xB8000), vmx::ept_memory_type_uc) << "VGA: not in the map";
  EXPECT_EQ(memory_type(*b.t, 0xF0000), vmx::ept_memory_type_uc) << "BIOS ROM";
  EXPECT_EQ(memory_type(*b.t, 0x200000), vmx::ept_memory_type_wb);
  EXPECT_EQ(memory_type(*b.t, layout::VMM_MEMORY_END), vmx::ept_memory_type_wb) << "after the VMM";
  EXPECT_EQ(memory_type(*b.t, 0x3E00000), vmx::ept_memory_type_uc)
      << "a 2 MiB page no single RAM entry covers (usable, then ACPI): uncacheable, the simple rule";
  EXPECT_EQ(memory_type(*b.t, 0xFEC00000), vmx::ept_memory_type_uc) << "I/O APIC";
}

TEST(ChainEpt, AHoleItCannotLeaveOutIsRefused) {
  EXPECT_FALSE(build(0x401000, 0x500000).ok) << "not on a 2 MiB boundary";
  EXPECT_FALSE(build(0, 0x200000).ok) << "in the first 2 MiB";
  EXPECT_FALSE(build(0x400000, 0x400000).ok) << "empty";
  EXPECT_FALSE(build(0x400000, (4ull << 30) + 4096).ok) << "beyond 4 GiB";
}

TEST(ChainEpt, E820ArithmeticDoesNotWrap) {
  const layout::E820Entry wraps[] = {{0xFFFFFFFFFFFFF000ull, 0x2000, 1, 0}};
  EXPECT_FALSE(vmx::e820_ram(wraps, 1, 0, 0x1000));
  EXPECT_TRUE(vmx::e820_ram(wraps, 1, 0xFFFFFFFFFFFFF000ull, 0x1000));
}

bool trapped(const uint8_t* a, const uint8_t* b, uint16_t port) {
  const uint8_t* map = port < 0x8000 ? a : b;
  const uint32_t bit = port & 0x7FFF;
  return (map[bit >> 3] >> (bit & 7)) & 1;
}

TEST(ChainPlan, KeepsOnlyItsPorts) {
  const auto& skylake = bochs_vmx::model("corei7_skylake_x");
  const vmm_plan::Planned p = vmm_plan::plan_chain_as_the_vmm_does(skylake.msrs);
  ASSERT_EQ(p.plan.error, vmx::PlanError::none);
  const uint8_t* a = p.memory->io_bitmap_a;
  const uint8_t* b = p.memory->io_bitmap_b;
  unsigned kept = 0;
  for (uint32_t port = 0; port < 0x10000; ++port) kept += trapped(a, b, uint16_t(port));
  for (uint16_t port : {0x3F8, 0x3FF, 0xB004, 0xB005, 0xCF8, 0xCF9, 0xCFC, 0xCFF, 0x60, 0x64, 0x92,
                        0xB2, 0x400, 0x401, 0x8900, 0x8A00}) {
    EXPECT_TRUE(trapped(a, b, port)) << std::hex << port;
  }
  // (The faked bus of the unit tests has no PIIX4, no GLBCTL; no IDE bus master.)
  EXPECT_EQ(kept, 8u + 2u + 8u + 3u + 1u + 2u + 2u + 32u + 32u + 15u + 15u)
      << "COM1, PM1a_CNT, PCI configuration (0xCF8-0xCFF, 0xCF9 among them), the KBC and port "
         "0x92, 0xB2, the panic ports, Bochs' shutdown and debugger ports, the ISA DMA "
         "controllers and their aliases, the page registers and their aliases";
  for (uint16_t port : {0x00, 0x0F, 0x1F, 0xC0, 0xDF, 0x81, 0x8F, 0x90, 0x9F}) {
    EXPECT_TRUE(trapped(a, b, port)) << std::hex << port;
  }
  for (uint16_t port : {0x1F0, 0x1F7, 0x3D4, 0x20, 0x40, 0x61, 0x70, 0x80, 0x402, 0xCF7, 0xD00}) {
    EXPECT_FALSE(trapped(a, b, port)) << std::hex << port;
  }
  // The guest's interrupts are its own; its exceptions too.
  const vmx::ControlWords& c = p.plan.image.controls.words;
  EXPECT_EQ(c.pin_based & ia32::vmx::pin_based::external_interrupt_exiting, 0u);
  EXPECT_EQ(p.plan.image.controls.exception_bitmap, 0u);
  EXPECT_NE(c.primary_processor & ia32::vmx::primary_processor::hlt_exiting, 0u);
  // The guest reads CR0 as real mode left it; NE stays the host's; the
  // VMM sees PG change (long mode: guests/bios_chain/cr0.h).
  EXPECT_EQ(p.plan.image.controls.cr0_read_shadow, 0x10u);
  EXPECT_EQ(p.plan.image.controls.cr0_guest_host_mask, 0x80000020u);
}

TEST(ChainPlan, TheStubsKibComesOffTheBdasConventionalMemory) {
  const auto& skylake = bochs_vmx::model("corei7_skylake_x");
  const vmm_plan::Planned p = vmm_plan::plan_chain_as_the_vmm_does(skylake.msrs, 636);
  ASSERT_EQ(p.plan.error, vmx::PlanError::none);
  EXPECT_EQ(p.memory->bios_chain.memory_map.entries[0].length, 635u * 1024);
  EXPECT_EQ(p.memory->bios_chain.memory_map.entries[1].type, 2u);
  // A BDA that leaves no KiB for the stub, or claims more than 640 KiB.
  for (uint32_t kib : {0u, 1u, 641u, 0xFFFFu}) {
    const vmx::VmcsPlan refused = vmm_plan::plan_chain_as_the_vmm_does(skylake.msrs, kib).plan;
    EXPECT_EQ(refused.error, vmx::PlanError::profile) << kib;
    EXPECT_EQ(refused.profile_error, uint8_t(guests::bios_chain::Refusal::base_memory)) << kib;
  }
}

}  // namespace
