// The guest's local APIC as the VMM mediates it (vmm/devices/apic_base.h,
// apic_icr.h, local_apic.h): IA32_APIC_BASE writes judged as the SDM and
// the VMM's memory say, IPIs decoded against the sender and judged, the
// device over a faked APIC (tests/unit/fake_apic_io.h).
#include <gtest/gtest.h>

#include <cstring>

#include "devices/local_apic.h"
#include "fake_apic_io.h"
#include "guests/bios_chain/kept_memory.h"
#include "layout.h"

namespace {

namespace apic = devices::apic;
using apic::BaseRefusal;
using apic::IcrVerdict;

constexpr uint64_t xapic_at_fee = 0xFEE00900;  // enabled, BSP: as the firmware leaves it
constexpr uint64_t x2apic_at_fee = 0xFEE00D00;
constexpr uint64_t disabled_at_fee = 0xFEE00100;

BaseRefusal base(uint64_t current, uint64_t value, unsigned maxphyaddr = 40, bool x2 = true) {
  const auto& kept = guests::bios_chain::kept_memory;
  return apic::decide_base_write(current, value, maxphyaddr, x2, kept,
                                 sizeof(kept) / sizeof(kept[0]))
      .refusal;
}

// ---------------------------------------------------------------- IA32_APIC_BASE

TEST(ApicBase, TheGuestMayEnableDisableSwitchAndMove) {
  EXPECT_EQ(base(xapic_at_fee, xapic_at_fee), BaseRefusal::none) << "the same value";
  EXPECT_EQ(base(xapic_at_fee, 0x1000900), BaseRefusal::none) << "moved to 16 MiB";
  EXPECT_EQ(base(xapic_at_fee, 0xFEE00800), BaseRefusal::none) << "the BSP bit cleared";
  EXPECT_EQ(base(xapic_at_fee, disabled_at_fee), BaseRefusal::none) << "disabled";
  EXPECT_EQ(base(disabled_at_fee, xapic_at_fee), BaseRefusal::none) << "enabled again";
  EXPECT_EQ(base(xapic_at_fee, x2apic_at_fee), BaseRefusal::none) << "to x2APIC";
  EXPECT_EQ(base(x2apic_at_fee, disabled_at_fee), BaseRefusal::none) << "x2APIC off";
  EXPECT_EQ(base(xapic_at_fee, 0xFEC00900), BaseRefusal::none) << "onto the I/O APIC: its own";
}

TEST(ApicBase, WhatTheCpuRefusesIsAGeneralProtectionFault) {
  for (uint64_t bit = 0; bit < 8; ++bit) {
    EXPECT_EQ(base(xapic_at_fee, xapic_at_fee | 1u << bit), BaseRefusal::reserved_bits) << bit;
  }
  EXPECT_EQ(base(xapic_at_fee, xapic_at_fee | 1u << 9), BaseRefusal::reserved_bits);
  EXPECT_EQ(base(xapic_at_fee, x2apic_at_fee, 40, false), BaseRefusal::reserved_bits)
      << "bit 10 on a CPU without x2APIC";
  EXPECT_EQ(base(xapic_at_fee, xapic_at_fee | 1ull << 40, 40), BaseRefusal::beyond_maxphyaddr);
  EXPECT_EQ(base(xapic_at_fee, xapic_at_fee | 1ull << 63, 40), BaseRefusal::beyond_maxphyaddr);
  EXPECT_EQ(base(xapic_at_fee, xapic_at_fee | 1ull << 36, 36), BaseRefusal::beyond_maxphyaddr);
  // (In x2APIC mode, where the page is not decoded and may lie anywhere.)
  EXPECT_EQ(base(xapic_at_fee, x2apic_at_fee | 1ull << 35, 36), BaseRefusal::none);
  EXPECT_EQ(base(xapic_at_fee, x2apic_at_fee | 1ull << 36, 36), BaseRefusal::beyond_maxphyaddr);
  EXPECT_EQ(base(xapic_at_fee, 0xFEE00500), BaseRefusal::invalid_state) << "x2APIC, not enabled";
  EXPECT_EQ(base(x2apic_at_fee, xapic_at_fee), BaseRefusal::x2apic_to_xapic);
  EXPECT_EQ(base(disabled_at_fee, x2apic_at_fee), BaseRefusal::disabled_to_x2apic);
}

TEST(ApicBase, NeverOntoMemoryTheVmmTouches) {
  // The VMM's memory: its first page (in Bochs the VMM's next fetch ends
  // the emulator), its last, any page between.
  for (uint64_t page : {uint64_t{layout::VMM_ADDR}, uint64_t{layout::VMM_MEMORY_END} - 0x1000,
                        uint64_t{layout::IDENTITY_EPT_ADDR}, uint64_t{0x500000}}) {
    EXPECT_EQ(base(xapic_at_fee, page | 0x900), BaseRefusal::kept_memory) << std::hex << page;
  }
  EXPECT_EQ(base(xapic_at_fee, uint64_t{layout::VMM_MEMORY_END} | 0x900), BaseRefusal::none);
  EXPECT_EQ(base(xapic_at_fee, uint64_t{layout::VMM_ADDR - 0x1000} | 0x900), BaseRefusal::none);
  // The VGA text pages and the low memory the VMM writes for the guest.
  for (uint64_t page : {0xB8000ull, 0xBF000ull, 0x0ull, 0x7000ull, 0x9F000ull, 0x10F000ull}) {
    EXPECT_EQ(base(xapic_at_fee, page | 0x900), BaseRefusal::kept_memory) << std::hex << page;
  }
  EXPECT_EQ(base(xapic_at_fee, 0x110900), BaseRefusal::none);
  // Above 4 GiB the chain profile cannot keep the page in view (no 4 KiB
  // EPT pages there, no identity map for the VMM): its ICR would be the
  // guest's alone.
  EXPECT_EQ(base(xapic_at_fee, 0x100000900ull), BaseRefusal::kept_memory);
  EXPECT_EQ(base(xapic_at_fee, 0xFF0000000900ull, 48), BaseRefusal::kept_memory);
  EXPECT_EQ(base(xapic_at_fee, 0xFF0000000D00ull, 48), BaseRefusal::none)
      << "in x2APIC mode no page is decoded";
  // Only where the xAPIC decodes the page: disabled or in x2APIC mode it
  // may hold any base (the write that enables the xAPIC is judged).
  EXPECT_EQ(base(xapic_at_fee, layout::VMM_ADDR | 0x100), BaseRefusal::none);
  EXPECT_EQ(base(xapic_at_fee, layout::VMM_ADDR | 0xD00), BaseRefusal::none);
  EXPECT_EQ(base(disabled_at_fee, layout::VMM_ADDR | 0x900), BaseRefusal::kept_memory);
  const auto& kept = guests::bios_chain::kept_memory;
  const apic::BaseDecision d = apic::decide_base_write(xapic_at_fee, 0xB8900, 40, true, kept, 3);
  ASSERT_NE(d.onto, nullptr);
  EXPECT_STREQ(d.onto->what, "the VGA text pages the VMM prints to");
}

// ---------------------------------------------------------------- the ICR

constexpr apic::ApicSelf bsp_flat{0, 0x01, 0xF, false};  // ID 0, logical bit 0, flat model

constexpr uint32_t icr(apic::Delivery delivery, apic::Shorthand shorthand, bool logical = false,
                       uint32_t extra = 0) {
  return static_cast<uint32_t>(delivery) << 8 | static_cast<uint32_t>(shorthand) << 18 |
         (logical ? 1u << 11 : 0) | extra;
}
constexpr uint32_t level_assert = 1u << 14;
using D = apic::Delivery;
using S = apic::Shorthand;

IcrVerdict judge(uint32_t low, uint32_t destination, const apic::ApicSelf& self = bsp_flat) {
  return apic::decide_icr({low, destination, self.x2apic}, self);
}

TEST(ApicIcr, TheLayoutAsTheSdmDrawsIt) {
  const apic::Icr i = apic::xapic_icr(0x000C4500, 0x01000000);
  EXPECT_EQ(i.delivery(), D::init);
  EXPECT_TRUE(i.level_assert());
  EXPECT_EQ(i.shorthand(), S::all_but_self);
  EXPECT_EQ(i.destination, 1u);
  const apic::Icr x = apic::x2apic_icr(0x0000000500000612ull);
  EXPECT_EQ(x.delivery(), D::startup);
  EXPECT_EQ(x.vector(), 0x12);
  EXPECT_EQ(x.destination, 5u);
  EXPECT_EQ(x.broadcast(), 0xFFFFFFFFu);
  EXPECT_EQ(apic::xapic_self(0x01000000, 0x02000000, 0xFFFFFFFF).id, 1u);
  EXPECT_EQ(apic::xapic_self(0x01000000, 0x02000000, 0x0FFFFFFF).dfr_model, 0u);
}

TEST(ApicIcr, AnSmiNeverGoesOut) {
  for (S s : {S::none, S::self, S::all, S::all_but_self}) {
    EXPECT_EQ(judge(icr(D::smi, s), 0), IcrVerdict::refuse_smi);
  }
  EXPECT_EQ(judge(icr(D::smi, S::none), 0x0, {7, 0, 0xF, true}), IcrVerdict::refuse_smi);
}

TEST(ApicIcr, InitAndSipi) {
  EXPECT_EQ(judge(icr(D::init, S::self, false, level_assert), 0), IcrVerdict::init_self);
  EXPECT_EQ(judge(icr(D::init, S::none, false, level_assert), 0), IcrVerdict::init_self)
      << "physical, its own ID";
  EXPECT_EQ(judge(icr(D::init, S::none, false, level_assert), 1), IcrVerdict::other_cpu)
      << "physical, CPU 1";
  EXPECT_EQ(judge(icr(D::init, S::none, false, level_assert), 0xFF), IcrVerdict::other_cpu)
      << "physical broadcast";
  EXPECT_EQ(judge(icr(D::init, S::all, false, level_assert), 0), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::init, S::all_but_self, false, level_assert), 0), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::startup, S::none, false, 0x9A), 1), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::startup, S::all_but_self, false, 0x9A), 0), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::startup, S::self, false, 0x9A), 0), IcrVerdict::ignore)
      << "a running CPU ignores a SIPI";
  // INIT level de-assert: no CPU acts on it since the Pentium 4.
  EXPECT_EQ(judge(icr(D::init, S::all, false, 1u << 15), 0), IcrVerdict::ignore);
  EXPECT_EQ(judge(icr(D::init, S::all, false, 1u << 15 | level_assert), 0), IcrVerdict::other_cpu)
      << "level-triggered but asserted: an INIT";
}

TEST(ApicIcr, Nmi) {
  EXPECT_EQ(judge(icr(D::nmi, S::self, false, level_assert), 0), IcrVerdict::nmi_self);
  EXPECT_EQ(judge(icr(D::nmi, S::none, false, level_assert), 0), IcrVerdict::nmi_self);
  EXPECT_EQ(judge(icr(D::nmi, S::none, false, level_assert), 3), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::nmi, S::all_but_self, false, level_assert), 0), IcrVerdict::other_cpu);
}

TEST(ApicIcr, LogicalDestinations) {
  // Flat: a bit per CPU; this one has bit 0.
  EXPECT_EQ(judge(icr(D::init, S::none, true), 0x01), IcrVerdict::init_self);
  EXPECT_EQ(judge(icr(D::init, S::none, true), 0x03), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::init, S::none, true), 0x02), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::init, S::none, true), 0x00), IcrVerdict::ignore) << "no CPU";
  // Cluster model: cluster 2, bit 1 is this CPU.
  const apic::ApicSelf cluster{0, 0x21, 0x0, false};
  EXPECT_EQ(judge(icr(D::nmi, S::none, true), 0x21, cluster), IcrVerdict::nmi_self);
  EXPECT_EQ(judge(icr(D::nmi, S::none, true), 0x11, cluster), IcrVerdict::other_cpu)
      << "another cluster";
  EXPECT_EQ(judge(icr(D::nmi, S::none, true), 0x23, cluster), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::nmi, S::none, true), 0xFF, cluster), IcrVerdict::other_cpu) << "all";
  // A destination model the SDM does not define: anyone.
  EXPECT_EQ(judge(icr(D::init, S::none, true), 0x01, {0, 0x01, 0x7, false}), IcrVerdict::other_cpu);
  // x2APIC: cluster in 31:16, a bit in 15:0; ID 0x21 is cluster 2, bit 1.
  const apic::ApicSelf x2{0x21, 0x00020002, 0, true};
  EXPECT_EQ(judge(icr(D::init, S::none, true, level_assert), 0x00020002, x2), IcrVerdict::init_self);
  EXPECT_EQ(judge(icr(D::init, S::none, true, level_assert), 0x00020003, x2), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::init, S::none, true, level_assert), 0x00010002, x2), IcrVerdict::other_cpu);
  EXPECT_EQ(judge(icr(D::init, S::none, false, level_assert), 0x21, x2), IcrVerdict::init_self)
      << "physical: the 32-bit ID";
  EXPECT_EQ(judge(icr(D::init, S::none, false, level_assert), 0xFF, x2), IcrVerdict::other_cpu)
      << "0xFF is CPU 255 in x2APIC mode";
  EXPECT_EQ(judge(icr(D::init, S::none, false, level_assert), 0xFFFFFFFF, x2), IcrVerdict::other_cpu);
}

TEST(ApicIcr, EverythingElseGoesOut) {
  for (D d : {D::fixed, D::lowest_priority, D::reserved_3, D::extint}) {
    for (S s : {S::none, S::self, S::all, S::all_but_self}) {
      EXPECT_EQ(judge(icr(d, s, false, 0x40), 1), IcrVerdict::forward);
    }
  }
}

TEST(ApicIcr, TheResultLineNamesTheIpiAndItsDestination) {
  char out[32];
  devices::describe_ipi_destination(icr(D::init, S::none, false, level_assert), 1, out, sizeof(out));
  EXPECT_STREQ(out, "physical:0x1");
  devices::describe_ipi_destination(icr(D::init, S::none, true), 0x6, out, sizeof(out));
  EXPECT_STREQ(out, "logical:0x6");
  devices::describe_ipi_destination(icr(D::startup, S::all_but_self), 0, out, sizeof(out));
  EXPECT_STREQ(out, "all-but-self");
  EXPECT_STREQ(apic::delivery_name(D::startup), "sipi");
  EXPECT_STREQ(apic::delivery_name(D::init), "init");
}

// ---------------------------------------------------------------- the device

struct Attached {
  devices::LocalApic apic{};
  devices::MmioDevice device{};
  devices::MmioMap mmio{};
  explicit Attached(uint64_t base_msr = xapic_at_fee) {
    fake_apic_io::reset();
    fake_apic_io::msrs[apic::base_msr] = base_msr;
    fake_apic_io::registers[0xFEE00020] = 0x00000000;  // ID 0
    fake_apic_io::registers[0xFEE000D0] = 0x01000000;  // logical bit 0
    fake_apic_io::registers[0xFEE000E0] = 0xFFFFFFFF;  // flat
    mmio.reset();
    const auto& kept = guests::bios_chain::kept_memory;
    EXPECT_TRUE(devices::attach_local_apic(apic, device, mmio, base_msr, 40, true, kept,
                                           sizeof(kept) / sizeof(kept[0])));
  }
  devices::MmioVerdict store(uint64_t address, uint64_t value, uint8_t bytes = 4,
                             vmx::GuestEnd* end_out = nullptr, bool exchange = false,
                             uint64_t* old = nullptr) {
    devices::MmioWrite w{address, bytes, value, exchange, 0};
    vmx::GuestEnd end{};
    const devices::MmioVerdict v = device.write(device.state, w, end);
    if (end_out != nullptr) *end_out = end;
    if (old != nullptr) *old = w.old;
    return v;
  }
};

TEST(LocalApicDevice, OtherRegistersAreCarriedOutAsTheGuestWroteThem) {
  Attached a;
  EXPECT_EQ(a.store(0xFEE000B0, 0), devices::MmioVerdict::done);           // EOI
  EXPECT_EQ(a.store(0xFEE00080, 0x20), devices::MmioVerdict::done);        // TPR
  EXPECT_EQ(a.store(0xFEE00380, 0x100000), devices::MmioVerdict::done);    // timer initial count
  EXPECT_EQ(a.store(0xFEE00310, 0x01000000), devices::MmioVerdict::done);  // ICR high
  const std::vector<fake_apic_io::Write> expected = {{false, 0xFEE000B0, 0},
                                                     {false, 0xFEE00080, 0x20},
                                                     {false, 0xFEE00380, 0x100000},
                                                     {false, 0xFEE00310, 0x01000000}};
  EXPECT_EQ(fake_apic_io::writes, expected);
  EXPECT_EQ(a.apic.register_writes, 4u);
  // An exchange reads the old value first.
  fake_apic_io::registers[0xFEE00080] = 0x30;
  uint64_t old = 0;
  EXPECT_EQ(a.store(0xFEE00080, 0x40, 4, nullptr, true, &old), devices::MmioVerdict::done);
  EXPECT_EQ(old, 0x30u);
  EXPECT_EQ(fake_apic_io::registers[0xFEE00080], 0x40u);
}

TEST(LocalApicDevice, AWriteTheApicDoesNotDefineIsDropped) {
  Attached a;
  EXPECT_EQ(a.store(0xFEE00080, 0x20, 1), devices::MmioVerdict::deny) << "a byte";
  EXPECT_EQ(a.store(0xFEE00084, 0x20), devices::MmioVerdict::deny) << "not at 16 bytes";
  EXPECT_EQ(a.store(0xFEE00080, 0x20, 8), devices::MmioVerdict::deny) << "a qword";
  EXPECT_EQ(a.store(0xFEE00302, 0x4500, 2), devices::MmioVerdict::deny) << "half the ICR";
  EXPECT_TRUE(fake_apic_io::writes.empty());
  EXPECT_EQ(a.apic.misshapen_writes, 4u);
}

TEST(LocalApicDevice, IpisThroughTheXapicPage) {
  Attached a;
  vmx::GuestEnd end{};
  // A fixed IPI to itself: sent.
  EXPECT_EQ(a.store(0xFEE00300, 0x00040040), devices::MmioVerdict::done);
  ASSERT_EQ(fake_apic_io::writes.size(), 1u);
  EXPECT_EQ(fake_apic_io::writes[0], (fake_apic_io::Write{false, 0xFEE00300, 0x00040040}));
  // An SMI: not sent, the guest goes on.
  EXPECT_EQ(a.store(0xFEE00300, 0x00040200), devices::MmioVerdict::done);
  EXPECT_EQ(a.apic.smi_refused, 1u);
  // INIT to CPU 1 (ICR high holds its ID): the run ends, nothing sent.
  fake_apic_io::registers[0xFEE00310] = 0x01000000;
  EXPECT_EQ(a.store(0xFEE00300, 0x00004500, 4, &end), devices::MmioVerdict::end);
  EXPECT_EQ(end.how, devices::apic_end::ipi_other_cpu);
  EXPECT_EQ(end.detail, 0x4500u);
  EXPECT_EQ(end.detail2, 1u);
  // INIT to itself, by its own ID.
  fake_apic_io::registers[0xFEE00310] = 0;
  EXPECT_EQ(a.store(0xFEE00300, 0x00004500, 4, &end), devices::MmioVerdict::end);
  EXPECT_EQ(end.how, devices::apic_end::init);
  // NMI to itself: the guest gets it from the VMM, not through the APIC.
  EXPECT_EQ(a.store(0xFEE00300, 0x00044400, 4, &end), devices::MmioVerdict::nmi);
  EXPECT_EQ(a.apic.nmis_to_itself, 1u);
  EXPECT_EQ(fake_apic_io::writes.size(), 1u) << "only the fixed IPI was sent";
  EXPECT_EQ(a.apic.icr_writes, 5u);
  EXPECT_EQ(a.apic.icr_forwarded, 1u);
}

TEST(LocalApicDevice, IpisThroughTheX2apicIcr) {
  Attached a(x2apic_at_fee);
  fake_apic_io::msrs[apic::x2apic_id_msr] = 0;
  fake_apic_io::msrs[apic::x2apic_ldr_msr] = 0x00000001;
  vmx::GuestEnd end{};
  EXPECT_EQ(devices::write_x2apic_icr(a.apic, 0x00040040, end), devices::IcrWrite::done);
  EXPECT_EQ(fake_apic_io::writes.back(), (fake_apic_io::Write{true, apic::x2apic_icr_msr, 0x00040040}));
  EXPECT_EQ(devices::write_x2apic_icr(a.apic, 0x0000000100000500ull, end), devices::IcrWrite::end)
      << "INIT to x2APIC ID 1";
  EXPECT_EQ(end.how, devices::apic_end::ipi_other_cpu);
  EXPECT_EQ(devices::write_x2apic_icr(a.apic, 0x00040200, end), devices::IcrWrite::done);
  EXPECT_EQ(a.apic.smi_refused, 1u);
  EXPECT_EQ(devices::write_x2apic_icr(a.apic, 0x00044400, end), devices::IcrWrite::nmi)
      << "NMI to itself";
  // Reserved bits (delivery status, 13, 17:16, 31:20): the #GP the CPU gives.
  for (uint64_t bit : {12u, 13u, 16u, 17u, 20u, 31u}) {
    EXPECT_EQ(devices::write_x2apic_icr(a.apic, 0x40 | 1ull << bit, end), devices::IcrWrite::fault)
        << bit;
  }
  // Outside x2APIC mode MSR 0x830 does not exist: #GP.
  Attached xapic;
  EXPECT_EQ(devices::write_x2apic_icr(xapic.apic, 0x40, end), devices::IcrWrite::fault);
}

TEST(LocalApicDevice, TheBaseMovesItsRangeAndTheRangeFollowsWhatTheCpuHolds) {
  Attached a;
  // Refused: #GP, nothing written, nothing moved.
  devices::BaseWriteOutcome o = devices::write_apic_base(a.apic, a.mmio, layout::VMM_ADDR | 0x900);
  EXPECT_TRUE(o.fault);
  EXPECT_TRUE(fake_apic_io::writes.empty());
  EXPECT_EQ(a.apic.base_refused, 1u);
  EXPECT_EQ(a.apic.last_refusal, BaseRefusal::kept_memory);
  EXPECT_NE(a.mmio.slot_of(0xFEE00300), 0);
  // Moved to 16 MiB.
  o = devices::write_apic_base(a.apic, a.mmio, 0x1000900);
  EXPECT_FALSE(o.fault);
  EXPECT_TRUE(o.moved);
  EXPECT_EQ(o.before.first, 0xFEE00000u);
  EXPECT_TRUE(o.before.active);
  EXPECT_EQ(a.mmio.slot_of(0x1000300), a.apic.mmio_slot);
  EXPECT_EQ(a.mmio.slot_of(0xFEE00300), 0);
  // x2APIC: no page decoded.
  o = devices::write_apic_base(a.apic, a.mmio, 0x1000D00);
  EXPECT_TRUE(o.moved);
  EXPECT_EQ(a.mmio.slot_of(0x1000300), 0);
  // Disabled, then a CPU that ignores the write while disabled (Bochs):
  // the range follows the MSR as read back, not the value written.
  o = devices::write_apic_base(a.apic, a.mmio, 0x1000100);
  EXPECT_FALSE(o.fault);
  fake_apic_io::ignore_base_writes = true;
  o = devices::write_apic_base(a.apic, a.mmio, 0x2000900);
  EXPECT_FALSE(o.fault);
  EXPECT_FALSE(o.moved);
  EXPECT_EQ(a.apic.base_msr, 0x1000100u);
  EXPECT_EQ(a.mmio.slot_of(0x2000300), 0);
  // Above 4 GiB (refused by the chain profile's kept memory; another
  // profile's map would still not decode it: the VMM's identity map ends).
  EXPECT_FALSE(devices::xapic_page_active(0x100000900ull));
}

TEST(LocalApicDevice, TheBaseMayNotLandOnAnotherDevicesRegisters) {
  Attached a;
  const devices::MmioDevice other{"other", nullptr, nullptr};
  ASSERT_NE(a.mmio.claim(0xE0000000, 0x1000, other, "ecam", true), 0);
  const devices::BaseWriteOutcome o = devices::write_apic_base(a.apic, a.mmio, 0xE0000900);
  EXPECT_TRUE(o.fault);
  EXPECT_TRUE(fake_apic_io::writes.empty());
}

}  // namespace
