// The VMCS the VMM launches for the V86 demo, checked before any Bochs boot:
// for every Bochs VMX model's captured MSRs the unit tests make the plan
// with the same pure function the VMM calls (guests/v86_demo/plan.h over
// vmx/plan.h), from the inputs the VMM gathers (vmm_plan.h: the assembled
// guest's checked header, the host as the VMM runs, the profile's devices on
// a port map), write it through machine[] as the VMM does, and run the
// VM-entry checker over it. The chain guest's plan is chain_ept_test.cpp's.
// The last tests hold the VMM to its writers of the VMCS: one loop before
// launch, one function at exit time.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bochs_vmx_msrs.h"
#include "ia32/registers.h"
#include "ia32/vmx/controls.h"
#include "vmm_plan.h"
#include "vmx/checks/entry_checks.h"
#include "vmx/guest_timer.h"
#include "vmx/plan.h"

namespace {

using bochs_vmx::bochs_models;
using bochs_vmx::BochsModel;
using ia32::vmx::encoding;
using ia32::vmx::VmcsField;
namespace pin = ia32::vmx::pin_based;
namespace primary = ia32::vmx::primary_processor;
namespace secondary = ia32::vmx::secondary_processor;

// Bochs' first VMX level has neither EPT nor the VMX-preemption timer.
bool first_vmx_level(const std::string& name) {
  return name == "bx_generic" || name == "core2_penryn_t9600";
}

std::map<uint32_t, uint64_t> written(const vmx::VmcsImage& image) {
  std::map<uint32_t, uint64_t> fields;
  const vmx::MachineWriteResult result =
      vmx::write_machine(image, {&fields, [](void* context, uint32_t field, uint64_t value) {
                                   auto& map = *static_cast<std::map<uint32_t, uint64_t>*>(context);
                                   EXPECT_EQ(map.count(field), 0u) << "field written twice";
                                   map[field] = value;
                                   return true;
                                 }});
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.written, fields.size());
  return fields;
}

TEST(VmcsPlan, TheLaunchedVmcsPassesTheEntryCheckerOnEveryBochsModel) {
  ASSERT_EQ(bochs_models().size(), 12u);
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    const vmm_plan::Planned planned = vmm_plan::plan_as_the_vmm_does(m.msrs);
    ASSERT_EQ(planned.plan.error, vmx::PlanError::none);
    std::map<uint32_t, uint64_t> fields = written(planned.plan.image);
    const vmx::VmcsReader reader{[](void* context, uint32_t field, uint64_t* value) {
                                   auto& map = *static_cast<std::map<uint32_t, uint64_t>*>(context);
                                   auto it = map.find(field);
                                   if (it == map.end()) return false;
                                   *value = it->second;
                                   return true;
                                 },
                                 &fields};
    vmx::EntryCheckEnvironment env{};
    env.msrs = m.msrs;
    env.ept_vpid_capability = m.msrs.ept_vpid;
    env.physical_address_width = 40;  // Bochs' BX_PHY_ADDRESS_WIDTH
    env.linear_address_width = 48;
    env.processor_in_ia32e_mode = true;
    const vmx::EntryCheckResult result = vmx::run_entry_checks(reader, env);
    char line[512] = "all checks passed";
    if (!result.passed) vmx::format_check_failure(line, sizeof(line), result.failure);
    EXPECT_TRUE(result.passed) << line;
    EXPECT_EQ(result.checks_run, vmx::entry_check_count());
  }
}

TEST(VmcsPlan, BoundsFollowTheModel) {
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    const vmm_plan::Planned planned = vmm_plan::plan_as_the_vmm_does(m.msrs);
    const vmx::VmcsPlan& plan = planned.plan;
    ASSERT_EQ(plan.error, vmx::PlanError::none);
    const std::map<uint32_t, uint64_t> fields = written(plan.image);
    const bool older = first_vmx_level(m.name);
    const uint64_t pin_word = fields.at(encoding(VmcsField::pin_based_controls));
    const uint64_t primary_word = fields.at(encoding(VmcsField::primary_processor_controls));
    EXPECT_NE(pin_word & pin::nmi_exiting, 0u) << "host NMIs exit";

    // EPT where the model has it; else the VMM's page directory and CR3 exits.
    const bool ept = plan.image.controls.ept_pointer != 0;
    EXPECT_EQ(ept, !older);
    EXPECT_EQ(fields.count(encoding(VmcsField::ept_pointer)), older ? 0u : 1u);
    if (ept) {
      EXPECT_EQ(fields.at(encoding(VmcsField::ept_pointer)),
                vmx::ept_pointer(vmm_plan::ept_physical, m.msrs.ept_vpid));
      EXPECT_NE(fields.at(encoding(VmcsField::secondary_processor_controls)) & secondary::enable_ept,
                0u);
      const vmx::EptTables& tables = planned.memory->v86_demo.ept;
      EXPECT_TRUE(vmx::ept_maps(tables, layout::GUEST_ADDR));
      EXPECT_TRUE(vmx::ept_maps(tables, layout::VGA_TEXT_ADDR));
      EXPECT_FALSE(vmx::ept_maps(tables, layout::BOOTINFO_ADDR & ~0xFFFull));
      EXPECT_FALSE(vmx::ept_maps(tables, layout::VMM_ADDR));
    } else {
      EXPECT_EQ(fields.at(encoding(VmcsField::guest_cr3)), vmm_plan::page_directory_physical);
      EXPECT_EQ(planned.memory->v86_demo.page_directory[0], vmm_plan::checked_guest_header().pde0);
      EXPECT_NE(primary_word & primary::cr3_load_exiting, 0u);
    }

    // The time bound: the VMX-preemption timer where the model has it, with
    // the whole limit in its steps; else PIT ticks through interrupt exits.
    EXPECT_EQ(plan.preemption_timer, !older);
    if (plan.preemption_timer) {
      EXPECT_NE(pin_word & pin::activate_preemption_timer, 0u);
      EXPECT_EQ(fields.at(encoding(VmcsField::guest_preemption_timer_value)),
                vmx::guest_timer::preemption_timer_value(
                    vmm_plan::tsc_ticks_in_limit,
                    ia32::vmx::VmxMisc{m.msrs.misc}.preemption_timer_tsc_shift()));
    } else {
      EXPECT_EQ(fields.count(encoding(VmcsField::guest_preemption_timer_value)), 0u);
      EXPECT_NE(pin_word & pin::external_interrupt_exiting, 0u);
      EXPECT_NE(fields.at(encoding(VmcsField::exit_controls)) &
                    ia32::vmx::exit::acknowledge_interrupt_on_exit,
                0u);
    }

    // Every port exits (the profile's devices decide, the rest is denied),
    // through the VMM's bitmaps.
    EXPECT_EQ(fields.at(encoding(VmcsField::io_bitmap_a_address)), vmm_plan::io_bitmap_a_physical);
    EXPECT_EQ(fields.at(encoding(VmcsField::io_bitmap_b_address)), vmm_plan::io_bitmap_b_physical);
    for (size_t i = 0; i < 4096; ++i) {
      ASSERT_EQ(planned.memory->io_bitmap_a[i], 0xFF) << i;
      ASSERT_EQ(planned.memory->io_bitmap_b[i], 0xFF) << i;
    }
    // The host as described, to the exit stub with RSP at the Vcpu's
    // exit context (the stub stores the guest's registers there).
    EXPECT_EQ(fields.at(encoding(VmcsField::host_rip)), vmm_plan::exit_stub);
    EXPECT_EQ(fields.at(encoding(VmcsField::host_rsp)), vmm_plan::exit_context);
  }
}

TEST(VmcsPlan, AControlTheCpuForbidsIsRefusedNotLaunched) {
  vmx::CapabilityMsrs msrs = bochs_vmx::model("corei7_skylake_x").msrs;
  msrs.true_primary_processor &= ~(uint64_t{primary::use_io_bitmaps} << 32);
  const vmm_plan::Planned planned = vmm_plan::plan_as_the_vmm_does(msrs);
  EXPECT_EQ(planned.plan.error, vmx::PlanError::controls);
  EXPECT_STREQ(planned.plan.control_error.bit_name, "use-io-bitmaps");
}

TEST(VmcsPlan, AGuestCr4TheCpuForbidsIsRefused) {
  vmx::CapabilityMsrs msrs = bochs_vmx::model("corei7_skylake_x").msrs;
  msrs.cr4_fixed1 &= ~uint64_t{cr4::pse};
  const vmm_plan::Planned planned = vmm_plan::plan_as_the_vmm_does(msrs);
  EXPECT_EQ(planned.plan.error, vmx::PlanError::guest_cr4);
  EXPECT_EQ(planned.plan.fixed_error.forbidden, cr4::pse);
}


// ---------------------------------------------------------------- the writers

// The VMM's C++ sources as text, comments, strings and character literals
// blanked (so that a VMWRITE named in a comment is not one).
std::string code_of(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::string s = text.str();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "//") == 0) {
      for (; i < s.size() && s[i] != '\n'; ++i) s[i] = ' ';
    } else if (s.compare(i, 2, "/*") == 0) {
      const size_t end = s.find("*/", i + 2);
      for (; i < s.size() && i < end + 2; ++i) s[i] = s[i] == '\n' ? '\n' : ' ';
      --i;
    } else if (s[i] == '"' || s[i] == '\'') {
      const char quote = s[i];
      for (++i; i < s.size() && s[i] != quote; ++i) {
        if (s[i] == '\\') s[i++] = ' ';
        s[i] = ' ';
      }
    }
  }
  return s;
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The name of the function whose body holds each position of `code`: a
// block at namespace or class scope opened right after `)` (and const,
// noexcept, override) is a function body, named by the identifier before
// its `(`; blocks inside a function (statements, lambdas) belong to it.
// "" outside any function.
std::vector<std::string> enclosing_functions(const std::string& code) {
  std::vector<std::string> at(code.size());
  std::vector<std::string> scopes{""};
  for (size_t i = 0; i < code.size(); ++i) {
    if (code[i] == '{') {
      std::string name;
      if (scopes.back().empty()) {
        size_t j = i;
        auto skip_space = [&] { while (j > 0 && std::isspace(static_cast<unsigned char>(code[j - 1]))) --j; };
        for (;;) {
          skip_space();
          size_t k = j;
          while (k > 0 && is_name_char(code[k - 1])) --k;
          const std::string word = code.substr(k, j - k);
          if (word != "const" && word != "noexcept" && word != "override" && word != "final") break;
          j = k;
        }
        if (j > 0 && code[j - 1] == ')') {
          int depth = 0;
          size_t k = j - 1;
          for (;; --k) {
            depth += code[k] == ')' ? 1 : code[k] == '(' ? -1 : 0;
            if (depth == 0 || k == 0) break;
          }
          j = k;
          skip_space();
          size_t start = j;
          while (start > 0 && is_name_char(code[start - 1])) --start;
          name = code.substr(start, j - start);
          if (name == "if" || name == "for" || name == "while" || name == "switch") name.clear();
        }
      }
      scopes.push_back(scopes.back().empty() ? name : scopes.back());
    } else if (code[i] == '}' && scopes.size() > 1) {
      scopes.pop_back();
    }
    at[i] = scopes.back();
  }
  return at;
}

struct Call {
  std::string file, function;
};

// Every call of one of `names` in the VMM's sources, with the function it is in.
std::vector<Call> calls_in_vmm(const std::regex& names) {
  std::vector<Call> calls;
  for (const auto& entry : std::filesystem::recursive_directory_iterator("vmm")) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".cpp" && ext != ".h") continue;
    const std::string code = code_of(entry.path());
    const std::vector<std::string> functions = enclosing_functions(code);
    for (auto it = std::sregex_iterator(code.begin(), code.end(), names);
         it != std::sregex_iterator(); ++it) {
      calls.push_back({entry.path().generic_string(), functions[it->position()]});
    }
  }
  return calls;
}

TEST(VmcsWriters, TheScannerFindsTheFunctionACallIsIn) {
  const std::string code =
      "namespace a {\n"
      "// vmwrite(1) in a comment\n"
      "int f(int x) const {\n"
      "  if (x) { vmwrite(2, \"vmwrite(3)\"); }\n"
      "  auto g = [](int) { vmwrite(4); };\n"
      "}\n"
      "struct S { void h() noexcept { vmwrite(5); } };\n"
      "}\n";
  const std::string stripped = [&] {
    const auto path = std::filesystem::temp_directory_path() / "vmx_plan_test_scanner.cpp";
    std::ofstream(path) << code;
    return code_of(path);
  }();
  const std::vector<std::string> at = enclosing_functions(stripped);
  std::vector<std::string> found;
  const std::regex call(R"(\bvmwrite\s*\()");
  for (auto it = std::sregex_iterator(stripped.begin(), stripped.end(), call);
       it != std::sregex_iterator(); ++it) {
    found.push_back(at[it->position()]);
  }
  EXPECT_EQ(found, (std::vector<std::string>{"f", "f", "h"}));
}

// Before VMLAUNCH the VMM writes the VMCS only through the plan: the one
// writer it hands to write_machine, once, with the plan's image; so the
// VMCS the tests above check is the one launched. At exit time every
// change a handler makes to the guest's state goes through one function,
// write_guest_state (vmx/exit_path.h). A second path (a VMWRITE added to a
// phase, to a handler, to a fault-injection case) fails here, wherever it is.
TEST(VmcsWriters, OneLoopBeforeLaunchOneFunctionAtExitTime) {
  ASSERT_TRUE(std::filesystem::exists("vmm/vmx/plan.cpp")) << "run the tests from the repository root";
  std::set<std::string> writers;
  for (const Call& c : calls_in_vmm(std::regex(R"(\bvmwrite(_succeeded)?\s*\()"))) {
    writers.insert(c.function);
  }
  // Outside any function: the ia32 wrappers' own declarations.
  writers.erase("");
  EXPECT_EQ(writers, (std::set<std::string>{"vmwrite_field", "write_guest_state"}));

  const std::vector<Call> loops = calls_in_vmm(std::regex(R"(\bwrite_machine\s*\()"));
  std::vector<Call> launched;
  for (const Call& c : loops) {
    // Not its declaration nor its definition (outside any function).
    if (!c.function.empty() && c.function != "write_machine") launched.push_back(c);
  }
  ASSERT_EQ(launched.size(), 1u) << "write_machine called once";
  EXPECT_EQ(launched[0].function, "write_vmcs");
  const std::string build = code_of("vmm/vmx/bringup/build_vmcs.cpp");
  EXPECT_NE(build.find("write_machine(plan.image, {&result, vmwrite_field})"), std::string::npos);
  // The plan writer is handed to that call and nowhere else.
  const std::vector<Call> uses = calls_in_vmm(std::regex(R"(\bvmwrite_field\b)"));
  EXPECT_EQ(uses.size(), 2u) << "its definition and the write_machine call";
}

}  // namespace
