// VMCS field encodings (vmm/ia32/vmx/fields.h) against the numbers printed in
// SDM Vol. 3 appendix B, the fields' names (field_names.h), and the name tables for exit reasons, VM-instruction
// errors and control bits.
#include <gtest/gtest.h>

#include <cctype>
#include <iterator>
#include <set>
#include <string>

#include "ia32/vmx/controls.h"
#include "ia32/vmx/exit_reason.h"
#include "ia32/vmx/field_names.h"
#include "ia32/vmx/fields.h"
#include "ia32/vmx/instruction_error.h"
#include "ia32/vmx/interruption_info.h"

namespace {

using ia32::vmx::FieldWidth;
using ia32::vmx::VmcsField;

struct Expected {
  VmcsField field;
  uint32_t sdm_encoding;
};

// Typed from appendix B's tables, independently of the index arithmetic.
const Expected sdm_table[] = {
    {VmcsField::virtual_processor_id, 0x0000},
    {VmcsField::posted_interrupt_notification_vector, 0x0002},
    {VmcsField::guest_es_selector, 0x0800}, {VmcsField::guest_cs_selector, 0x0802},
    {VmcsField::guest_ss_selector, 0x0804}, {VmcsField::guest_ds_selector, 0x0806},
    {VmcsField::guest_fs_selector, 0x0808}, {VmcsField::guest_gs_selector, 0x080A},
    {VmcsField::guest_ldtr_selector, 0x080C}, {VmcsField::guest_tr_selector, 0x080E},
    {VmcsField::host_es_selector, 0x0C00}, {VmcsField::host_cs_selector, 0x0C02},
    {VmcsField::host_ss_selector, 0x0C04}, {VmcsField::host_ds_selector, 0x0C06},
    {VmcsField::host_fs_selector, 0x0C08}, {VmcsField::host_gs_selector, 0x0C0A},
    {VmcsField::host_tr_selector, 0x0C0C},
    {VmcsField::io_bitmap_a_address, 0x2000}, {VmcsField::io_bitmap_b_address, 0x2002},
    {VmcsField::msr_bitmap_address, 0x2004}, {VmcsField::exit_msr_store_address, 0x2006},
    {VmcsField::exit_msr_load_address, 0x2008}, {VmcsField::entry_msr_load_address, 0x200A},
    {VmcsField::executive_vmcs_pointer, 0x200C}, {VmcsField::pml_address, 0x200E},
    {VmcsField::tsc_offset, 0x2010},
    {VmcsField::virtual_apic_address, 0x2012}, {VmcsField::apic_access_address, 0x2014},
    {VmcsField::posted_interrupt_descriptor_address, 0x2016},
    {VmcsField::ept_pointer, 0x201A},
    {VmcsField::vmread_bitmap_address, 0x2026}, {VmcsField::vmwrite_bitmap_address, 0x2028},
    {VmcsField::virtualization_exception_info_address, 0x202A},
    {VmcsField::guest_physical_address, 0x2400},
    {VmcsField::vmcs_link_pointer, 0x2800}, {VmcsField::guest_ia32_debugctl, 0x2802},
    {VmcsField::guest_ia32_pat, 0x2804}, {VmcsField::guest_ia32_efer, 0x2806},
    {VmcsField::guest_ia32_perf_global_ctrl, 0x2808},
    {VmcsField::guest_pdpte0, 0x280A}, {VmcsField::guest_pdpte1, 0x280C},
    {VmcsField::guest_pdpte2, 0x280E}, {VmcsField::guest_pdpte3, 0x2810},
    {VmcsField::host_ia32_pat, 0x2C00}, {VmcsField::host_ia32_efer, 0x2C02},
    {VmcsField::host_ia32_perf_global_ctrl, 0x2C04},
    {VmcsField::pin_based_controls, 0x4000}, {VmcsField::primary_processor_controls, 0x4002},
    {VmcsField::exception_bitmap, 0x4004}, {VmcsField::page_fault_error_code_mask, 0x4006},
    {VmcsField::page_fault_error_code_match, 0x4008}, {VmcsField::cr3_target_count, 0x400A},
    {VmcsField::exit_controls, 0x400C}, {VmcsField::exit_msr_store_count, 0x400E},
    {VmcsField::exit_msr_load_count, 0x4010}, {VmcsField::entry_controls, 0x4012},
    {VmcsField::entry_msr_load_count, 0x4014}, {VmcsField::entry_interruption_info, 0x4016},
    {VmcsField::entry_exception_error_code, 0x4018},
    {VmcsField::entry_instruction_length, 0x401A}, {VmcsField::tpr_threshold, 0x401C},
    {VmcsField::secondary_processor_controls, 0x401E},
    {VmcsField::vm_instruction_error, 0x4400}, {VmcsField::exit_reason, 0x4402},
    {VmcsField::exit_interruption_info, 0x4404},
    {VmcsField::exit_interruption_error_code, 0x4406},
    {VmcsField::idt_vectoring_info, 0x4408}, {VmcsField::idt_vectoring_error_code, 0x440A},
    {VmcsField::exit_instruction_length, 0x440C}, {VmcsField::exit_instruction_info, 0x440E},
    {VmcsField::guest_es_limit, 0x4800}, {VmcsField::guest_cs_limit, 0x4802},
    {VmcsField::guest_ss_limit, 0x4804}, {VmcsField::guest_ds_limit, 0x4806},
    {VmcsField::guest_fs_limit, 0x4808}, {VmcsField::guest_gs_limit, 0x480A},
    {VmcsField::guest_ldtr_limit, 0x480C}, {VmcsField::guest_tr_limit, 0x480E},
    {VmcsField::guest_gdtr_limit, 0x4810}, {VmcsField::guest_idtr_limit, 0x4812},
    {VmcsField::guest_es_access_rights, 0x4814}, {VmcsField::guest_cs_access_rights, 0x4816},
    {VmcsField::guest_ss_access_rights, 0x4818}, {VmcsField::guest_ds_access_rights, 0x481A},
    {VmcsField::guest_fs_access_rights, 0x481C}, {VmcsField::guest_gs_access_rights, 0x481E},
    {VmcsField::guest_ldtr_access_rights, 0x4820},
    {VmcsField::guest_tr_access_rights, 0x4822},
    {VmcsField::guest_interruptibility_state, 0x4824},
    {VmcsField::guest_activity_state, 0x4826}, {VmcsField::guest_smbase, 0x4828},
    {VmcsField::guest_ia32_sysenter_cs, 0x482A},
    {VmcsField::guest_preemption_timer_value, 0x482E},
    {VmcsField::host_ia32_sysenter_cs, 0x4C00},
    {VmcsField::cr0_guest_host_mask, 0x6000}, {VmcsField::cr4_guest_host_mask, 0x6002},
    {VmcsField::cr0_read_shadow, 0x6004}, {VmcsField::cr4_read_shadow, 0x6006},
    {VmcsField::exit_qualification, 0x6400}, {VmcsField::io_rcx, 0x6402},
    {VmcsField::io_rsi, 0x6404}, {VmcsField::io_rdi, 0x6406}, {VmcsField::io_rip, 0x6408},
    {VmcsField::guest_linear_address, 0x640A},
    {VmcsField::guest_cr0, 0x6800}, {VmcsField::guest_cr3, 0x6802},
    {VmcsField::guest_cr4, 0x6804}, {VmcsField::guest_es_base, 0x6806},
    {VmcsField::guest_cs_base, 0x6808}, {VmcsField::guest_ss_base, 0x680A},
    {VmcsField::guest_ds_base, 0x680C}, {VmcsField::guest_fs_base, 0x680E},
    {VmcsField::guest_gs_base, 0x6810}, {VmcsField::guest_ldtr_base, 0x6812},
    {VmcsField::guest_tr_base, 0x6814}, {VmcsField::guest_gdtr_base, 0x6816},
    {VmcsField::guest_idtr_base, 0x6818}, {VmcsField::guest_dr7, 0x681A},
    {VmcsField::guest_rsp, 0x681C}, {VmcsField::guest_rip, 0x681E},
    {VmcsField::guest_rflags, 0x6820}, {VmcsField::guest_pending_debug_exceptions, 0x6822},
    {VmcsField::guest_ia32_sysenter_esp, 0x6824}, {VmcsField::guest_ia32_sysenter_eip, 0x6826},
    {VmcsField::host_cr0, 0x6C00}, {VmcsField::host_cr3, 0x6C02},
    {VmcsField::host_cr4, 0x6C04}, {VmcsField::host_fs_base, 0x6C06},
    {VmcsField::host_gs_base, 0x6C08}, {VmcsField::host_tr_base, 0x6C0A},
    {VmcsField::host_gdtr_base, 0x6C0C}, {VmcsField::host_idtr_base, 0x6C0E},
    {VmcsField::host_ia32_sysenter_esp, 0x6C10}, {VmcsField::host_ia32_sysenter_eip, 0x6C12},
    {VmcsField::host_rsp, 0x6C14}, {VmcsField::host_rip, 0x6C16},
};

TEST(VmxFields, EncodingsMatchTheSdm) {
  std::set<uint32_t> seen;
  for (const Expected& e : sdm_table) {
    EXPECT_EQ(ia32::vmx::encoding(e.field), e.sdm_encoding) << std::hex << e.sdm_encoding;
    EXPECT_TRUE(seen.insert(e.sdm_encoding).second) << "listed twice: " << std::hex << e.sdm_encoding;
  }
}

// The table above is typed independently of VMX_VMCS_FIELDS: holding every
// field the project knows, it checks each encoding; and each field has a
// name of its own, printable as it is spelled in the source.
TEST(VmxFields, EveryFieldIsCheckedAndHasAUniqueName) {
  EXPECT_EQ(ia32::vmx::field_name_count, std::size(sdm_table))
      << "VMX_VMCS_FIELDS and sdm_table list different fields";
  std::set<std::string> names;
  for (const Expected& e : sdm_table) {
    const char* name = ia32::vmx::field_name(e.field);
    ASSERT_NE(name, nullptr) << std::hex << e.sdm_encoding;
    EXPECT_TRUE(names.insert(name).second) << "named twice: " << name;
    for (char c : std::string(name)) {
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '_')
          << name;
    }
  }
  EXPECT_EQ(names.size(), ia32::vmx::field_name_count);
  EXPECT_STREQ(ia32::vmx::field_name(VmcsField::guest_pdpte3), "guest_pdpte3");
  EXPECT_STREQ(ia32::vmx::field_name(0x0000), "virtual_processor_id");
  EXPECT_EQ(ia32::vmx::field_name(0x2001), nullptr) << "the high half has no name of its own";
}

TEST(VmxFields, WidthComesFromBits14And13) {
  EXPECT_EQ(ia32::vmx::field_width(0x0800), FieldWidth::bits16);
  EXPECT_EQ(ia32::vmx::field_width(0x2800), FieldWidth::bits64);
  EXPECT_EQ(ia32::vmx::field_width(0x2801), FieldWidth::bits64);  // high half
  EXPECT_EQ(ia32::vmx::field_width(0x4402), FieldWidth::bits32);
  EXPECT_EQ(ia32::vmx::field_width(0x681E), FieldWidth::natural);
  for (const Expected& e : sdm_table) {
    unsigned bytes = ia32::vmx::field_bytes(e.field);
    switch (e.sdm_encoding >> 12) {
      case 0x0: EXPECT_EQ(bytes, 2u); break;
      case 0x2: EXPECT_EQ(bytes, 8u); break;
      case 0x4: EXPECT_EQ(bytes, 4u); break;
      case 0x6: EXPECT_EQ(bytes, 8u) << "natural width is 64 bits in 64-bit mode"; break;
      default: ADD_FAILURE() << std::hex << e.sdm_encoding;
    }
  }
}

TEST(VmxFields, EncodingRoundTrips) {
  uint32_t e = ia32::vmx::field_encoding(FieldWidth::bits32, ia32::vmx::FieldType::guest, 17);
  EXPECT_EQ(e, 0x4822u);
  EXPECT_EQ(ia32::vmx::field_index(e), 17u);
  EXPECT_EQ(ia32::vmx::field_type(e), ia32::vmx::FieldType::guest);
  EXPECT_EQ(ia32::vmx::field_encoding(FieldWidth::bits64, ia32::vmx::FieldType::control, 0,
                                      ia32::vmx::FieldAccess::high),
            0x2001u);
}

bool is_dashed_lower_case(const std::string& name) {
  if (name.empty() || name.front() == '-' || name.back() == '-') return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) return false;
  }
  return true;
}

TEST(VmxExitReasons, NamesOfTheOnesThisProjectMeets) {
  using ia32::vmx::exit_reason_name;
  EXPECT_STREQ(exit_reason_name(0), "exception-or-nmi");
  EXPECT_STREQ(exit_reason_name(1), "external-interrupt");
  EXPECT_STREQ(exit_reason_name(2), "triple-fault");
  EXPECT_STREQ(exit_reason_name(9), "task-switch");
  EXPECT_STREQ(exit_reason_name(12), "hlt");
  EXPECT_STREQ(exit_reason_name(18), "vmcall");
  EXPECT_STREQ(exit_reason_name(28), "cr-access");
  EXPECT_STREQ(exit_reason_name(30), "io-instruction");
  EXPECT_STREQ(exit_reason_name(33), "invalid-guest-state");
  EXPECT_STREQ(exit_reason_name(34), "msr-loading");
  EXPECT_STREQ(exit_reason_name(41), "machine-check");
  EXPECT_STREQ(exit_reason_name(48), "ept-violation");
  EXPECT_STREQ(exit_reason_name(52), "preemption-timer");
  EXPECT_STREQ(exit_reason_name(69), "loadiwkey");
}

TEST(VmxExitReasons, RawFieldWithEntryFailureBit) {
  uint32_t field = 0x80000021;  // VM entry failed: invalid guest state
  EXPECT_TRUE(ia32::vmx::is_entry_failure(field));
  EXPECT_EQ(ia32::vmx::basic_exit_reason(field), 33);
  EXPECT_STREQ(ia32::vmx::exit_reason_name(field), "invalid-guest-state");
  EXPECT_FALSE(ia32::vmx::is_entry_failure(30));
}

TEST(VmxExitReasons, UnusedAndUnknownNumbers) {
  EXPECT_STREQ(ia32::vmx::exit_reason_name(35), "unknown");
  EXPECT_STREQ(ia32::vmx::exit_reason_name(38), "unknown");
  EXPECT_STREQ(ia32::vmx::exit_reason_name(42), "unknown");
  EXPECT_STREQ(ia32::vmx::exit_reason_name(ia32::vmx::exit_reason_count), "unknown");
  EXPECT_STREQ(ia32::vmx::exit_reason_name(0xFFFF), "unknown");
}

TEST(VmxExitReasons, EveryNameIsDashedLowerCaseAndUnique) {
  std::set<std::string> names;
  for (uint32_t r = 0; r < ia32::vmx::exit_reason_count; ++r) {
    std::string name = ia32::vmx::exit_reason_name(r);
    if (name == "unknown") continue;
    EXPECT_TRUE(is_dashed_lower_case(name)) << name;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(names.size(), ia32::vmx::exit_reason_count - 3);  // 35, 38, 42 unused
}

TEST(VmxInstructionErrors, SdmNames) {
  using ia32::vmx::instruction_error_name;
  EXPECT_STREQ(instruction_error_name(1), "VMCALL executed in VMX root operation");
  EXPECT_STREQ(instruction_error_name(4), "VMLAUNCH with non-clear VMCS");
  EXPECT_STREQ(instruction_error_name(5), "VMRESUME with non-launched VMCS");
  EXPECT_STREQ(instruction_error_name(7), "VM entry with invalid control field(s)");
  EXPECT_STREQ(instruction_error_name(8), "VM entry with invalid host-state field(s)");
  EXPECT_STREQ(instruction_error_name(11), "VMPTRLD with incorrect VMCS revision identifier");
  EXPECT_STREQ(instruction_error_name(12), "VMREAD/VMWRITE from/to unsupported VMCS component");
  EXPECT_STREQ(instruction_error_name(13), "VMWRITE to read-only VMCS component");
  EXPECT_STREQ(instruction_error_name(15), "VMXON executed in VMX root operation");
  EXPECT_STREQ(instruction_error_name(26), "VM entry with events blocked by MOV SS");
  EXPECT_STREQ(instruction_error_name(28), "Invalid operand to INVEPT/INVVPID");
  EXPECT_EQ(static_cast<uint32_t>(ia32::vmx::InstructionError::entry_invalid_host_state), 8u);
}

TEST(VmxInstructionErrors, GapsAndOutOfRange) {
  using ia32::vmx::instruction_error_name;
  EXPECT_STREQ(instruction_error_name(0), "unknown");
  EXPECT_STREQ(instruction_error_name(14), "reserved");
  EXPECT_STREQ(instruction_error_name(21), "reserved");
  EXPECT_STREQ(instruction_error_name(27), "reserved");
  EXPECT_STREQ(instruction_error_name(29), "unknown");
  for (uint32_t e = 1; e <= 28; ++e) {
    EXPECT_STRNE(instruction_error_name(e), "unknown") << e;
  }
}

TEST(VmxControlBits, NamesPerWord) {
  using ia32::vmx::ControlWord;
  using ia32::vmx::control_bit_name;
  EXPECT_STREQ(control_bit_name(ControlWord::pin_based, 0), "external-interrupt-exiting");
  EXPECT_STREQ(control_bit_name(ControlWord::pin_based, 6), "activate-preemption-timer");
  EXPECT_STREQ(control_bit_name(ControlWord::primary_processor, 7), "hlt-exiting");
  EXPECT_STREQ(control_bit_name(ControlWord::primary_processor, 25), "use-io-bitmaps");
  EXPECT_STREQ(control_bit_name(ControlWord::primary_processor, 31), "activate-secondary-controls");
  EXPECT_STREQ(control_bit_name(ControlWord::secondary_processor, 1), "enable-ept");
  EXPECT_STREQ(control_bit_name(ControlWord::secondary_processor, 7), "unrestricted-guest");
  EXPECT_STREQ(control_bit_name(ControlWord::exit, 9), "host-address-space-size");
  EXPECT_STREQ(control_bit_name(ControlWord::entry, 9), "ia32e-mode-guest");
  EXPECT_STREQ(control_bit_name(ControlWord::entry, 0), "reserved");
  EXPECT_STREQ(control_bit_name(ControlWord::pin_based, 1), "reserved");
  // Named constants and named bits agree.
  EXPECT_EQ(ia32::vmx::exit::load_efer, 1u << 21);
  EXPECT_STREQ(control_bit_name(ControlWord::exit, 21), "load-efer");
  EXPECT_EQ(ia32::vmx::entry::load_efer, 1u << 15);
  EXPECT_STREQ(control_bit_name(ControlWord::entry, 15), "load-efer");
}

TEST(VmxInterruptionInfo, DecodesAGeneralProtectionFault) {
  ia32::vmx::InterruptionInfo info{0x80000B0D};  // valid, error code, hardware exception, 13
  EXPECT_TRUE(info.valid());
  EXPECT_EQ(info.vector(), 13);
  EXPECT_EQ(info.type(), 3u);
  EXPECT_TRUE(info.error_code_valid());
  EXPECT_STREQ(ia32::vmx::interruption_type_name(info.type()), "hardware-exception");
  EXPECT_STREQ(exception_name(info.vector()), "#GP general protection");
  EXPECT_STREQ(exception_name(14), "#PF page fault");
}

}  // namespace
