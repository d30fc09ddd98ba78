// The VM-entry checker (vmm/vmx/checks/entry_checks.h) over the VMCS the VMM
// launches for the V86 guest: the VMM's own plan (vmx/plan.h) from each Bochs
// model's capability MSRs, the assembled guest's header and a host state as
// the VMM's cpu_tables and stage2 leave it (vmm_plan.h), written through
// machine[] into a map. That state must pass on every model; each mutation
// must be caught by exactly the check the SDM names for it.
//
// Assumed, not captured: Bochs reports 40 physical and 48 linear address
// bits (its BX_PHY_ADDRESS_WIDTH / BX_LIN_ADDRESS_WIDTH).
#include <gtest/gtest.h>

#include "ia32/registers.h"
#include "vmx/plan.h"

#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bochs_vmx_msrs.h"
#include "vmm_plan.h"
#include "cpu_tables.h"
#include "guest_header.h"
#include "ia32/vmx/controls.h"
#include "ia32/vmx/field_names.h"
#include "layout.h"
#include "common/console.h"
#include "common/format.h"
#include "vmx/checks/entry_checks.h"
#include "guests/v86_demo/guest_state.h"
#include "vmx/vmcs_image.h"

// The VMM's console, standing in for common/console.cpp (which drives the
// hardware) so that entry_checks_report.cpp links: it records each printf.
namespace console {
std::vector<std::string> recorded_lines;
void printf(const char* fmt, ...) {
  char buffer[printf_buffer_bytes];
  va_list ap;
  va_start(ap, fmt);
  vformat(buffer, sizeof(buffer), fmt, ap);
  va_end(ap);
  recorded_lines.emplace_back(buffer);
}
}  // namespace console

namespace {

using bochs_vmx::bochs_models;
using bochs_vmx::BochsModel;
using ia32::vmx::encoding;
using ia32::vmx::VmcsField;
namespace primary = ia32::vmx::primary_processor;
namespace secondary = ia32::vmx::secondary_processor;

// ---------------------------------------------------------------- the VMCS as a map

struct Vmcs {
  std::map<uint32_t, uint64_t> fields;

  uint64_t get(VmcsField f) const { return fields.at(encoding(f)); }
  void set(VmcsField f, uint64_t value) { fields[encoding(f)] = value; }
  void set_bits(VmcsField f, uint64_t bits) { set(f, get(f) | bits); }
  void clear_bits(VmcsField f, uint64_t bits) { set(f, get(f) & ~bits); }

  static bool write(void* context, uint32_t field, uint64_t value) {
    static_cast<Vmcs*>(context)->fields[field] = value;
    return true;
  }
  // Like VMREAD of a field never written on a CPU without it: fails.
  static bool read(void* context, uint32_t field, uint64_t* value) {
    const auto& fields = static_cast<Vmcs*>(context)->fields;
    auto it = fields.find(field);
    if (it == fields.end()) return false;
    *value = it->second;
    return true;
  }
};

// ---------------------------------------------------------------- what the VMM writes

constexpr uint64_t vmm_io_bitmap_a = vmm_plan::io_bitmap_a_physical;
constexpr uint64_t vmm_io_bitmap_b = vmm_plan::io_bitmap_b_physical;

// The VMCS the VMM launches for `msrs`: its plan (vmx/plan.h) from the
// inputs the VMM gathers (vmm_plan.h), written through machine[] as the
// VMM writes it.
Vmcs demo_vmcs(const vmx::CapabilityMsrs& msrs) {
  const vmm_plan::Planned planned = vmm_plan::plan_as_the_vmm_does(msrs);
  EXPECT_EQ(planned.plan.error, vmx::PlanError::none);
  Vmcs vmcs;
  EXPECT_TRUE(vmx::write_machine(planned.plan.image, {&vmcs, &Vmcs::write}).ok);
  return vmcs;
}

vmx::EntryCheckEnvironment bochs_environment(const vmx::CapabilityMsrs& msrs) {
  vmx::EntryCheckEnvironment env{};
  env.msrs = msrs;
  env.ept_vpid_capability = msrs.ept_vpid;
  env.physical_address_width = 40;
  env.linear_address_width = 48;
  env.processor_in_ia32e_mode = true;
  return env;
}

vmx::EntryCheckResult check(Vmcs& vmcs, const vmx::EntryCheckEnvironment& env) {
  return vmx::run_entry_checks({&Vmcs::read, &vmcs}, env);
}

std::string describe(const vmx::EntryCheckResult& result) {
  if (result.passed) return "all checks passed";
  char line[512];
  vmx::format_check_failure(line, sizeof(line), result.failure);
  return line;
}

const BochsModel& model(const char* name) { return bochs_vmx::model(name); }

// ---------------------------------------------------------------- passing states

TEST(VmxEntryChecks, DemoStatePassesOnEveryBochsModel) {
  ASSERT_EQ(bochs_models().size(), 12u);
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    Vmcs vmcs = demo_vmcs(m.msrs);
    vmx::EntryCheckResult result = check(vmcs, bochs_environment(m.msrs));
    EXPECT_TRUE(result.passed) << describe(result);
    EXPECT_EQ(result.checks_run, vmx::entry_check_count());
  }
}

// Chain mode (guests/bios_chain/plan.h): the real-mode loader
// as an unrestricted guest passes every check on the nine models with
// unrestricted guest; the three without it are refused by the plan.
TEST(VmxEntryChecks, ChainRealModeStatePassesOnEveryUnrestrictedGuestModel) {
  unsigned unrestricted = 0;
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    const vmm_plan::Planned planned = vmm_plan::plan_chain_as_the_vmm_does(m.msrs);
    const bool refused = m.name == "bx_generic" || m.name == "core2_penryn_t9600" ||
                         m.name == "corei5_lynnfield_750";
    if (refused) {
      EXPECT_EQ(planned.plan.error, vmx::PlanError::profile);
      EXPECT_EQ(planned.plan.profile_error,
                uint8_t(guests::bios_chain::Refusal::no_unrestricted_guest));
      continue;
    }
    ++unrestricted;
    ASSERT_EQ(planned.plan.error, vmx::PlanError::none);
    EXPECT_NE(planned.plan.image.controls.words.secondary_processor &
                  ia32::vmx::secondary_processor::unrestricted_guest,
              0u);
    Vmcs vmcs;
    ASSERT_TRUE(vmx::write_machine(planned.plan.image, {&vmcs, &Vmcs::write}).ok);
    EXPECT_EQ(vmcs.get(VmcsField::guest_cr0) & 0x80000001u, 0u) << "real mode, paging off";
    EXPECT_EQ(vmcs.get(VmcsField::guest_idtr_limit), 0x3FFu) << "the real-mode IVT";
    vmx::EntryCheckResult result = check(vmcs, bochs_environment(m.msrs));
    EXPECT_TRUE(result.passed) << describe(result);
  }
  EXPECT_EQ(unrestricted, 9u);
}

// Without the TRUE MSRs the must-be-1 defaults include "load debug
// controls" and CR3-load/store exiting: the DR7 and DEBUGCTL checks apply.
TEST(VmxEntryChecks, DemoStatePassesWithTheOriginalControlMsrs) {
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    vmx::CapabilityMsrs msrs = m.msrs;
    msrs.basic &= ~(1ull << 55);
    Vmcs vmcs = demo_vmcs(msrs);
    ASSERT_NE(vmcs.get(VmcsField::entry_controls) & ia32::vmx::entry::load_debug_controls, 0u);
    vmx::EntryCheckResult result = check(vmcs, bochs_environment(msrs));
    EXPECT_TRUE(result.passed) << describe(result);
  }
}

TEST(VmxEntryChecks, ValidVariationsStillPass) {
  const vmx::CapabilityMsrs& msrs = model("corei7_haswell_4770").msrs;
  const vmx::EntryCheckEnvironment env = bochs_environment(msrs);
  const std::vector<std::pair<const char*, std::function<void(Vmcs&)>>> variations = {
      {"LDTR unusable", [](Vmcs& v) { v.set(VmcsField::guest_ldtr_access_rights, 1u << 16); }},
      {"TR a busy 16-bit TSS", [](Vmcs& v) { v.set(VmcsField::guest_tr_access_rights, 0x83); }},
      {"I/O bitmaps elsewhere, 4 KiB aligned",
       [](Vmcs& v) { v.set(VmcsField::io_bitmap_a_address, 0xFFFFF000); }},
      {"CR3-target count 4", [](Vmcs& v) { v.set(VmcsField::cr3_target_count, 4); }},
      {"blocking by NMI", [](Vmcs& v) { v.set(VmcsField::guest_interruptibility_state, 8); }},
      {"IF set, blocking by STI",
       [](Vmcs& v) {
         v.set_bits(VmcsField::guest_rflags, 1u << 9);
         v.set(VmcsField::guest_interruptibility_state, 1);
       }},
      {"injected #GP with its error code",
       [](Vmcs& v) {
         v.set(VmcsField::entry_interruption_info, 0x80000B0D);
         v.set(VmcsField::entry_exception_error_code, 0x10);
       }},
      {"pending B0 breakpoint",
       [](Vmcs& v) { v.set(VmcsField::guest_pending_debug_exceptions, 1); }},
  };
  for (const auto& [name, vary] : variations) {
    SCOPED_TRACE(name);
    Vmcs vmcs = demo_vmcs(msrs);
    vary(vmcs);
    vmx::EntryCheckResult result = check(vmcs, env);
    EXPECT_TRUE(result.passed) << describe(result);
  }
}

// ---------------------------------------------------------------- mutations

struct Mutation {
  const char* name;
  std::function<void(Vmcs&)> mutate;
  const char* expected_id;
};

const std::vector<Mutation>& mutations() {
  static const std::vector<Mutation> list = {
      // 26.2.1.1
      {"reserved pin-based bit 20",
       [](Vmcs& v) { v.set_bits(VmcsField::pin_based_controls, 1u << 20); },
       "pin-based-controls-allowed"},
      {"must-be-1 pin-based bit 1 cleared",
       [](Vmcs& v) { v.clear_bits(VmcsField::pin_based_controls, 1u << 1); },
       "pin-based-controls-allowed"},
      {"activate tertiary controls (no Bochs model has them)",
       [](Vmcs& v) {
         v.set_bits(VmcsField::primary_processor_controls, primary::activate_tertiary_controls);
       },
       "primary-controls-allowed"},
      {"CR3-target count 5", [](Vmcs& v) { v.set(VmcsField::cr3_target_count, 5); },
       "cr3-target-count"},
      {"I/O bitmap A 2 KiB aligned",
       [](Vmcs& v) { v.set(VmcsField::io_bitmap_a_address, vmm_io_bitmap_a + 0x800); },
       "io-bitmap-a-aligned"},
      {"I/O bitmap B beyond 40 address bits",
       [](Vmcs& v) { v.set(VmcsField::io_bitmap_b_address, vmm_io_bitmap_b | (1ull << 40)); },
       "io-bitmap-b-width"},
      {"virtual NMIs without NMI exiting",
       [](Vmcs& v) {
         v.clear_bits(VmcsField::pin_based_controls, ia32::vmx::pin_based::nmi_exiting);
         v.set_bits(VmcsField::pin_based_controls, ia32::vmx::pin_based::virtual_nmis);
       },
       "virtual-nmis-need-nmi-exiting"},
      {"NMI-window exiting without virtual NMIs",
       [](Vmcs& v) {
         v.set_bits(VmcsField::primary_processor_controls, primary::nmi_window_exiting);
       },
       "nmi-window-needs-virtual-nmis"},
      // 26.2.1.2
      {"exit control bit 0 (must be 1) cleared",
       [](Vmcs& v) { v.clear_bits(VmcsField::exit_controls, 1u << 0); }, "exit-controls-allowed"},
      {"VM-exit MSR-store area 8-byte aligned",
       [](Vmcs& v) {
         v.set(VmcsField::exit_msr_store_count, 1);
         v.set(VmcsField::exit_msr_store_address, vmm_io_bitmap_a + 8);
       },
       "exit-msr-store-aligned"},
      // 26.2.1.3
      {"injected event of reserved type 1",
       [](Vmcs& v) { v.set(VmcsField::entry_interruption_info, 0x80000100); },
       "entry-interruption-type"},
      {"injected NMI with vector 3",
       [](Vmcs& v) { v.set(VmcsField::entry_interruption_info, 0x80000203); },
       "entry-interruption-vector"},
      {"injection info bit 12",
       [](Vmcs& v) { v.set(VmcsField::entry_interruption_info, 0x80001020); },
       "entry-interruption-reserved"},
      {"entry to SMM",
       [](Vmcs& v) { v.set_bits(VmcsField::entry_controls, ia32::vmx::entry::entry_to_smm); },
       "entry-to-smm-outside-smm"},
      // 26.2.2-26.2.4
      {"host CR0.NE clear", [](Vmcs& v) { v.clear_bits(VmcsField::host_cr0, cr0::ne); },
       "host-cr0-fixed"},
      {"host CR4.VMXE clear", [](Vmcs& v) { v.clear_bits(VmcsField::host_cr4, cr4::vmxe); },
       "host-cr4-fixed"},
      {"host CR3 beyond 40 address bits",
       [](Vmcs& v) { v.set_bits(VmcsField::host_cr3, 1ull << 45); }, "host-cr3-width"},
      {"host CS RPL 1",
       [](Vmcs& v) { v.set(VmcsField::host_cs_selector, cpu_tables::selector_code64 | 1); },
       "host-cs-selector-rpl-ti"},
      {"host TR selector 0", [](Vmcs& v) { v.set(VmcsField::host_tr_selector, 0); },
       "host-tr-selector-nonzero"},
      {"host GDTR base not canonical",
       [](Vmcs& v) { v.set(VmcsField::host_gdtr_base, 0x0000800000000000ull); },
       "host-gdtr-base-canonical"},
      {"32-bit host address-space size in a 64-bit VMM",
       [](Vmcs& v) {
         v.clear_bits(VmcsField::exit_controls, ia32::vmx::exit::host_address_space_size);
       },
       "host-address-space-size-in-ia32e"},
      {"host RIP not canonical", [](Vmcs& v) { v.set(VmcsField::host_rip, 0x0001000000401000ull); },
       "host-rip-canonical"},
      // 26.3.1.1
      {"guest CR0.PE clear without unrestricted guest",
       [](Vmcs& v) { v.clear_bits(VmcsField::guest_cr0, cr0::pe); }, "guest-cr0-fixed"},
      {"guest CR4.VMXE clear", [](Vmcs& v) { v.clear_bits(VmcsField::guest_cr4, cr4::vmxe); },
       "guest-cr4-fixed"},
      {"IA-32e mode guest without PAE",
       [](Vmcs& v) { v.set_bits(VmcsField::entry_controls, ia32::vmx::entry::ia32e_mode_guest); },
       "guest-ia32e-needs-pae"},
      {"guest CR3 beyond 40 address bits",
       [](Vmcs& v) { v.set_bits(VmcsField::guest_cr3, 1ull << 40); }, "guest-cr3-width"},
      // 26.3.1.2
      {"guest TR selector in the LDT", [](Vmcs& v) { v.set_bits(VmcsField::guest_tr_selector, 4); },
       "guest-tr-selector-ti"},
      {"guest CS base not selector * 16",
       [](Vmcs& v) { v.set(VmcsField::guest_cs_base, v.get(VmcsField::guest_cs_base) + 0x10); },
       "guest-cs-base-v86"},
      {"guest GS base above 4 GiB",
       [](Vmcs& v) { v.set_bits(VmcsField::guest_gs_base, 1ull << 32); }, "guest-gs-base-v86"},
      {"guest SS limit 0xFFFFF", [](Vmcs& v) { v.set(VmcsField::guest_ss_limit, 0xFFFFF); },
       "guest-ss-limit-v86"},
      {"guest DS not accessed (AR 0xF2)",
       [](Vmcs& v) { v.set(VmcsField::guest_ds_access_rights, 0xF2); },
       "guest-ds-access-rights-v86"},
      {"guest FS unusable", [](Vmcs& v) { v.set(VmcsField::guest_fs_access_rights, 0x100F3); },
       "guest-fs-access-rights-v86"},
      {"guest TR type 9 (available TSS)",
       [](Vmcs& v) { v.set(VmcsField::guest_tr_access_rights, 0x89); }, "guest-tr-type"},
      {"guest TR not present", [](Vmcs& v) { v.set(VmcsField::guest_tr_access_rights, 0x0B); },
       "guest-tr-present"},
      {"guest TR unusable", [](Vmcs& v) { v.set(VmcsField::guest_tr_access_rights, 0x1008B); },
       "guest-tr-usable"},
      {"guest TR G set with limit 0x108",
       [](Vmcs& v) { v.set(VmcsField::guest_tr_access_rights, 0x808B); }, "guest-tr-granularity"},
      {"guest LDTR type 3", [](Vmcs& v) { v.set(VmcsField::guest_ldtr_access_rights, 0x83); },
       "guest-ldtr-type"},
      // 26.3.1.3
      {"guest GDTR limit 0x10000", [](Vmcs& v) { v.set(VmcsField::guest_gdtr_limit, 0x10000); },
       "guest-gdtr-limit"},
      {"guest IDTR base not canonical",
       [](Vmcs& v) { v.set(VmcsField::guest_idtr_base, 0xFFFF000000000000ull); },
       "guest-idtr-base-canonical"},
      // 26.3.1.4
      {"guest RIP bit 32", [](Vmcs& v) { v.set_bits(VmcsField::guest_rip, 1ull << 32); },
       "guest-rip-upper"},
      {"guest RFLAGS bit 1 clear", [](Vmcs& v) { v.clear_bits(VmcsField::guest_rflags, 2); },
       "guest-rflags-reserved"},
      {"guest RFLAGS bit 15 set", [](Vmcs& v) { v.set_bits(VmcsField::guest_rflags, 1u << 15); },
       "guest-rflags-reserved"},
      {"external interrupt injected with IF = 0",
       [](Vmcs& v) { v.set(VmcsField::entry_interruption_info, 0x80000020); },
       "guest-rflags-if-for-external-interrupt"},
      // 26.3.1.5
      {"activity state 5", [](Vmcs& v) { v.set(VmcsField::guest_activity_state, 5); },
       "guest-activity-state"},
      {"HLT with SS DPL 3", [](Vmcs& v) { v.set(VmcsField::guest_activity_state, 1); },
       "guest-activity-hlt-ss-dpl"},
      {"interruptibility bit 5",
       [](Vmcs& v) { v.set(VmcsField::guest_interruptibility_state, 1u << 5); },
       "guest-interruptibility-reserved"},
      {"blocking by STI and MOV SS",
       [](Vmcs& v) { v.set(VmcsField::guest_interruptibility_state, 3); },
       "guest-interruptibility-sti-and-mov-ss"},
      {"blocking by STI with IF = 0",
       [](Vmcs& v) { v.set(VmcsField::guest_interruptibility_state, 1); },
       "guest-interruptibility-sti-needs-if"},
      {"blocking by SMI outside SMM",
       [](Vmcs& v) { v.set(VmcsField::guest_interruptibility_state, 4); },
       "guest-interruptibility-smi"},
      {"pending debug exceptions bit 4",
       [](Vmcs& v) { v.set(VmcsField::guest_pending_debug_exceptions, 1u << 4); },
       "guest-pending-debug-reserved"},
      {"MOV-SS blocking and TF without pending BS",
       [](Vmcs& v) {
         v.set(VmcsField::guest_interruptibility_state, 2);
         v.set_bits(VmcsField::guest_rflags, 1u << 8);
       },
       "guest-pending-debug-bs"},
      {"VMCS link pointer 0x1234", [](Vmcs& v) { v.set(VmcsField::vmcs_link_pointer, 0x1234); },
       "guest-vmcs-link-aligned"},
      {"VMCS link pointer 0, no memory to read it",
       [](Vmcs& v) { v.set(VmcsField::vmcs_link_pointer, 0); }, "guest-vmcs-link-readable"},
  };
  return list;
}

TEST(VmxEntryChecks, AtLeastTwentyMutations) { EXPECT_GE(mutations().size(), 20u); }

TEST(VmxEntryChecks, EachMutationIsCaughtByItsCheckOnEveryModel) {
  for (const BochsModel& m : bochs_models()) {
    const vmx::EntryCheckEnvironment env = bochs_environment(m.msrs);
    const Vmcs good = demo_vmcs(m.msrs);
    for (const Mutation& mutation : mutations()) {
      SCOPED_TRACE(std::string(m.name) + ": " + mutation.name);
      Vmcs vmcs = good;
      mutation.mutate(vmcs);
      ASSERT_NE(vmcs.fields, good.fields) << "the mutation changed nothing";
      vmx::EntryCheckResult result = check(vmcs, env);
      ASSERT_FALSE(result.passed);
      EXPECT_STREQ(result.failure.id, mutation.expected_id) << describe(result);
    }
  }
}

// Every id a mutation expects is one the checker has.
TEST(VmxEntryChecks, MutationIdsExist) {
  std::set<std::string> ids;
  for (size_t i = 0; i < vmx::entry_check_count(); ++i) ids.insert(vmx::entry_check_info(i).id);
  for (const Mutation& mutation : mutations()) {
    EXPECT_EQ(ids.count(mutation.expected_id), 1u) << mutation.expected_id;
  }
}

// ---------------------------------------------------------------- what a failure says

TEST(VmxEntryChecks, FailureNamesFieldValueAndExpectation) {
  const vmx::CapabilityMsrs& msrs = model("corei7_skylake_x").msrs;
  Vmcs vmcs = demo_vmcs(msrs);
  const uint64_t selector = vmcs.get(VmcsField::guest_cs_selector);
  vmcs.set(VmcsField::guest_cs_base, 0x12345);
  vmx::EntryCheckResult result = check(vmcs, bochs_environment(msrs));
  ASSERT_FALSE(result.passed);
  const vmx::CheckFailure& f = result.failure;
  EXPECT_STREQ(f.id, "guest-cs-base-v86");
  EXPECT_STREQ(f.sdm_section, "26.3.1.2");
  EXPECT_EQ(f.kind, vmx::EntryFailureKind::invalid_guest_state);
  EXPECT_EQ(vmx::reported_error(f.kind), 0x80000021u);
  EXPECT_EQ(f.field, encoding(VmcsField::guest_cs_base));
  EXPECT_EQ(f.found, 0x12345u);
  ASSERT_TRUE(f.has_expected);
  EXPECT_EQ(f.expected, selector << 4);
  ASSERT_TRUE(f.has_related);
  EXPECT_EQ(f.related_field, encoding(VmcsField::guest_cs_selector));
  EXPECT_EQ(f.related_value, selector);

  char line[512];
  vmx::format_check_failure(line, sizeof(line), f);
  char expected[512];
  snprintf(expected, sizeof(expected),
           "entry check failed: guest-cs-base-v86 (SDM 26.3.1.2): %s; guest_cs_base = 0x12345, "
           "expected 0x%llx (guest_cs_selector = 0x%llx)",
           f.rule, static_cast<unsigned long long>(selector << 4),
           static_cast<unsigned long long>(selector));
  EXPECT_STREQ(line, expected);
}

TEST(VmxEntryChecks, ControlAndHostFailuresMapToInstructionErrors) {
  const vmx::CapabilityMsrs& msrs = model("bx_generic").msrs;
  const vmx::EntryCheckEnvironment env = bochs_environment(msrs);
  Vmcs controls = demo_vmcs(msrs);
  controls.set(VmcsField::cr3_target_count, 9);
  vmx::EntryCheckResult r = check(controls, env);
  ASSERT_FALSE(r.passed);
  EXPECT_EQ(r.failure.kind, vmx::EntryFailureKind::invalid_control_fields);
  EXPECT_EQ(vmx::reported_error(r.failure.kind), 7u);
  EXPECT_EQ(r.failure.expected, 4u);

  Vmcs host = demo_vmcs(msrs);
  host.set(VmcsField::host_ss_selector, 0x13);
  r = check(host, env);
  ASSERT_FALSE(r.passed);
  EXPECT_STREQ(r.failure.id, "host-ss-selector-rpl-ti");
  EXPECT_EQ(r.failure.kind, vmx::EntryFailureKind::invalid_host_state);
  EXPECT_EQ(vmx::reported_error(r.failure.kind), 8u);
  EXPECT_EQ(r.failure.expected, 0x10u);
}

TEST(VmxEntryChecks, ControlWordFailureExpectsTheNearestAllowedWord) {
  const vmx::CapabilityMsrs& msrs = model("core2_penryn_t9600").msrs;
  Vmcs vmcs = demo_vmcs(msrs);
  const uint64_t good = vmcs.get(VmcsField::pin_based_controls);
  vmcs.set(VmcsField::pin_based_controls, (good | (1u << 6)) & ~uint64_t{1u << 4});
  vmx::EntryCheckResult r = check(vmcs, bochs_environment(msrs));
  ASSERT_FALSE(r.passed);
  EXPECT_STREQ(r.failure.id, "pin-based-controls-allowed");
  // Core 2: no preemption timer (allowed-1 0x3F), bit 4 must be 1.
  EXPECT_EQ(r.failure.expected, good);
}

// The checker reads only what machine[] writes for this state, and says so
// when a field it needs cannot be read.
TEST(VmxEntryChecks, UnreadableFieldIsReportedAsSuch) {
  const vmx::CapabilityMsrs& msrs = model("tigerlake").msrs;
  Vmcs vmcs = demo_vmcs(msrs);
  vmcs.fields.erase(encoding(VmcsField::guest_tr_access_rights));
  vmx::EntryCheckResult r = check(vmcs, bochs_environment(msrs));
  ASSERT_FALSE(r.passed);
  EXPECT_STREQ(r.failure.id, "vmcs-field-unreadable");
  EXPECT_EQ(r.failure.kind, vmx::EntryFailureKind::vmcs_unreadable);
  EXPECT_EQ(r.failure.field, encoding(VmcsField::guest_tr_access_rights));
  EXPECT_STREQ(r.failure.sdm_section, "26.3.1.2");
}

// ---------------------------------------------------------------- SDM order

bool section_before_or_same(const std::string& a, const std::string& b) {
  // Compares dotted section numbers part by part.
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    size_t ie = a.find('.', i), je = b.find('.', j);
    int x = std::stoi(a.substr(i, ie - i)), y = std::stoi(b.substr(j, je - j));
    if (x != y) return x < y;
    i = ie == std::string::npos ? a.size() : ie + 1;
    j = je == std::string::npos ? b.size() : je + 1;
  }
  return i >= a.size();  // equal so far: the shorter (a prefix) comes first
}

TEST(VmxEntryChecks, TableIsInSdmOrderWithUniqueKebabCaseIds) {
  ASSERT_TRUE(section_before_or_same("26.2.1.3", "26.2.2"));
  ASSERT_TRUE(section_before_or_same("26.3.1.2", "26.3.1.2"));
  ASSERT_FALSE(section_before_or_same("26.3.1.10", "26.3.1.2"));
  ASSERT_FALSE(section_before_or_same("26.3.1", "26.2.4"));
  std::set<std::string> ids;
  std::string previous = "26.2.1.1";
  ASSERT_GT(vmx::entry_check_count(), 150u);
  for (size_t i = 0; i < vmx::entry_check_count(); ++i) {
    const vmx::EntryCheckInfo info = vmx::entry_check_info(i);
    SCOPED_TRACE(info.id);
    EXPECT_TRUE(ids.insert(info.id).second) << "id twice";
    for (const char* p = info.id; *p != 0; ++p) {
      EXPECT_TRUE((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-') << info.id;
    }
    EXPECT_TRUE(section_before_or_same(previous, info.sdm_section))
        << previous << " then " << info.sdm_section;
    previous = info.sdm_section;
    const size_t rule_length = std::strlen(info.rule);
    ASSERT_GT(rule_length, 10u);
    EXPECT_EQ(info.rule[rule_length - 1], '.');
    // The line before the values must fit one console::printf.
    EXPECT_LT(format(nullptr, 0, "entry check failed: %s (SDM %s): %s", info.id, info.sdm_section,
                     info.rule),
              static_cast<size_t>(console::printf_buffer_bytes - 1));
  }
  EXPECT_EQ(std::string(vmx::entry_check_info(0).sdm_section), "26.2.1.1");
  EXPECT_EQ(previous, "26.3.1.6");
}

TEST(VmxEntryChecks, TwoFaultsReportTheEarlierSection) {
  const vmx::CapabilityMsrs& msrs = model("corei5_lynnfield_750").msrs;
  const vmx::EntryCheckEnvironment env = bochs_environment(msrs);
  auto guest_fault = [](Vmcs& v) { v.clear_bits(VmcsField::guest_rflags, 2); };          // 26.3.1.4
  auto segment_fault = [](Vmcs& v) { v.set(VmcsField::guest_tr_access_rights, 0x89); };  // 26.3.1.2
  auto host_fault = [](Vmcs& v) { v.set(VmcsField::host_cs_selector, 0x09); };           // 26.2.3
  auto control_fault = [](Vmcs& v) { v.set(VmcsField::cr3_target_count, 7); };           // 26.2.1.1

  Vmcs vmcs = demo_vmcs(msrs);
  guest_fault(vmcs);
  segment_fault(vmcs);
  EXPECT_STREQ(check(vmcs, env).failure.id, "guest-tr-type");
  host_fault(vmcs);
  EXPECT_STREQ(check(vmcs, env).failure.id, "host-cs-selector-rpl-ti");
  control_fault(vmcs);
  vmx::EntryCheckResult r = check(vmcs, env);
  EXPECT_STREQ(r.failure.id, "cr3-target-count");
  // It stopped there.
  size_t index = 0;
  while (std::string(vmx::entry_check_info(index).id) != "cr3-target-count") ++index;
  EXPECT_EQ(r.checks_run, index + 1);

  Vmcs only_guest = demo_vmcs(msrs);
  guest_fault(only_guest);
  EXPECT_STREQ(check(only_guest, env).failure.id, "guest-rflags-reserved");
}

// ---------------------------------------------------------------- model-specific rules

TEST(VmxEntryChecks, PreemptionTimerSaveNeedsTheTimerWhereTheCpuHasIt) {
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    Vmcs vmcs = demo_vmcs(m.msrs);
    // (The VMM runs the timer where the CPU has it, but never saves it.)
    vmcs.clear_bits(VmcsField::pin_based_controls, ia32::vmx::pin_based::activate_preemption_timer);
    vmcs.set_bits(VmcsField::exit_controls, ia32::vmx::exit::save_preemption_timer);
    vmx::EntryCheckResult r = check(vmcs, bochs_environment(m.msrs));
    ASSERT_FALSE(r.passed);
    const bool has_timer = (vmx::allowed_settings(m.msrs, ia32::vmx::ControlWord::exit).may_be_one &
                            ia32::vmx::exit::save_preemption_timer) != 0;
    EXPECT_STREQ(r.failure.id,
                 has_timer ? "save-preemption-timer-needs-activation" : "exit-controls-allowed");
  }
}

TEST(VmxEntryChecks, UnrestrictedGuestNeedsEptAndRelaxesCr0) {
  for (const BochsModel& m : bochs_models()) {
    SCOPED_TRACE(m.name);
    Vmcs vmcs = demo_vmcs(m.msrs);
    vmcs.set_bits(VmcsField::primary_processor_controls, primary::activate_secondary_controls);
    vmcs.set(VmcsField::secondary_processor_controls, secondary::unrestricted_guest);
    vmx::EntryCheckResult r = check(vmcs, bochs_environment(m.msrs));
    ASSERT_FALSE(r.passed);
    const uint32_t allowed2 =
        vmx::allowed_settings(m.msrs, ia32::vmx::ControlWord::secondary_processor).may_be_one;
    EXPECT_STREQ(r.failure.id, (allowed2 & secondary::unrestricted_guest) != 0
                                   ? "unrestricted-guest-needs-ept"
                                   : "secondary-controls-allowed");
  }
  // With EPT (an invented capability: WB, 4-level) and unrestricted guest,
  // a guest CR0 without PE and PG passes the CR0 checks; VM must then go.
  const vmx::CapabilityMsrs& msrs = model("corei7_haswell_4770").msrs;
  vmx::EntryCheckEnvironment env = bochs_environment(msrs);
  env.ept_vpid_capability = (1ull << 14) | (1ull << 6);
  Vmcs vmcs = demo_vmcs(msrs);
  vmcs.set_bits(VmcsField::primary_processor_controls, primary::activate_secondary_controls);
  vmcs.set(VmcsField::secondary_processor_controls,
           secondary::unrestricted_guest | secondary::enable_ept);
  vmcs.set(VmcsField::ept_pointer, 0x500000 | (3 << 3) | 6);
  vmcs.clear_bits(VmcsField::guest_cr0, cr0::pe | cr0::pg);
  vmx::EntryCheckResult r = check(vmcs, env);
  ASSERT_FALSE(r.passed);
  EXPECT_STREQ(r.failure.id, "guest-rflags-vm") << describe(r);
  vmcs.clear_bits(VmcsField::guest_rflags, rflags::vm);
  r = check(vmcs, env);
  ASSERT_FALSE(r.passed);
  // CS AR 0xF3 is type 3 (data), which unrestricted guest allows for CS,
  // but only with DPL 0.
  EXPECT_STREQ(r.failure.id, "guest-cs-dpl") << describe(r);
}

TEST(VmxEntryChecks, EptPointerRules) {
  const vmx::CapabilityMsrs& msrs = model("corei7_skylake_x").msrs;
  vmx::EntryCheckEnvironment env = bochs_environment(msrs);
  env.ept_vpid_capability = 1ull << 14;  // WB only, no accessed/dirty flags
  Vmcs base = demo_vmcs(msrs);
  base.set_bits(VmcsField::primary_processor_controls, primary::activate_secondary_controls);
  base.set(VmcsField::secondary_processor_controls, secondary::enable_ept);
  base.set(VmcsField::ept_pointer, 0x500000 | (3 << 3) | 6);
  vmx::EntryCheckResult r = check(base, env);
  EXPECT_TRUE(r.passed) << describe(r);

  const std::vector<std::pair<uint64_t, const char*>> bad = {
      {0x500000 | (3 << 3) | 0, "eptp-memory-type"},
      {0x500000 | (4 << 3) | 6, "eptp-walk-length"},
      {0x500000 | (1 << 6) | (3 << 3) | 6, "eptp-accessed-dirty"},
      {0x500000 | (1 << 8) | (3 << 3) | 6, "eptp-reserved"},
      {(1ull << 41) | (3 << 3) | 6, "eptp-reserved"},
  };
  for (const auto& [eptp, id] : bad) {
    SCOPED_TRACE(id);
    Vmcs vmcs = base;
    vmcs.set(VmcsField::ept_pointer, eptp);
    r = check(vmcs, env);
    ASSERT_FALSE(r.passed);
    EXPECT_STREQ(r.failure.id, id);
  }
}

// ---------------------------------------------------------------- VMCS link pointer and memory

struct FakeMemory {
  std::map<uint64_t, uint64_t> qwords;
  static bool read(void* context, uint64_t address, uint64_t* value) {
    const auto& q = static_cast<FakeMemory*>(context)->qwords;
    auto it = q.find(address);
    if (it == q.end()) return false;
    *value = it->second;
    return true;
  }
};

TEST(VmxEntryChecks, LinkPointerNeedsAVmcsWithTheRevision) {
  const vmx::CapabilityMsrs& msrs = model("corei7_icelake_u").msrs;
  FakeMemory memory;
  memory.qwords[0] = 0;  // the real-mode IVT at 0: no VMCS there
  memory.qwords[0x7000] = ia32::vmx::VmxBasic{msrs.basic}.revision_id();
  memory.qwords[0x8000] = ia32::vmx::VmxBasic{msrs.basic}.revision_id() | (1u << 31);
  vmx::EntryCheckEnvironment env = bochs_environment(msrs);
  env.memory = {&FakeMemory::read, &memory};

  Vmcs vmcs = demo_vmcs(msrs);
  vmcs.set(VmcsField::vmcs_link_pointer, 0);
  vmx::EntryCheckResult r = check(vmcs, env);
  ASSERT_FALSE(r.passed);
  EXPECT_STREQ(r.failure.id, "guest-vmcs-link-revision");
  EXPECT_EQ(r.failure.expected, ~0ull);

  vmcs.set(VmcsField::vmcs_link_pointer, 0x7000);
  r = check(vmcs, env);
  EXPECT_TRUE(r.passed) << describe(r);

  vmcs.set(VmcsField::vmcs_link_pointer, 0x8000);  // a shadow VMCS, without VMCS shadowing
  r = check(vmcs, env);
  ASSERT_FALSE(r.passed);
  EXPECT_STREQ(r.failure.id, "guest-vmcs-link-shadow-indicator");

  vmcs.set(VmcsField::vmcs_link_pointer, 0x9000);  // nothing readable there
  EXPECT_STREQ(check(vmcs, env).failure.id, "guest-vmcs-link-readable");
}

TEST(VmxEntryChecks, PaeGuestPdptesAreReadFromCr3WithoutEpt) {
  const vmx::CapabilityMsrs& msrs = model("broadwell_ult").msrs;
  FakeMemory memory;
  vmx::EntryCheckEnvironment env = bochs_environment(msrs);
  env.memory = {&FakeMemory::read, &memory};
  Vmcs vmcs = demo_vmcs(msrs);
  // (The VMM uses EPT on this model: here the VMCS without it.)
  vmcs.clear_bits(VmcsField::secondary_processor_controls, secondary::enable_ept);
  vmcs.set_bits(VmcsField::guest_cr4, cr4::pae);
  const uint64_t pdpt = vmcs.get(VmcsField::guest_cr3);
  EXPECT_STREQ(check(vmcs, env).failure.id, "guest-pdpte-readable");
  for (int i = 0; i < 4; ++i) memory.qwords[pdpt + 8 * i] = 0;
  memory.qwords[pdpt] = 0x12345001;
  vmx::EntryCheckResult r = check(vmcs, env);
  EXPECT_TRUE(r.passed) << describe(r);
  memory.qwords[pdpt + 16] = 0x12345003;  // present with bit 1 (reserved in a PDPTE)
  EXPECT_STREQ(check(vmcs, env).failure.id, "guest-pdpte-memory");
}

// ---------------------------------------------------------------- a protected-mode guest

// The same VMCS turned into a flat 32-bit protected-mode guest at CPL 0: the
// non-V86 segment rules pass, and each broken one is named.
Vmcs protected_mode_vmcs(const vmx::CapabilityMsrs& msrs) {
  Vmcs v = demo_vmcs(msrs);
  v.set(VmcsField::guest_rflags, 0x2);
  const VmcsField data[][4] = {
      {VmcsField::guest_ss_selector, VmcsField::guest_ss_base, VmcsField::guest_ss_limit,
       VmcsField::guest_ss_access_rights},
      {VmcsField::guest_ds_selector, VmcsField::guest_ds_base, VmcsField::guest_ds_limit,
       VmcsField::guest_ds_access_rights},
      {VmcsField::guest_es_selector, VmcsField::guest_es_base, VmcsField::guest_es_limit,
       VmcsField::guest_es_access_rights},
      {VmcsField::guest_fs_selector, VmcsField::guest_fs_base, VmcsField::guest_fs_limit,
       VmcsField::guest_fs_access_rights},
      {VmcsField::guest_gs_selector, VmcsField::guest_gs_base, VmcsField::guest_gs_limit,
       VmcsField::guest_gs_access_rights},
  };
  for (const auto& f : data) {
    v.set(f[0], 0x10);
    v.set(f[1], 0);
    v.set(f[2], 0xFFFFFFFF);
    v.set(f[3], 0xC093);  // G, D/B, present, DPL 0, read/write accessed data
  }
  v.set(VmcsField::guest_cs_selector, 0x08);
  v.set(VmcsField::guest_cs_base, 0);
  v.set(VmcsField::guest_cs_limit, 0xFFFFFFFF);
  v.set(VmcsField::guest_cs_access_rights, 0xC09B);  // execute/read accessed code
  return v;
}

TEST(VmxEntryChecks, ProtectedModeGuestRules) {
  const vmx::CapabilityMsrs& msrs = model("corei7_sandy_bridge_2600k").msrs;
  const vmx::EntryCheckEnvironment env = bochs_environment(msrs);
  {
    Vmcs vmcs = protected_mode_vmcs(msrs);
    vmx::EntryCheckResult r = check(vmcs, env);
    EXPECT_TRUE(r.passed) << describe(r);
  }
  const std::vector<Mutation> broken = {
      {"SS RPL 3, CS RPL 0", [](Vmcs& v) { v.set(VmcsField::guest_ss_selector, 0x13); },
       "guest-ss-cs-rpl"},
      {"CS a data segment", [](Vmcs& v) { v.set(VmcsField::guest_cs_access_rights, 0xC093); },
       "guest-cs-type"},
      {"SS read-only", [](Vmcs& v) { v.set(VmcsField::guest_ss_access_rights, 0xC091); },
       "guest-ss-type"},
      {"ES not accessed", [](Vmcs& v) { v.set(VmcsField::guest_es_access_rights, 0xC092); },
       "guest-es-type"},
      {"GS a system segment", [](Vmcs& v) { v.set(VmcsField::guest_gs_access_rights, 0xC083); },
       "guest-gs-s"},
      {"CS DPL 3 with SS DPL 0", [](Vmcs& v) { v.set(VmcsField::guest_cs_access_rights, 0xC0FB); },
       "guest-cs-dpl"},
      {"DS DPL 0 below RPL 3", [](Vmcs& v) { v.set(VmcsField::guest_ds_selector, 0x13); },
       "guest-ds-dpl"},
      {"FS not present", [](Vmcs& v) { v.set(VmcsField::guest_fs_access_rights, 0xC013); },
       "guest-fs-present"},
      {"CS access-rights bit 8", [](Vmcs& v) { v.set(VmcsField::guest_cs_access_rights, 0xC19B); },
       "guest-cs-access-rights-reserved"},
      {"DS G clear with a 4 GiB limit",
       [](Vmcs& v) { v.set(VmcsField::guest_ds_access_rights, 0x4093); }, "guest-ds-granularity"},
      {"unusable DS may be anything",
       [](Vmcs& v) { v.set(VmcsField::guest_ds_access_rights, 0x10000); }, nullptr},
  };
  for (const Mutation& mutation : broken) {
    SCOPED_TRACE(mutation.name);
    Vmcs vmcs = protected_mode_vmcs(msrs);
    mutation.mutate(vmcs);
    vmx::EntryCheckResult r = check(vmcs, env);
    if (mutation.expected_id == nullptr) {
      EXPECT_TRUE(r.passed) << describe(r);
    } else {
      ASSERT_FALSE(r.passed);
      EXPECT_STREQ(r.failure.id, mutation.expected_id) << describe(r);
    }
  }
}

// ---------------------------------------------------------------- the console line

TEST(VmxEntryChecks, PrintGoesToTheConsoleInOneOrTwoLines) {
  vmx::CheckFailure f{};
  f.id = "host-cs-selector-rpl-ti";
  f.sdm_section = "26.2.3";
  f.rule = "Host CS selector RPL (bits 1:0) and TI (bit 2) must be 0.";
  f.kind = vmx::EntryFailureKind::invalid_host_state;
  f.field = encoding(VmcsField::host_cs_selector);
  f.found = 0x9;
  f.expected = 0x8;
  f.has_expected = true;
  console::recorded_lines.clear();
  vmx::print_check_failure(f);
  ASSERT_EQ(console::recorded_lines.size(), 1u);
  EXPECT_EQ(console::recorded_lines[0],
            "entry check failed: host-cs-selector-rpl-ti (SDM 26.2.3): Host CS selector RPL (bits "
            "1:0) and TI (bit 2) must be 0.; host_cs_selector = 0x9, expected 0x8\n");

  // A line too long for console::printf is split after the rule.
  const std::string long_rule(150, 'r');
  f.rule = long_rule.c_str();
  f.has_related = true;
  f.related_field = 0x1234;  // no such field: printed by number
  f.related_value = 0xFFFF;
  console::recorded_lines.clear();
  vmx::print_check_failure(f);
  ASSERT_EQ(console::recorded_lines.size(), 2u);
  EXPECT_EQ(console::recorded_lines[0],
            "entry check failed: host-cs-selector-rpl-ti (SDM 26.2.3): " + long_rule + "\n");
  EXPECT_EQ(console::recorded_lines[1],
            "  host_cs_selector = 0x9, expected 0x8 (field 0x1234 = 0xffff)\n");
}

// ---------------------------------------------------------------- field names

TEST(VmxFieldNames, EveryMachineFieldHasItsEnumeratorName) {
  for (const vmx::MachineEntry& e : vmx::machine) {
    const char* name = ia32::vmx::field_name(encoding(e.field));
    ASSERT_NE(name, nullptr) << std::hex << encoding(e.field);
  }
  EXPECT_STREQ(ia32::vmx::field_name(0x0802), "guest_cs_selector");
  EXPECT_STREQ(ia32::vmx::field_name(0x4400), "vm_instruction_error");
  EXPECT_STREQ(ia32::vmx::field_name(0x6C16), "host_rip");
  EXPECT_EQ(ia32::vmx::field_name(0x6C17), nullptr);
  std::set<std::string> names;
  for (const ia32::vmx::FieldName& entry : ia32::vmx::field_names) {
    EXPECT_TRUE(names.insert(entry.name).second) << entry.name;
  }
}

}  // namespace
