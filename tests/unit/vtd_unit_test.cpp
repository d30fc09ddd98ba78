// A remapping unit's capabilities as the VMM reads them, and the sequence
// that turns its translation on (vmm/vtd/unit.h), over a fake unit
// (tests/unit/fake_vtd_unit.h) that answers as the specification says and
// can be made to stop answering at any step.
#include <gtest/gtest.h>

#include <vector>

#include "fake_vtd_unit.h"
#include "vtd/registers.h"
#include "vtd/unit.h"

namespace {

using fake_vtd_unit::base;
using fake_vtd_unit::unit;
namespace reg = vtd::reg;

constexpr uint64_t root_table = 0x421000;

vtd::UnitCaps qemu_caps() {
  return vtd::decode_caps(fake_vtd_unit::qemu_version, fake_vtd_unit::qemu_cap,
                          fake_vtd_unit::qemu_ecap);
}

TEST(VtdCaps, QemusUnitAsItReportsItself) {
  const vtd::UnitCaps c = qemu_caps();
  EXPECT_EQ(c.version, 0x10u);
  EXPECT_EQ(c.walks, 1u << 3);  // SAGAW 39-bit only: 3-level walks
  EXPECT_EQ(c.address_width, 39u);
  EXPECT_TRUE(c.pages_2m);
  EXPECT_TRUE(c.pages_1g);
  EXPECT_FALSE(c.write_buffer_flush);
  EXPECT_FALSE(c.caching_mode);
  EXPECT_FALSE(c.coherent);
  EXPECT_TRUE(c.drain_reads);
  EXPECT_TRUE(c.drain_writes);
  EXPECT_FALSE(c.protected_regions);
  EXPECT_EQ(c.iotlb, 0xF8u);
  EXPECT_EQ(c.fault_records_at, 0x220u);
  EXPECT_EQ(c.fault_records, 1u);
  EXPECT_EQ(vtd::register_window(c, 1), 4096u);
}

TEST(VtdCaps, EveryField) {
  const uint64_t cap = 2 /* ND */ | reg::cap_rwbf | reg::cap_plmr | reg::cap_cm |
                       uint64_t{0x1C} << reg::cap_sagaw_shift |   // 4 and 5 levels
                       uint64_t{47} << reg::cap_mgaw_shift |
                       uint64_t{0x3F0} << reg::cap_fro_shift |    // records at 0x3F00
                       uint64_t{7} << reg::cap_nfr_shift;         // eight of them
  const uint64_t ecap = reg::ecap_coherent | uint64_t{0x50} << reg::ecap_iro_shift;
  const vtd::UnitCaps c = vtd::decode_caps(0x123, cap, ecap);
  EXPECT_EQ(c.version, 0x23u);
  EXPECT_EQ(c.walks, (1u << 4) | (1u << 5));
  EXPECT_EQ(c.address_width, 48u);
  EXPECT_FALSE(c.pages_2m);
  EXPECT_TRUE(c.write_buffer_flush);
  EXPECT_TRUE(c.caching_mode);
  EXPECT_TRUE(c.coherent);
  EXPECT_TRUE(c.protected_regions);
  EXPECT_FALSE(c.drain_reads);
  EXPECT_EQ(c.iotlb, 0x508u);
  EXPECT_EQ(c.fault_records_at, 0x3F00u);
  EXPECT_EQ(c.fault_records, 8u);
  // The fault records reach to 0x3F80: four pages, though the DRHD says one.
  EXPECT_EQ(vtd::register_window(c, 1), 0x4000u);
  EXPECT_EQ(vtd::register_window(c, 8), 0x8000u);
}

TEST(VtdCaps, CommonLevelsAreTheFewestEveryUnitWalks) {
  vtd::UnitCaps a{}, b{};
  a.walks = (1u << 3) | (1u << 4);
  b.walks = (1u << 4) | (1u << 5);
  const vtd::UnitCaps both[] = {a, b};
  EXPECT_EQ(vtd::common_levels(both, 2), 4u);
  EXPECT_EQ(vtd::common_levels(&a, 1), 3u);
  b.walks = 1u << 5;
  const vtd::UnitCaps apart[] = {a, b};
  EXPECT_EQ(vtd::common_levels(apart, 2), 0u);
  vtd::UnitCaps two_levels{};
  two_levels.walks = 0;  // SAGAW bit 0 (2 levels, 30 bits) alone cannot map 4 GiB
  EXPECT_EQ(vtd::common_levels(&two_levels, 1), 0u);
}

TEST(VtdCaps, CommonLevelsReachTheRamWhereTheUnitsCan) {
  vtd::UnitCaps a{}, b{};
  a.walks = (1u << 3) | (1u << 4) | (1u << 5);
  b.walks = (1u << 3) | (1u << 4);
  const vtd::UnitCaps both[] = {a, b};
  EXPECT_EQ(vtd::common_levels(both, 2, 8ull << 30), 3u);     // 39 bits reach 8 GiB
  EXPECT_EQ(vtd::common_levels(both, 2, 1ull << 39), 3u);     // just
  EXPECT_EQ(vtd::common_levels(both, 2, (1ull << 39) + 1), 4u);
  EXPECT_EQ(vtd::common_levels(&a, 1, (1ull << 48) + 1), 5u);
  // Where no common walk reaches it, the longest: the tables say how far.
  EXPECT_EQ(vtd::common_levels(both, 2, 1ull << 50), 4u);
  EXPECT_EQ(vtd::common_levels(both, 2, ~0ull), 4u);
}

TEST(VtdCaps, CommonAddressWidthAndLargePages) {
  vtd::UnitCaps a = vtd::decode_caps(0x10, reg::cap_sllps_2m | reg::cap_sllps_1g | 38ull << 16, 0);
  vtd::UnitCaps b = vtd::decode_caps(0x10, reg::cap_sllps_2m | 47ull << 16, 0);
  EXPECT_TRUE(a.pages_1g);
  EXPECT_FALSE(b.pages_1g);
  const vtd::UnitCaps both[] = {a, b};
  EXPECT_EQ(vtd::common_address_width(both, 2), 39u);
  EXPECT_EQ(vtd::common_address_width(&b, 1), 48u);
  EXPECT_EQ(vtd::common_address_width(both, 0), 64u);
  EXPECT_TRUE(vtd::common_pages_1g(&a, 1));
  EXPECT_FALSE(vtd::common_pages_1g(both, 2));
  EXPECT_FALSE(vtd::common_pages_1g(both, 0));
}

TEST(VtdUnit, CheckRefusesWhatTheVmmCannotUse) {
  const vtd::UnitCaps c = qemu_caps();
  EXPECT_EQ(vtd::check_unit(base, c, 4096, 0), vtd::Step::none);
  EXPECT_EQ(vtd::check_unit(base, c, 4096, reg::translation_enable), vtd::Step::none);
  EXPECT_EQ(vtd::check_unit(base, c, 4096, reg::queued_invalidation), vtd::Step::state);
  EXPECT_EQ(vtd::check_unit(base, c, 4096, reg::interrupt_remapping), vtd::Step::state);
  EXPECT_EQ(vtd::check_unit(0xFFFFF000, c, 0x2000, 0), vtd::Step::registers);
  EXPECT_EQ(vtd::check_unit(0xFFFFF000, c, 0x1000, 0), vtd::Step::none);
  vtd::UnitCaps small = c;
  small.pages_2m = false;
  EXPECT_EQ(vtd::check_unit(base, small, 4096, 0), vtd::Step::large_pages);
}

class VtdEnable : public ::testing::Test {
 protected:
  void SetUp() override { fake_vtd_unit::reset(); }
  vtd::Outcome enable(const vtd::UnitCaps& c) { return vtd::enable_translation(base, c, root_table); }
};

TEST_F(VtdEnable, TheSequenceInTheSpecificationsOrder) {
  const vtd::Outcome out = enable(qemu_caps());
  EXPECT_EQ(out.failed, vtd::Step::none);
  EXPECT_FALSE(out.was_enabled);
  EXPECT_EQ(unit.rtaddr, root_table);  // legacy mode: TTM 00
  EXPECT_NE(unit.gsts & reg::translation_enable, 0u);
  EXPECT_NE(out.status & reg::translation_enable, 0u);
  EXPECT_EQ(unit.fectl, reg::fectl_mask);
  const std::vector<uint32_t> want = {reg::fault_event_control, reg::fault_status,
                                      reg::root_table_address, reg::global_command,
                                      reg::context_command, 0xF8, reg::global_command};
  EXPECT_EQ(fake_vtd_unit::written_offsets(), want);
  // One command each, with what GSTS holds of the persistent settings.
  EXPECT_EQ(unit.writes[3].value, reg::root_table_pointer);
  EXPECT_EQ(unit.writes[4].value, reg::ccmd_icc | reg::ccmd_global);
  EXPECT_EQ(unit.writes[4].bytes, 8u);
  EXPECT_EQ(unit.writes[5].value, reg::iotlb_ivt | reg::iotlb_global | reg::iotlb_drain_reads |
                                      reg::iotlb_drain_writes);
  EXPECT_EQ(unit.writes[5].bytes, 8u);
  EXPECT_EQ(unit.writes[6].value, reg::translation_enable);
}

TEST_F(VtdEnable, AUnitThatNeedsItsWriteBufferFlushedGetsWbfBeforeTheInvalidations) {
  fake_vtd_unit::reset(fake_vtd_unit::qemu_cap | reg::cap_rwbf);
  EXPECT_EQ(enable(vtd::decode_caps(0x10, unit.cap, unit.ecap)).failed, vtd::Step::none);
  const std::vector<uint32_t> offsets = fake_vtd_unit::written_offsets();
  ASSERT_EQ(offsets.size(), 8u);
  EXPECT_EQ(offsets[4], reg::global_command);
  EXPECT_EQ(unit.writes[4].value, reg::write_buffer_flush);
  EXPECT_EQ(offsets[5], reg::context_command);
}

TEST_F(VtdEnable, TranslationTheFirmwareLeftOnStaysOnThroughEveryCommand) {
  unit.gsts = reg::translation_enable;
  const vtd::Outcome out = enable(qemu_caps());
  EXPECT_EQ(out.failed, vtd::Step::none);
  EXPECT_TRUE(out.was_enabled);
  for (const fake_vtd_unit::Write& w : unit.writes) {
    if (w.offset == reg::global_command) {
      EXPECT_NE(w.value & reg::translation_enable, 0u);
    }
  }
  EXPECT_EQ(unit.rtaddr, root_table);
}

TEST_F(VtdEnable, EachStepThatDoesNotComeIsNamed) {
  struct Case {
    bool fake_vtd_unit::Unit::*answers;
    vtd::Step step;
  };
  const Case cases[] = {
      {&fake_vtd_unit::Unit::sets_root_pointer, vtd::Step::root_pointer},
      {&fake_vtd_unit::Unit::invalidates_context, vtd::Step::context_cache},
      {&fake_vtd_unit::Unit::invalidates_iotlb, vtd::Step::iotlb},
      {&fake_vtd_unit::Unit::enables_translation, vtd::Step::translation},
  };
  for (const Case& c : cases) {
    fake_vtd_unit::reset();
    unit.*c.answers = false;
    const vtd::Outcome out = enable(qemu_caps());
    EXPECT_EQ(out.failed, c.step) << vtd::step_name(c.step);
    // Polled for as long as the bound says, then given up.
    EXPECT_GE(unit.reads, vtd::poll_limit) << vtd::step_name(c.step);
    EXPECT_LT(unit.reads, vtd::poll_limit + 16) << vtd::step_name(c.step);
    EXPECT_EQ(unit.gsts & reg::translation_enable, 0u) << vtd::step_name(c.step);
  }
  fake_vtd_unit::reset(fake_vtd_unit::qemu_cap | reg::cap_rwbf);
  unit.flushes_write_buffer = false;
  EXPECT_EQ(enable(vtd::decode_caps(0x10, unit.cap, unit.ecap)).failed, vtd::Step::write_buffer);
}

TEST_F(VtdEnable, AnInvalidationThatDidNothingIsAFailure) {
  unit.context_granularity = 0;
  EXPECT_EQ(enable(qemu_caps()).failed, vtd::Step::context_cache);
  fake_vtd_unit::reset();
  unit.iotlb_granularity = 0;
  EXPECT_EQ(enable(qemu_caps()).failed, vtd::Step::iotlb);
}

TEST_F(VtdEnable, AProtectedMemoryRegionTheFirmwareLeftOnIsTurnedOff) {
  fake_vtd_unit::reset(fake_vtd_unit::qemu_cap | reg::cap_plmr);
  unit.pmen = reg::pmen_enable | reg::pmen_status;
  const vtd::UnitCaps c = vtd::decode_caps(0x10, unit.cap, unit.ecap);
  EXPECT_EQ(enable(c).failed, vtd::Step::none);
  EXPECT_EQ(unit.pmen, 0u);
  EXPECT_EQ(unit.writes.back().offset, reg::protected_memory_enable);

  fake_vtd_unit::reset(fake_vtd_unit::qemu_cap | reg::cap_plmr);
  unit.pmen = reg::pmen_enable | reg::pmen_status;
  unit.disables_pmr = false;
  EXPECT_EQ(enable(c).failed, vtd::Step::protected_memory);
}

TEST_F(VtdEnable, FaultsTheFirmwareLeftAreCleared) {
  fake_vtd_unit::reset(fake_vtd_unit::qemu_cap | uint64_t{3} << reg::cap_nfr_shift);
  fake_vtd_unit::record_fault(0, 0x1000, 5, false, 0x10);
  fake_vtd_unit::record_fault(2, 0x2000, 6, true, 0x18);
  unit.fsts |= reg::fsts_overflow;
  const vtd::Outcome out = enable(vtd::decode_caps(0x10, unit.cap, unit.ecap));
  EXPECT_EQ(out.faults_cleared, 2u);
  EXPECT_EQ(unit.fsts & reg::fsts_overflow, 0u);
  for (uint64_t high : unit.fault_high) EXPECT_EQ(high & reg::fault_f, 0u);
}

TEST(VtdFault, ARecordIsReadAndCleared) {
  fake_vtd_unit::reset();
  const vtd::UnitCaps c = qemu_caps();
  EXPECT_FALSE(vtd::take_fault(base, c, 0).recorded);
  fake_vtd_unit::record_fault(0, 0x400000, 5, false, 0x0010);  // 00:02.0, as in QEMU
  const vtd::Fault f = vtd::take_fault(base, c, 0);
  EXPECT_TRUE(f.recorded);
  EXPECT_FALSE(f.read);
  EXPECT_EQ(f.reason, 5);
  EXPECT_EQ(f.source_id, 0x10);
  EXPECT_EQ(f.address, 0x400000u);
  EXPECT_STREQ(vtd::fault_reason_name(f.reason), "write to a page without write access");
  // Cleared by a 32-bit write of F to the record's last dword.
  EXPECT_EQ(unit.writes.back().offset, 0x220u + 12);
  EXPECT_EQ(unit.writes.back().bytes, 4u);
  EXPECT_FALSE(vtd::take_fault(base, c, 0).recorded);
  fake_vtd_unit::record_fault(0, 0x400123, 6, true, 0x0010);
  const vtd::Fault r = vtd::take_fault(base, c, 0);
  EXPECT_TRUE(r.read);
  EXPECT_EQ(r.address, 0x400000u);  // the page
}

}  // namespace
