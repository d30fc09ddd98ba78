// The VMCS the VMM launches, checked before any Bochs boot: for every Bochs
// VMX model's captured MSRs the unit tests make the plan with the same pure
// function the VMM calls (vmx/plan.h: plan_vmcs), from the inputs the VMM
// gathers (vmm_plan.h: the assembled guest's checked header, the host as the
// VMM runs), write it through machine[] as the VMM does, and run the VM-entry
// checker over it. The last test holds the VMM to that one path: no VMWRITE
// before launch outside the loop that writes the plan.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "bochs_vmx_msrs.h"
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
    EXPECT_EQ(plan.ept, !older);
    EXPECT_EQ(fields.count(encoding(VmcsField::ept_pointer)), older ? 0u : 1u);
    if (plan.ept) {
      EXPECT_EQ(fields.at(encoding(VmcsField::ept_pointer)),
                vmx::ept_pointer(vmm_plan::ept_physical, m.msrs.ept_vpid));
      EXPECT_NE(fields.at(encoding(VmcsField::secondary_processor_controls)) & secondary::enable_ept,
                0u);
      const vmx::EptTables& ept = planned.memory->ept;
      EXPECT_TRUE(vmx::ept_maps(ept, layout::GUEST_ADDR));
      EXPECT_TRUE(vmx::ept_maps(ept, layout::VGA_TEXT_ADDR));
      EXPECT_FALSE(vmx::ept_maps(ept, layout::BOOTINFO_ADDR & ~0xFFFull));
      EXPECT_FALSE(vmx::ept_maps(ept, layout::VMM_ADDR));
      EXPECT_EQ(plan.ept_tables, &ept);
    } else {
      EXPECT_EQ(fields.at(encoding(VmcsField::guest_cr3)), vmm_plan::page_directory_physical);
      EXPECT_EQ(planned.memory->page_directory[0], vmm_plan::checked_guest_header().pde0);
      EXPECT_NE(primary_word & primary::cr3_load_exiting, 0u);
      EXPECT_EQ(plan.ept_tables, nullptr);
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

    // Every port exits (the port policy decides), through the VMM's bitmaps.
    EXPECT_EQ(fields.at(encoding(VmcsField::io_bitmap_a_address)), vmm_plan::io_bitmap_a_physical);
    EXPECT_EQ(fields.at(encoding(VmcsField::io_bitmap_b_address)), vmm_plan::io_bitmap_b_physical);
    for (size_t i = 0; i < 4096; ++i) {
      ASSERT_EQ(planned.memory->io_bitmap_a[i], 0xFF) << i;
      ASSERT_EQ(planned.memory->io_bitmap_b[i], 0xFF) << i;
    }
    // The host as described, to the exit stub on its stack.
    EXPECT_EQ(fields.at(encoding(VmcsField::host_rip)), vmm_plan::exit_stub);
    // The stub's pushes leave RSP 16-byte aligned at its call (8 below).
    EXPECT_EQ(fields.at(encoding(VmcsField::host_rsp)), vmm_plan::exit_stack_end - 8);
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

// ---------------------------------------------------------------- one path

std::string read_source(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The VMM writes the VMCS before launch only through the plan: the bring-up
// calls plan_vmcs once and writes its image with write_machine once, and no
// VMWRITE is executed anywhere else but in the exit path (after launch). So
// the VMCS tested above is the one launched; a second path (a VMWRITE added
// to a phase, a fault-injection case that writes the VMCS) fails here.
TEST(VmcsPlan, TheVmmWritesTheVmcsOnlyFromThePlan) {
  const std::filesystem::path vmm = "vmm";
  ASSERT_TRUE(std::filesystem::exists(vmm / "vmx" / "plan.cpp"))
      << "run the tests from the repository root";
  const std::regex vmwrite_call(R"(\bvmwrite\s*\()");
  std::vector<std::string> writers;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(vmm)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".cpp" && ext != ".h") continue;
    const std::string path = entry.path().generic_string();
    if (path == "vmm/ia32/vmx/instructions.h") continue;  // where VMWRITE is defined
    if (std::regex_search(read_source(entry.path()), vmwrite_call)) writers.push_back(path);
  }
  std::sort(writers.begin(), writers.end());
  for (const std::string& path : writers) {
    const bool allowed = path == "vmm/vmx/bringup/build_vmcs.cpp" ||
                         path.rfind("vmm/vmx/exit", 0) == 0;  // the exit path, after launch
    EXPECT_TRUE(allowed) << path << " executes VMWRITE outside the plan's write loop";
  }
  const std::string build = read_source(vmm / "vmx" / "bringup" / "build_vmcs.cpp");
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = build.find(what); at != std::string::npos; at = build.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("plan_vmcs("), 1u);
  EXPECT_EQ(count("write_machine(plan.image"), 1u);
  EXPECT_EQ(count("ia32::vmx::vmwrite("), 1u) << "only in the writer write_machine calls";
}

}  // namespace
