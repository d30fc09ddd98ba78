// machine[] and results[] (vmm/vmx/vmcs_image.h) and the V86 guest state and
// controls written through them (vmm/guests/v86_demo/guest_state.h).
#include <gtest/gtest.h>

#include "ia32/registers.h"
#include "vmx/plan.h"

#include "tests/unit/sample_guest_header.h"

#include <map>
#include <vector>

#include "guest_header.h"
#include "layout.h"
#include "guests/v86_demo/guest_state.h"
#include "vmx/vmcs_image.h"

namespace {

using ia32::vmx::VmcsField;
using ia32::vmx::encoding;

size_t machine_count(VmcsField field) {
  size_t n = 0;
  for (const vmx::MachineEntry& e : vmx::machine) n += e.field == field;
  return n;
}

// Every field a VM entry consults for this guest and a 64-bit host, per SDM
// 27.2 (controls, host state) and 27.3 (guest state); listed here apart from
// machine[] so that an entry dropped there is noticed.
const VmcsField required_fields[] = {
    VmcsField::pin_based_controls, VmcsField::primary_processor_controls,
    VmcsField::exit_controls, VmcsField::entry_controls, VmcsField::exception_bitmap,
    VmcsField::page_fault_error_code_mask, VmcsField::page_fault_error_code_match,
    VmcsField::cr3_target_count, VmcsField::exit_msr_store_count,
    VmcsField::exit_msr_load_count, VmcsField::entry_msr_load_count,
    VmcsField::entry_interruption_info, VmcsField::io_bitmap_a_address,
    VmcsField::io_bitmap_b_address, VmcsField::cr0_guest_host_mask,
    VmcsField::cr4_guest_host_mask, VmcsField::cr0_read_shadow, VmcsField::cr4_read_shadow,
    VmcsField::guest_es_selector, VmcsField::guest_cs_selector, VmcsField::guest_ss_selector,
    VmcsField::guest_ds_selector, VmcsField::guest_fs_selector, VmcsField::guest_gs_selector,
    VmcsField::guest_ldtr_selector, VmcsField::guest_tr_selector,
    VmcsField::guest_es_limit, VmcsField::guest_cs_limit, VmcsField::guest_ss_limit,
    VmcsField::guest_ds_limit, VmcsField::guest_fs_limit, VmcsField::guest_gs_limit,
    VmcsField::guest_ldtr_limit, VmcsField::guest_tr_limit,
    VmcsField::guest_es_access_rights, VmcsField::guest_cs_access_rights,
    VmcsField::guest_ss_access_rights, VmcsField::guest_ds_access_rights,
    VmcsField::guest_fs_access_rights, VmcsField::guest_gs_access_rights,
    VmcsField::guest_ldtr_access_rights, VmcsField::guest_tr_access_rights,
    VmcsField::guest_es_base, VmcsField::guest_cs_base, VmcsField::guest_ss_base,
    VmcsField::guest_ds_base, VmcsField::guest_fs_base, VmcsField::guest_gs_base,
    VmcsField::guest_ldtr_base, VmcsField::guest_tr_base,
    VmcsField::guest_gdtr_base, VmcsField::guest_gdtr_limit, VmcsField::guest_idtr_base,
    VmcsField::guest_idtr_limit, VmcsField::guest_cr0, VmcsField::guest_cr3,
    VmcsField::guest_cr4, VmcsField::guest_dr7, VmcsField::guest_rsp, VmcsField::guest_rip,
    VmcsField::guest_rflags, VmcsField::guest_pending_debug_exceptions,
    VmcsField::guest_ia32_sysenter_cs, VmcsField::guest_ia32_sysenter_esp,
    VmcsField::guest_ia32_sysenter_eip, VmcsField::guest_interruptibility_state,
    VmcsField::guest_activity_state, VmcsField::vmcs_link_pointer,
    VmcsField::guest_ia32_debugctl,
    VmcsField::host_es_selector, VmcsField::host_cs_selector, VmcsField::host_ss_selector,
    VmcsField::host_ds_selector, VmcsField::host_fs_selector, VmcsField::host_gs_selector,
    VmcsField::host_tr_selector, VmcsField::host_cr0, VmcsField::host_cr3,
    VmcsField::host_cr4, VmcsField::host_fs_base, VmcsField::host_gs_base,
    VmcsField::host_tr_base, VmcsField::host_gdtr_base, VmcsField::host_idtr_base,
    VmcsField::host_ia32_sysenter_cs, VmcsField::host_ia32_sysenter_esp,
    VmcsField::host_ia32_sysenter_eip, VmcsField::host_rsp, VmcsField::host_rip,
};

// Fields written only under a control bit.
const VmcsField conditional_fields[] = {
    VmcsField::secondary_processor_controls, VmcsField::guest_ia32_pat,
    VmcsField::guest_ia32_efer, VmcsField::host_ia32_pat, VmcsField::host_ia32_efer,
    // The EPT pointer with "enable EPT", the timer with its pin-based bit:
    // a CPU without the feature has no such field (VMWRITE fails there).
    VmcsField::ept_pointer, VmcsField::guest_preemption_timer_value,
    // The MSR bitmap with "use MSR bitmaps" (chain mode only).
    VmcsField::msr_bitmap_address,
};

TEST(VmxMachine, EveryRequiredFieldExactlyOnce) {
  for (VmcsField f : required_fields) {
    EXPECT_EQ(machine_count(f), 1u) << std::hex << encoding(f);
  }
  for (VmcsField f : conditional_fields) {
    EXPECT_EQ(machine_count(f), 1u) << std::hex << encoding(f);
  }
}

TEST(VmxMachine, OnlyWritableFieldsAndRightWidths) {
  for (const vmx::MachineEntry& e : vmx::machine) {
    SCOPED_TRACE(encoding(e.field));
    EXPECT_NE(ia32::vmx::field_type(encoding(e.field)), ia32::vmx::FieldType::exit_information)
        << "read-only field in machine[]";
    EXPECT_EQ(e.bytes, ia32::vmx::field_bytes(e.field));
    EXPECT_EQ(encoding(e.field) & 1, 0u) << "high-half access";
    EXPECT_LE(e.offset + e.bytes, sizeof(vmx::VmcsImage));
  }
}

TEST(VmxMachine, ConditionalEntriesNameTheirControlBit) {
  for (const vmx::MachineEntry& e : vmx::machine) {
    bool conditional = false;
    for (VmcsField f : conditional_fields) conditional |= f == e.field;
    EXPECT_EQ(e.condition.mask != 0, conditional) << std::hex << encoding(e.field);
  }
}

layout::GuestHeader sample_header() { return sample_guest_header(); }

vmx::VmcsImage sample_image(const vmx::ControlWords& words) {
  vmx::VmcsImage image{};
  guests::v86_demo::build_guest_state(sample_header(), layout::GUEST_ADDR, 0x80000031, 0x2010, image.guest);
  image.controls.words = words;
  image.controls.io_bitmap_a_address = 0x123000;
  image.controls.io_bitmap_b_address = 0x124000;
  guests::v86_demo::build_control_state(image.guest, image.controls);
  image.host.cs_selector = 0x08;
  image.host.tr_selector = 0x28;
  image.host.rip = 0x401234;
  image.host.rsp = 0x480000;
  image.host.ia32_efer = 0x500;
  return image;
}

struct MapWriter {
  std::map<uint32_t, uint64_t> fields;
  std::vector<uint32_t> order;
  uint32_t fail_at = 0;  // field encoding whose write fails, 0 = none

  static bool write(void* context, uint32_t field, uint64_t value) {
    auto* self = static_cast<MapWriter*>(context);
    if (field == self->fail_at) return false;
    self->order.push_back(field);
    self->fields[field] = value;
    return true;
  }
  vmx::VmcsWriter writer() { return {this, &MapWriter::write}; }
};

TEST(VmxMachine, WritesEveryApplicableFieldWithItsValue) {
  vmx::ControlWords words = guests::v86_demo::wanted_controls;
  vmx::VmcsImage image = sample_image(words);
  MapWriter map;
  vmx::MachineWriteResult result = vmx::write_machine(image, map.writer());
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.written, map.order.size());
  EXPECT_EQ(map.fields.size(), map.order.size()) << "a field written twice";
  for (VmcsField f : required_fields) EXPECT_EQ(map.fields.count(encoding(f)), 1u);
  for (VmcsField f : conditional_fields) {
    EXPECT_EQ(map.fields.count(encoding(f)), 0u) << std::hex << encoding(f);
  }
  EXPECT_EQ(map.fields[encoding(VmcsField::guest_rflags)], 0x23002u);
  EXPECT_EQ(map.fields[encoding(VmcsField::guest_cs_selector)], layout::GUEST_ADDR >> 4);
  EXPECT_EQ(map.fields[encoding(VmcsField::guest_cs_base)], layout::GUEST_ADDR);
  EXPECT_EQ(map.fields[encoding(VmcsField::host_rip)], 0x401234u);
  EXPECT_EQ(map.fields[encoding(VmcsField::io_bitmap_b_address)], 0x124000u);
  EXPECT_EQ(map.fields[encoding(VmcsField::vmcs_link_pointer)], ~0ull);
  EXPECT_EQ(map.fields[encoding(VmcsField::primary_processor_controls)],
            ia32::vmx::primary_processor::use_io_bitmaps);
}

TEST(VmxMachine, ControlBitsBringTheirFieldsIn) {
  vmx::ControlWords words = guests::v86_demo::wanted_controls;
  words.primary_processor |= ia32::vmx::primary_processor::activate_secondary_controls;
  words.exit |= ia32::vmx::exit::load_efer;
  words.entry |= ia32::vmx::entry::load_pat;
  vmx::VmcsImage image = sample_image(words);
  MapWriter map;
  ASSERT_TRUE(vmx::write_machine(image, map.writer()).ok);
  EXPECT_EQ(map.fields.count(encoding(VmcsField::secondary_processor_controls)), 1u);
  EXPECT_EQ(map.fields[encoding(VmcsField::host_ia32_efer)], 0x500u);
  EXPECT_EQ(map.fields[encoding(VmcsField::guest_ia32_pat)], vmx::guest_pat);
  EXPECT_EQ(map.fields.count(encoding(VmcsField::host_ia32_pat)), 0u);
  EXPECT_EQ(map.fields.count(encoding(VmcsField::guest_ia32_efer)), 0u);
}

TEST(VmxMachine, StopsAtTheFirstFailedWrite) {
  vmx::VmcsImage image = sample_image(guests::v86_demo::wanted_controls);
  MapWriter map;
  map.fail_at = encoding(VmcsField::guest_tr_base);
  vmx::MachineWriteResult result = vmx::write_machine(image, map.writer());
  ASSERT_FALSE(result.ok);
  ASSERT_NE(result.failed, nullptr);
  EXPECT_EQ(result.failed->field, VmcsField::guest_tr_base);
  EXPECT_EQ(map.fields.count(encoding(VmcsField::host_rip)), 0u) << "wrote on after the failure";
}

TEST(VmxMachine, StorageWidthsAreWhatTheEncodingsSay) {
  // Natural-width fields need 64-bit storage: the 2007 demo's 32-bit
  // variables would have let VMREAD write 8 bytes into 4.
  EXPECT_EQ(sizeof(vmx::GuestState::rflags), 8u);
  EXPECT_EQ(sizeof(vmx::HostState::rip), 8u);
  EXPECT_EQ(sizeof(vmx::ExitInfo::exit_qualification), 8u);
  EXPECT_EQ(sizeof(vmx::SegmentState::selector), 2u);
  EXPECT_EQ(sizeof(vmx::SegmentState::access_rights), 4u);
}

TEST(VmxV86GuestState, FollowsTheVirtual8086EntryRules) {
  vmx::VmcsImage image = sample_image(guests::v86_demo::wanted_controls);
  const vmx::GuestState& g = image.guest;
  const vmx::SegmentState* segments[] = {&g.es, &g.cs, &g.ss, &g.ds, &g.fs, &g.gs};
  for (const vmx::SegmentState* s : segments) {
    EXPECT_EQ(s->base, static_cast<uint64_t>(s->selector) * 16);
    EXPECT_EQ(s->limit, 0xFFFFu);
    EXPECT_EQ(s->access_rights, 0xF3u);
  }
  EXPECT_EQ(g.cs.selector, layout::GUEST_ADDR >> 4);
  EXPECT_NE(g.rflags & rflags::vm, 0u);
  EXPECT_NE(g.rflags & rflags::reserved_1, 0u);
  EXPECT_EQ(g.rflags & (1u << 9), 0u) << "IF must stay clear";
  EXPECT_EQ(g.cr0 & (cr0::pe | cr0::pg | cr0::ne),
            cr0::pe | cr0::pg | cr0::ne);
  EXPECT_EQ(g.cr4 & cr4::pae, 0u);
  EXPECT_EQ(g.tr.access_rights, 0x8Bu);
  EXPECT_EQ(g.tr.selector & 4, 0u) << "TR must be a GDT selector";
  EXPECT_EQ(g.tr.base, layout::GUEST_ADDR + 0x278u);
  EXPECT_EQ(g.tr.limit, 0x108u);
  EXPECT_EQ(g.ldtr.access_rights, 0x82u);
  EXPECT_EQ(g.ldtr.selector & 4, 0u);
  EXPECT_EQ(g.ldtr.base, layout::GUEST_ADDR + 0x158u);
  EXPECT_EQ(g.vmcs_link_pointer, ~0ull);
  EXPECT_EQ(g.activity_state, 0u);
  EXPECT_EQ(g.cr3, layout::GUEST_ADDR + 0x1000u);
  EXPECT_EQ(g.rip, 0x48u);
  EXPECT_EQ(g.rsp, 0x2200u);
  EXPECT_EQ(g.dr7, 0x400u);
}

TEST(VmxV86GuestState, HostOwnsControlRegistersAndShadowsThem) {
  vmx::VmcsImage image = sample_image(guests::v86_demo::wanted_controls);
  // Every bit owned: a guest write that changes any exits (its paging stays
  // the VMM's choice without EPT).
  EXPECT_EQ(image.controls.cr0_guest_host_mask, ~0ull);
  EXPECT_EQ(image.controls.cr4_guest_host_mask, ~0ull);
  EXPECT_EQ(image.controls.cr0_read_shadow, 0x80000031u);
  EXPECT_EQ(image.controls.cr4_read_shadow, 0x10u) << "VMXE hidden from the guest";
  EXPECT_EQ(image.controls.exception_bitmap & (1u << 13), 0u) << "#GP stays in the guest";
  EXPECT_EQ(image.controls.exception_bitmap & (1u << 8), 0u)
      << "#DF stays in the guest: one it cannot deliver is a triple-fault exit";
  EXPECT_EQ(image.controls.exception_bitmap | (1u << 13) | (1u << 8), 0xFFFFFFFFu);
}

TEST(VmxResults, EveryExitReadsTheFirstFourThenWhatItDefines) {
  ASSERT_GE(vmx::results_size, vmx::results_every_exit + vmx::results_where_defined);
  EXPECT_EQ(vmx::results[0].field, VmcsField::exit_reason);
  EXPECT_EQ(vmx::results[1].field, VmcsField::exit_qualification);
  EXPECT_EQ(vmx::results[2].field, VmcsField::exit_instruction_length);
  EXPECT_EQ(vmx::results[3].field, VmcsField::guest_rip);
  for (const vmx::ResultEntry& r : vmx::results) {
    SCOPED_TRACE(encoding(r.field));
    EXPECT_EQ(r.bytes, ia32::vmx::field_bytes(r.field));
    ia32::vmx::FieldType type = ia32::vmx::field_type(encoding(r.field));
    EXPECT_TRUE(type == ia32::vmx::FieldType::exit_information ||
                type == ia32::vmx::FieldType::guest);
  }
}

TEST(VmxResults, ReadIntoExitInfoAndStopOnFailure) {
  std::map<uint32_t, uint64_t> vmcs = {
      {0x4402, 30}, {0x6400, 0x03F80010}, {0x440C, 2}, {0x681E, 0x77},
      {0x440E, 0x0001C000}, {0x640A, 0x10000}, {0x2400, 0x5000}, {0x681C, 0x2200},
      {0x6820, 0x23002},
      {0x4404, 0x80000B0D}, {0x4406, 0}, {0x4408, 0}, {0x440A, 0xFFFFFFFFFFFFFFFFull},
  };
  auto read = [&](uint32_t field, uint64_t* value) {
    auto it = vmcs.find(field);
    if (it == vmcs.end()) return false;
    *value = it->second;
    return true;
  };
  vmx::ExitInfo info{};
  EXPECT_TRUE((vmx::read_results_range<0, vmx::results_size>(info, read)));
  EXPECT_EQ(info.exit_reason, 30u);
  EXPECT_EQ(info.exit_qualification, 0x03F80010u);
  EXPECT_EQ(info.instruction_length, 2u);
  EXPECT_EQ(info.guest_rip, 0x77u);
  EXPECT_EQ(info.guest_physical_address, 0x5000u);
  EXPECT_EQ(info.guest_rflags, 0x23002u);
  EXPECT_EQ(info.interruption_info, 0x80000B0Du);
  EXPECT_EQ(info.idt_vectoring_error_code, 0xFFFFFFFFu) << "truncated to 32 bits";

  vmcs.erase(0x681C);  // guest RSP unreadable
  uint32_t failed = 0;
  auto read_noting_failure = [&](uint32_t field, uint64_t* value) {
    if (read(field, value)) return true;
    failed = field;
    return false;
  };
  vmx::ExitInfo partial{};
  EXPECT_FALSE((vmx::read_results_range<0, vmx::results_size>(partial, read_noting_failure)));
  EXPECT_EQ(failed, encoding(VmcsField::guest_rsp));
  EXPECT_EQ(partial.guest_rip, 0x77u) << "read before the failure";
  EXPECT_EQ(partial.guest_rflags, 0u) << "not read after it";

  vmx::ExitInfo io{};
  ASSERT_EQ(vmx::results_every_exit, 4u);
  EXPECT_TRUE((vmx::read_results_range<1, vmx::results_every_exit>(io, read)));
  EXPECT_EQ(io.exit_reason, 0u) << "entry 0 not read again";
  EXPECT_EQ(io.guest_rip, 0x77u);
  EXPECT_EQ(io.instruction_info, 0u);
}

}  // namespace
