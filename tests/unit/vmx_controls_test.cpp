// Control computation (vmm/vmx/controls.h) over the capability MSRs of every
// Bochs 2.7 CPU model with VMX and long mode (tests/bochs/vmx_msrs_bochs27.txt),
// and over invented MSR values that conflict with what is wanted.
#include <gtest/gtest.h>

#include "ia32/registers.h"
#include "vmx/plan.h"

#include <string>

#include "bochs_vmx_msrs.h"
#include "ia32/vmx/capabilities.h"
#include "ia32/vmx/controls.h"
#include "vmx/controls.h"
#include "guests/v86_demo/guest_state.h"

namespace {

using ia32::vmx::AllowedSettings;
using ia32::vmx::ControlWord;
using ia32::vmx::VmxBasic;
using vmx::CapabilityMsrs;
using vmx::ControlWords;
namespace primary = ia32::vmx::primary_processor;
namespace secondary = ia32::vmx::secondary_processor;
using bochs_vmx::BochsModel;
using bochs_vmx::bochs_models;
using bochs_vmx::model;

constexpr ControlWord all_words[] = {ControlWord::pin_based, ControlWord::primary_processor,
                                     ControlWord::secondary_processor, ControlWord::exit,
                                     ControlWord::entry};

TEST(VmxControls, LowestBitOfEveryWord) {
  for (uint8_t bit = 0; bit < 32; ++bit) {
    EXPECT_EQ(vmx::lowest_bit(1u << bit), bit);
    EXPECT_EQ(vmx::lowest_bit(0xFFFFFFFFu << bit), bit);
  }
}

TEST(VmxControls, TwelveBochsModelsCaptured) {
  EXPECT_EQ(bochs_models().size(), 12u);
}

TEST(VmxControls, DemoControlsSettleOnEveryBochsModel) {
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    vmx::ControlResult result = vmx::compute_controls(m.msrs, guests::v86_demo::wanted_controls);
    ASSERT_TRUE(result.ok) << ia32::vmx::control_word_name(result.error.word) << " bit "
                           << int(result.error.bit) << " " << result.error.bit_name;
    for (ControlWord word : all_words) {
      AllowedSettings allowed = vmx::allowed_settings(m.msrs, word);
      uint32_t value = result.controls[word];
      if (word == ControlWord::secondary_processor) {
        EXPECT_EQ(value, 0u) << "no secondary control wanted";
        continue;
      }
      EXPECT_EQ(value & allowed.must_be_one, allowed.must_be_one) << "must-be-1 bit missing";
      EXPECT_EQ(value & ~allowed.may_be_one, 0u) << "bit set that may not be 1";
      EXPECT_EQ(value & guests::v86_demo::wanted_controls[word], guests::v86_demo::wanted_controls[word]);
      // Nothing beyond wanted | must-be-1.
      EXPECT_EQ(value, guests::v86_demo::wanted_controls[word] | allowed.must_be_one);
    }
    EXPECT_EQ(result.controls.primary_processor & primary::activate_secondary_controls, 0u);
  }
}

TEST(VmxControls, TrueMsrsAreUsedWhenBasicBit55IsSet) {
  const BochsModel& core2 = model("core2_penryn_t9600");
  ASSERT_TRUE(VmxBasic{core2.msrs.basic}.has_true_controls());
  vmx::ControlResult with_true = vmx::compute_controls(core2.msrs, guests::v86_demo::wanted_controls);
  ASSERT_TRUE(with_true.ok);
  // The TRUE primary MSR lets CR3-load/store exiting be 0; 0x482 does not.
  EXPECT_EQ(with_true.controls.primary_processor &
                (primary::cr3_load_exiting | primary::cr3_store_exiting),
            0u);
  EXPECT_EQ(with_true.controls.primary_processor, 0x04006172u | primary::use_io_bitmaps);
  EXPECT_EQ(with_true.controls.exit, 0x00036DFBu | ia32::vmx::exit::host_address_space_size);
  EXPECT_EQ(with_true.controls.entry, 0x000011FBu);
  EXPECT_EQ(with_true.controls.pin_based, 0x16u);

  CapabilityMsrs without_true = core2.msrs;
  without_true.basic &= ~(1ull << 55);
  vmx::ControlResult old = vmx::compute_controls(without_true, guests::v86_demo::wanted_controls);
  ASSERT_TRUE(old.ok);
  // The 2007 lecture's Core 2 defaults, plus I/O bitmaps and a 64-bit host.
  EXPECT_EQ(old.controls.primary_processor, 0x0401E172u | primary::use_io_bitmaps);
  EXPECT_EQ(old.controls.exit, 0x00036DFFu | ia32::vmx::exit::host_address_space_size);
  EXPECT_EQ(old.controls.entry, 0x000011FFu);
}

TEST(VmxControls, CapabilityMsrIndexFollowsBit55) {
  CapabilityMsrs msrs = model("bx_generic").msrs;
  EXPECT_EQ(vmx::capability_msr_index(msrs, ControlWord::pin_based), 0x48Du);
  EXPECT_EQ(vmx::capability_msr_index(msrs, ControlWord::primary_processor), 0x48Eu);
  EXPECT_EQ(vmx::capability_msr_index(msrs, ControlWord::exit), 0x48Fu);
  EXPECT_EQ(vmx::capability_msr_index(msrs, ControlWord::entry), 0x490u);
  EXPECT_EQ(vmx::capability_msr_index(msrs, ControlWord::secondary_processor), 0x48Bu);
  msrs.basic &= ~(1ull << 55);
  EXPECT_EQ(vmx::capability_msr_index(msrs, ControlWord::pin_based), 0x481u);
  EXPECT_EQ(vmx::capability_msr_index(msrs, ControlWord::primary_processor), 0x482u);
  EXPECT_EQ(vmx::capability_msr_index(msrs, ControlWord::exit), 0x483u);
  EXPECT_EQ(vmx::capability_msr_index(msrs, ControlWord::entry), 0x484u);
  EXPECT_EQ(vmx::allowed_settings(msrs, ControlWord::entry).must_be_one, 0x11FFu);
}

TEST(VmxControls, UnrestrictedGuestOnlyWhereSecondaryControlsAllowIt) {
  ControlWords wanted = guests::v86_demo::wanted_controls;
  wanted.secondary_processor = secondary::unrestricted_guest;

  vmx::ControlResult arrandale = vmx::compute_controls(model("corei5_arrandale_m520").msrs, wanted);
  ASSERT_TRUE(arrandale.ok);
  EXPECT_NE(arrandale.controls.primary_processor & primary::activate_secondary_controls, 0u);
  EXPECT_EQ(arrandale.controls.secondary_processor, secondary::unrestricted_guest);

  vmx::ControlResult core2 = vmx::compute_controls(model("core2_penryn_t9600").msrs, wanted);
  ASSERT_FALSE(core2.ok);
  EXPECT_EQ(core2.error.word, ControlWord::secondary_processor);
  EXPECT_EQ(core2.error.bit, 7);
  EXPECT_FALSE(core2.error.required_by_cpu);
  EXPECT_STREQ(core2.error.bit_name, "unrestricted-guest");
}

TEST(VmxControls, SecondaryWantedButPrimaryCannotActivateIt) {
  CapabilityMsrs msrs = model("corei7_haswell_4770").msrs;
  msrs.true_primary_processor &= ~(1ull << 63);  // allowed-1 of bit 31
  ControlWords wanted = guests::v86_demo::wanted_controls;
  wanted.secondary_processor = secondary::enable_ept;
  vmx::ControlResult result = vmx::compute_controls(msrs, wanted);
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.error.word, ControlWord::primary_processor);
  EXPECT_EQ(result.error.bit, 31);
  EXPECT_STREQ(result.error.bit_name, "activate-secondary-controls");
}

TEST(VmxControls, PreemptionTimerFromLynnfieldOn) {
  ControlWords wanted = guests::v86_demo::wanted_controls;
  wanted.pin_based = ia32::vmx::pin_based::activate_preemption_timer;
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    vmx::ControlResult result = vmx::compute_controls(m.msrs, wanted);
    bool old_model = std::string(m.name) == "bx_generic" ||
                     std::string(m.name) == "core2_penryn_t9600";
    EXPECT_EQ(result.ok, !old_model);
    if (!result.ok) {
      EXPECT_EQ(result.error.word, ControlWord::pin_based);
      EXPECT_EQ(result.error.bit, 6);
      EXPECT_STREQ(result.error.bit_name, "activate-preemption-timer");
    }
  }
}

TEST(VmxControls, MustBeOneBitThatMayNotBeOneIsNamed) {
  CapabilityMsrs msrs = model("corei7_skylake_x").msrs;
  // Invented: exit control bit 2 (save debug controls) required and forbidden.
  msrs.true_exit = AllowedSettings{0x00036DFBu | (1u << 2), 0x007FFFFFu & ~(1u << 2)}.to_msr();
  vmx::ControlResult result = vmx::compute_controls(msrs, guests::v86_demo::wanted_controls);
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.error.word, ControlWord::exit);
  EXPECT_EQ(result.error.bit, 2);
  EXPECT_TRUE(result.error.required_by_cpu);
  EXPECT_STREQ(result.error.bit_name, "save-debug-controls");
}

TEST(VmxControls, FirstFailingBitIsTheLowestOfTheFirstWord) {
  CapabilityMsrs msrs = model("bx_generic").msrs;
  ControlWords wanted{};
  wanted.entry = (1u << 13) | (1u << 15);          // bx_generic allows entry bits 0..12
  wanted.exit = ia32::vmx::exit::load_efer | ia32::vmx::exit::save_preemption_timer;
  wanted.primary_processor = primary::use_io_bitmaps;
  vmx::ControlResult result = vmx::compute_controls(msrs, wanted);
  ASSERT_FALSE(result.ok);
  // exit comes before entry; bx_generic's exit allowed-1 is 0x3EFFF (bits
  // 0-11 and 13-17): of 21 (load EFER) and 22 (save preemption timer),
  // neither is allowed, and the lower one is named.
  EXPECT_EQ(result.error.word, ControlWord::exit);
  EXPECT_EQ(result.error.bit, 21);
  EXPECT_STREQ(result.error.bit_name, "load-efer");
}

TEST(VmxControls, ReservedBitWantedIsNamedReserved) {
  ControlWords wanted = guests::v86_demo::wanted_controls;
  wanted.pin_based |= 1u << 20;
  vmx::ControlResult result = vmx::compute_controls(model("tigerlake").msrs, wanted);
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.error.word, ControlWord::pin_based);
  EXPECT_EQ(result.error.bit, 20);
  EXPECT_STREQ(result.error.bit_name, "reserved");
}

TEST(VmxCapabilities, BasicDecodesBochsValues) {
  VmxBasic core2{model("core2_penryn_t9600").msrs.basic};
  EXPECT_EQ(core2.revision_id(), 0x2Bu);
  EXPECT_EQ(core2.region_bytes(), 4096u);
  EXPECT_EQ(core2.vmcs_memory_type(), ia32::vmx::memory_type_write_back);
  EXPECT_TRUE(core2.reports_ins_outs_info());
  EXPECT_TRUE(core2.has_true_controls());
  EXPECT_FALSE(core2.addresses_limited_to_32_bits());
  EXPECT_EQ(VmxBasic{model("corei7_icelake_u").msrs.basic}.revision_id(), 4u);
  EXPECT_EQ(VmxBasic{model("tigerlake").msrs.basic}.revision_id(), 4u);
  // Bit 31 is never part of the revision.
  EXPECT_EQ(VmxBasic{0x80000007ull}.revision_id(), 7u);
}

TEST(VmxCapabilities, AllowedSettingsSplitTheMsr) {
  AllowedSettings s = AllowedSettings::from_msr(0xF7F9FFFE0401E172ull);
  EXPECT_EQ(s.must_be_one, 0x0401E172u);
  EXPECT_EQ(s.may_be_one, 0xF7F9FFFEu);
  EXPECT_EQ(s.to_msr(), 0xF7F9FFFE0401E172ull);
}

TEST(VmxCapabilities, GuestControlRegistersFitEveryModel) {
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    vmx::FixedResult cr0 = vmx::apply_fixed_bits(
        guests::v86_demo::guest_cr0_wanted, {m.msrs.cr0_fixed0, m.msrs.cr0_fixed1});
    vmx::FixedResult cr4 = vmx::apply_fixed_bits(
        guests::v86_demo::guest_cr4_wanted, {m.msrs.cr4_fixed0, m.msrs.cr4_fixed1});
    ASSERT_TRUE(cr0.ok);
    ASSERT_TRUE(cr4.ok);
    EXPECT_EQ(cr0.value, 0x80000031u);
    EXPECT_EQ(cr4.value, cr4::pse | cr4::vmxe);
  }
  vmx::FixedResult bad = vmx::apply_fixed_bits(cr4::pse | (1u << 22), {0x2000, 0x27FF});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.forbidden, 1u << 22);
}

}  // namespace

namespace {

// Host NMIs exit on every Bochs model (pin-based allowed-1 0x3F or 0x7F):
// none reaches the guest (vmx/plan.h host_nmi_pin_control).
TEST(VmxControls, NmiExitingOnEveryBochsModel) {
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    const uint32_t pin = vmx::allowed_settings(m.msrs, ControlWord::pin_based).may_be_one;
    EXPECT_EQ(vmx::host_nmi_pin_control(pin), ia32::vmx::pin_based::nmi_exiting);
    ControlWords wanted = guests::v86_demo::wanted_controls;
    wanted.pin_based |= vmx::host_nmi_pin_control(pin);
    const vmx::ControlResult result = vmx::compute_controls(m.msrs, wanted);
    ASSERT_TRUE(result.ok);
    EXPECT_NE(result.controls.pin_based & ia32::vmx::pin_based::nmi_exiting, 0u);
  }
  // A CPU that does not allow it: not wanted (the run goes on without).
  EXPECT_EQ(vmx::host_nmi_pin_control(0x37), 0u);
}

}  // namespace
