// The reader of the Bochs VMX MSR capture (bochs_vmx_msrs.h): the real file
// gives the twelve models the probe captured, and a damaged capture is
// refused with the line that is wrong, never read as zeros.
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <string>

#include "bochs_vmx_msrs.h"

namespace {

using bochs_vmx::BochsModel;

// The error parse_capture throws for `text`, or "" when it parses.
std::string parse_error(const std::string& text) {
  std::istringstream in(text);
  try {
    bochs_vmx::parse_capture(in, "capture");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// A complete model: 0x480-0x48A, with IA32_VMX_BASIC bit 55 clear (no TRUE
// controls) and primary bit 63 clear (no secondary controls).
const std::string core_msrs =
    "msr 00000480 = 005810000000002B\n"
    "msr 00000481 = 0000003F00000016\n"
    "msr 00000482 = 77F9FFFE0401E172\n"
    "msr 00000483 = 0003EFFF00036DFF\n"
    "msr 00000484 = 00001FFF000011FF\n"
    "msr 00000485 = 00000000000401E0\n"
    "msr 00000486 = 0000000080000021\n"
    "msr 00000487 = 00000000FFFFFFFF\n"
    "msr 00000488 = 0000000000002000\n"
    "msr 00000489 = 00000000000027FF\n"
    "msr 0000048A = 0000000000000034\n";

TEST(BochsVmxMsrs, TheCaptureHoldsTwelveModelsInBochsOrder) {
  const char* names[] = {"bx_generic", "core2_penryn_t9600", "corei5_lynnfield_750",
                         "corei5_arrandale_m520", "corei7_sandy_bridge_2600k",
                         "corei7_ivy_bridge_3770k", "corei7_haswell_4770", "broadwell_ult",
                         "corei7_skylake_x", "corei3_cnl", "corei7_icelake_u", "tigerlake"};
  const auto& models = bochs_vmx::bochs_models();
  ASSERT_EQ(models.size(), std::size(names));
  for (size_t i = 0; i < models.size(); ++i) EXPECT_EQ(models[i].name, names[i]);
  // A few values as the file spells them: first, middle and last fields.
  EXPECT_EQ(bochs_vmx::model("tigerlake").msrs.basic, 0x01D8100000000004ull);
  EXPECT_EQ(bochs_vmx::model("core2_penryn_t9600").msrs.cr4_fixed1, 0x00000000000467FFull);
  EXPECT_EQ(bochs_vmx::model("corei7_skylake_x").msrs.secondary_processor, 0x02177FFF00000000ull);
  EXPECT_EQ(bochs_vmx::model("bx_generic").msrs.true_entry, 0x00001FFF000011FBull);
  EXPECT_THROW(bochs_vmx::model("pentium"), std::runtime_error);
}

TEST(BochsVmxMsrs, AModelWithoutOptionalMsrsHasThemZero) {
  std::istringstream in("# comment\n\n# model=plain\n" + core_msrs + "msr 0000003A = 0000000000000005\n");
  auto models = bochs_vmx::parse_capture(in, "capture");
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].name, "plain");
  EXPECT_EQ(models[0].msrs.cr4_fixed1, 0x27FFu);
  EXPECT_EQ(models[0].msrs.secondary_processor, 0u);
  EXPECT_EQ(models[0].msrs.true_entry, 0u);
}

TEST(BochsVmxMsrs, DamagedCapturesNameTheLine) {
  EXPECT_EQ(parse_error("# model=a\n" + core_msrs), "");
  EXPECT_EQ(parse_error("msr 00000480 = 00D810000000002B\n"),
            "capture:1: an MSR before the first \"# model=\" line: \"msr 00000480 = 00D810000000002B\"");
  EXPECT_EQ(parse_error("# model=a\nmsr 00000480 = 00D8100000002B\n"),
            "capture:2: not \"msr IIIIIIII = VVVVVVVVVVVVVVVV\": \"msr 00000480 = 00D8100000002B\"");
  EXPECT_EQ(parse_error("# model=a\nno vmx\n"),
            "capture:2: not \"msr IIIIIIII = VVVVVVVVVVVVVVVV\": \"no vmx\"");
  EXPECT_EQ(parse_error("# model=a\n" + core_msrs + "msr 00000481 = 0000000000000000\n"),
            "capture:13: MSR listed twice: \"msr 00000481 = 0000000000000000\"");
  EXPECT_EQ(parse_error("# model=a\n" + core_msrs + "# model=a\n" + core_msrs),
            "capture:13: model listed twice: \"# model=a\"");
  EXPECT_EQ(parse_error(""), "capture: no \"# model=\" line");
}

// `core_msrs` with `from` replaced by `to`.
std::string changed(const std::string& from, const std::string& to) {
  std::string text = core_msrs;
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(BochsVmxMsrs, MissingMsrsAreRefusedByTheProbesRules) {
  EXPECT_EQ(parse_error("# model=a\n" + changed("msr 00000489 = 00000000000027FF\n", "")),
            "capture:1: model a lacks MSR 0x489 (every VMX CPU has it)");
  const std::string with_true = changed("= 0058", "= 00D8");  // bit 55
  EXPECT_EQ(parse_error("# model=a\n" + with_true),
            "capture:1: model a lacks MSR 0x48D (IA32_VMX_BASIC bit 55)");
  EXPECT_EQ(parse_error("# model=a\n" + with_true + "msr 0000048D = 0000003F00000016\n" +
                        "msr 0000048E = F7F9FFFE04006172\nmsr 0000048F = 0003EFFF00036DFB\n" +
                        "msr 00000490 = 00001FFF000011FB\n"),
            "");
  const std::string with_secondary = changed("= 77F9", "= F7F9");  // bit 63
  EXPECT_EQ(parse_error("# model=x\n" + with_secondary),
            "capture:1: model x lacks MSR 0x48B (secondary controls may be activated)");
  EXPECT_EQ(parse_error("# model=x\n" + with_secondary + "msr 0000048B = 0000004900000000\n"), "");
}

}  // namespace
