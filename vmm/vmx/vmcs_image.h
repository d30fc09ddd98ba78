// machine[] and results[] (the 2007 lecture's names): the VMCS as data.
//
// machine[] pairs each VMCS field the VMM writes with where its value lives
// in a VmcsImage, a struct of plain values built before any VMWRITE; one loop
// writes them all. results[] does the same for the exit-information fields
// read back after a VM exit into an ExitInfo. Both tables are constexpr, and
// static_asserts below check that every value's storage is exactly as wide
// as the field's encoding says (natural width = 64 bits in 64-bit mode), the
// bug the 2007 lecture's code shipped with.
//
// Pure and freestanding: the VMM writes through VMWRITE, the host tests into
// a map.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ia32/vmx/controls.h"
#include "ia32/vmx/exit_reason.h"
#include "ia32/vmx/fields.h"
#include "vmx/controls.h"

namespace vmx {

struct SegmentState {
  uint16_t selector;
  uint32_t limit;
  uint32_t access_rights;  // VMX format (SDM 25.4.1): descriptor bits 47:40, 55:52; bit 16 unusable
  uint64_t base;
};

// Access rights in the VMX format (descriptor bits 47:40 in 7:0, 55:52 in
// 15:12, bit 16 = unusable) every guest's state uses.
inline constexpr uint32_t access_rights_busy_tss_32 = 0x8B;  // present, busy 32-bit TSS
inline constexpr uint32_t access_rights_unusable = 1u << 16;

struct ControlState {
  ControlWords words;
  uint32_t exception_bitmap;
  uint32_t page_fault_error_code_mask;
  uint32_t page_fault_error_code_match;
  uint32_t cr3_target_count;
  uint32_t exit_msr_store_count;
  uint32_t exit_msr_load_count;
  uint32_t entry_msr_load_count;
  uint32_t entry_interruption_info;
  uint32_t entry_exception_error_code;
  uint32_t entry_instruction_length;
  uint64_t io_bitmap_a_address;
  uint64_t io_bitmap_b_address;
  uint64_t msr_bitmap_address;  // with "use MSR bitmaps"
  uint64_t tsc_offset;
  uint64_t cr0_guest_host_mask;
  uint64_t cr4_guest_host_mask;
  uint64_t cr0_read_shadow;
  uint64_t cr4_read_shadow;
  uint64_t ept_pointer;  // with "enable EPT" (vmx/ept.h)
};

struct GuestState {
  SegmentState es, cs, ss, ds, fs, gs, ldtr, tr;
  uint64_t gdtr_base;
  uint32_t gdtr_limit;
  uint64_t idtr_base;
  uint32_t idtr_limit;
  uint64_t cr0, cr3, cr4, dr7;
  uint64_t rsp, rip, rflags;
  uint64_t pending_debug_exceptions;
  uint32_t sysenter_cs;
  uint64_t sysenter_esp, sysenter_eip;
  uint32_t interruptibility_state;
  uint32_t activity_state;
  uint64_t vmcs_link_pointer;
  uint64_t ia32_debugctl;
  uint64_t ia32_pat;
  uint64_t ia32_efer;
  uint32_t preemption_timer_value;  // with "activate VMX-preemption timer"
};

struct HostState {
  uint16_t es_selector, cs_selector, ss_selector, ds_selector, fs_selector, gs_selector,
      tr_selector;
  uint64_t cr0, cr3, cr4;
  uint64_t fs_base, gs_base, tr_base, gdtr_base, idtr_base;
  uint32_t sysenter_cs;
  uint64_t sysenter_esp, sysenter_eip;
  uint64_t rsp, rip;
  uint64_t ia32_pat;
  uint64_t ia32_efer;
};

struct VmcsImage {
  ControlState controls;
  GuestState guest;
  HostState host;
};

// A field written only when a control bit makes it meaningful; `mask` 0
// means always. Fields tied to features a CPU may lack are VMWRITE errors
// (VM-instruction error 12) there, so they must be skipped, not zeroed.
struct WriteCondition {
  ia32::vmx::ControlWord word;
  uint32_t mask;
};

struct MachineEntry {
  ia32::vmx::VmcsField field;
  uint16_t offset;  // in VmcsImage
  uint8_t bytes;    // of the storage there
  WriteCondition condition;
};

#define VMX_MACHINE_ENTRY(field, member)                                                   \
  MachineEntry {                                                                           \
    ia32::vmx::VmcsField::field, offsetof(VmcsImage, member),                              \
        sizeof(static_cast<VmcsImage*>(nullptr)->member), {ia32::vmx::ControlWord::pin_based, 0} \
  }
#define VMX_MACHINE_ENTRY_IF(field, member, word, bit)                                 \
  MachineEntry {                                                                       \
    ia32::vmx::VmcsField::field, offsetof(VmcsImage, member),                          \
        sizeof(static_cast<VmcsImage*>(nullptr)->member), {ia32::vmx::ControlWord::word, bit} \
  }
#define VMX_MACHINE_SEGMENT(name)                                                \
  VMX_MACHINE_ENTRY(guest_##name##_selector, guest.name.selector),               \
      VMX_MACHINE_ENTRY(guest_##name##_limit, guest.name.limit),                 \
      VMX_MACHINE_ENTRY(guest_##name##_access_rights, guest.name.access_rights), \
      VMX_MACHINE_ENTRY(guest_##name##_base, guest.name.base)

inline constexpr MachineEntry machine[] = {
    // VM-execution, exit and entry controls (SDM 25.6-25.8)
    VMX_MACHINE_ENTRY(pin_based_controls, controls.words.pin_based),
    VMX_MACHINE_ENTRY(primary_processor_controls, controls.words.primary_processor),
    VMX_MACHINE_ENTRY_IF(secondary_processor_controls, controls.words.secondary_processor,
                         primary_processor,
                         ia32::vmx::primary_processor::activate_secondary_controls),
    VMX_MACHINE_ENTRY(exit_controls, controls.words.exit),
    VMX_MACHINE_ENTRY(entry_controls, controls.words.entry),
    VMX_MACHINE_ENTRY(exception_bitmap, controls.exception_bitmap),
    VMX_MACHINE_ENTRY(page_fault_error_code_mask, controls.page_fault_error_code_mask),
    VMX_MACHINE_ENTRY(page_fault_error_code_match, controls.page_fault_error_code_match),
    VMX_MACHINE_ENTRY(cr3_target_count, controls.cr3_target_count),
    VMX_MACHINE_ENTRY(exit_msr_store_count, controls.exit_msr_store_count),
    VMX_MACHINE_ENTRY(exit_msr_load_count, controls.exit_msr_load_count),
    VMX_MACHINE_ENTRY(entry_msr_load_count, controls.entry_msr_load_count),
    VMX_MACHINE_ENTRY(entry_interruption_info, controls.entry_interruption_info),
    VMX_MACHINE_ENTRY(entry_exception_error_code, controls.entry_exception_error_code),
    VMX_MACHINE_ENTRY(entry_instruction_length, controls.entry_instruction_length),
    VMX_MACHINE_ENTRY(io_bitmap_a_address, controls.io_bitmap_a_address),
    VMX_MACHINE_ENTRY(io_bitmap_b_address, controls.io_bitmap_b_address),
    VMX_MACHINE_ENTRY_IF(msr_bitmap_address, controls.msr_bitmap_address, primary_processor,
                         ia32::vmx::primary_processor::use_msr_bitmaps),
    VMX_MACHINE_ENTRY(tsc_offset, controls.tsc_offset),
    VMX_MACHINE_ENTRY(cr0_guest_host_mask, controls.cr0_guest_host_mask),
    VMX_MACHINE_ENTRY(cr4_guest_host_mask, controls.cr4_guest_host_mask),
    VMX_MACHINE_ENTRY(cr0_read_shadow, controls.cr0_read_shadow),
    VMX_MACHINE_ENTRY(cr4_read_shadow, controls.cr4_read_shadow),
    VMX_MACHINE_ENTRY_IF(ept_pointer, controls.ept_pointer, secondary_processor,
                         ia32::vmx::secondary_processor::enable_ept),

    // Guest-state area (SDM 25.4)
    VMX_MACHINE_SEGMENT(es),
    VMX_MACHINE_SEGMENT(cs),
    VMX_MACHINE_SEGMENT(ss),
    VMX_MACHINE_SEGMENT(ds),
    VMX_MACHINE_SEGMENT(fs),
    VMX_MACHINE_SEGMENT(gs),
    VMX_MACHINE_SEGMENT(ldtr),
    VMX_MACHINE_SEGMENT(tr),
    VMX_MACHINE_ENTRY(guest_gdtr_base, guest.gdtr_base),
    VMX_MACHINE_ENTRY(guest_gdtr_limit, guest.gdtr_limit),
    VMX_MACHINE_ENTRY(guest_idtr_base, guest.idtr_base),
    VMX_MACHINE_ENTRY(guest_idtr_limit, guest.idtr_limit),
    VMX_MACHINE_ENTRY(guest_cr0, guest.cr0),
    VMX_MACHINE_ENTRY(guest_cr3, guest.cr3),
    VMX_MACHINE_ENTRY(guest_cr4, guest.cr4),
    VMX_MACHINE_ENTRY(guest_dr7, guest.dr7),
    VMX_MACHINE_ENTRY(guest_rsp, guest.rsp),
    VMX_MACHINE_ENTRY(guest_rip, guest.rip),
    VMX_MACHINE_ENTRY(guest_rflags, guest.rflags),
    VMX_MACHINE_ENTRY(guest_pending_debug_exceptions, guest.pending_debug_exceptions),
    VMX_MACHINE_ENTRY(guest_ia32_sysenter_cs, guest.sysenter_cs),
    VMX_MACHINE_ENTRY(guest_ia32_sysenter_esp, guest.sysenter_esp),
    VMX_MACHINE_ENTRY(guest_ia32_sysenter_eip, guest.sysenter_eip),
    VMX_MACHINE_ENTRY(guest_interruptibility_state, guest.interruptibility_state),
    VMX_MACHINE_ENTRY(guest_activity_state, guest.activity_state),
    VMX_MACHINE_ENTRY(vmcs_link_pointer, guest.vmcs_link_pointer),
    VMX_MACHINE_ENTRY(guest_ia32_debugctl, guest.ia32_debugctl),
    VMX_MACHINE_ENTRY_IF(guest_ia32_pat, guest.ia32_pat, entry, ia32::vmx::entry::load_pat),
    VMX_MACHINE_ENTRY_IF(guest_ia32_efer, guest.ia32_efer, entry, ia32::vmx::entry::load_efer),
    VMX_MACHINE_ENTRY_IF(guest_preemption_timer_value, guest.preemption_timer_value, pin_based,
                         ia32::vmx::pin_based::activate_preemption_timer),

    // Host-state area (SDM 25.5)
    VMX_MACHINE_ENTRY(host_es_selector, host.es_selector),
    VMX_MACHINE_ENTRY(host_cs_selector, host.cs_selector),
    VMX_MACHINE_ENTRY(host_ss_selector, host.ss_selector),
    VMX_MACHINE_ENTRY(host_ds_selector, host.ds_selector),
    VMX_MACHINE_ENTRY(host_fs_selector, host.fs_selector),
    VMX_MACHINE_ENTRY(host_gs_selector, host.gs_selector),
    VMX_MACHINE_ENTRY(host_tr_selector, host.tr_selector),
    VMX_MACHINE_ENTRY(host_cr0, host.cr0),
    VMX_MACHINE_ENTRY(host_cr3, host.cr3),
    VMX_MACHINE_ENTRY(host_cr4, host.cr4),
    VMX_MACHINE_ENTRY(host_fs_base, host.fs_base),
    VMX_MACHINE_ENTRY(host_gs_base, host.gs_base),
    VMX_MACHINE_ENTRY(host_tr_base, host.tr_base),
    VMX_MACHINE_ENTRY(host_gdtr_base, host.gdtr_base),
    VMX_MACHINE_ENTRY(host_idtr_base, host.idtr_base),
    VMX_MACHINE_ENTRY(host_ia32_sysenter_cs, host.sysenter_cs),
    VMX_MACHINE_ENTRY(host_ia32_sysenter_esp, host.sysenter_esp),
    VMX_MACHINE_ENTRY(host_ia32_sysenter_eip, host.sysenter_eip),
    VMX_MACHINE_ENTRY(host_rsp, host.rsp),
    VMX_MACHINE_ENTRY(host_rip, host.rip),
    VMX_MACHINE_ENTRY_IF(host_ia32_pat, host.ia32_pat, exit, ia32::vmx::exit::load_pat),
    VMX_MACHINE_ENTRY_IF(host_ia32_efer, host.ia32_efer, exit, ia32::vmx::exit::load_efer),
};
inline constexpr size_t machine_size = sizeof(machine) / sizeof(machine[0]);

#undef VMX_MACHINE_SEGMENT
#undef VMX_MACHINE_ENTRY_IF
#undef VMX_MACHINE_ENTRY

// The exit information read after a VM exit (SDM 25.9 / 28.2).
struct ExitInfo {
  uint32_t exit_reason;
  uint64_t exit_qualification;
  uint32_t instruction_length;
  uint64_t guest_rip;
  uint32_t instruction_info;
  uint64_t guest_linear_address;
  uint64_t guest_physical_address;
  uint64_t guest_rsp;
  uint64_t guest_rflags;
  uint32_t interruption_info;
  uint32_t interruption_error_code;
  uint32_t idt_vectoring_info;
  uint32_t idt_vectoring_error_code;
};

struct ResultEntry {
  ia32::vmx::VmcsField field;
  uint16_t offset;  // in ExitInfo
  uint8_t bytes;
};

#define VMX_RESULT_ENTRY(field, member) \
  ResultEntry { ia32::vmx::VmcsField::field, offsetof(ExitInfo, member), sizeof(ExitInfo::member) }

// Ordered by need: the dispatcher reads the first results_every_exit
// entries at every exit and the next results_where_defined where the exit
// defines them (exit_defined_results); the way out reads them all.
inline constexpr ResultEntry results[] = {
    VMX_RESULT_ENTRY(exit_reason, exit_reason),
    VMX_RESULT_ENTRY(exit_qualification, exit_qualification),
    VMX_RESULT_ENTRY(exit_instruction_length, instruction_length),
    VMX_RESULT_ENTRY(guest_rip, guest_rip),
    VMX_RESULT_ENTRY(exit_instruction_info, instruction_info),
    VMX_RESULT_ENTRY(guest_linear_address, guest_linear_address),
    VMX_RESULT_ENTRY(guest_physical_address, guest_physical_address),
    VMX_RESULT_ENTRY(guest_rsp, guest_rsp),
    VMX_RESULT_ENTRY(guest_rflags, guest_rflags),
    VMX_RESULT_ENTRY(exit_interruption_info, interruption_info),
    VMX_RESULT_ENTRY(exit_interruption_error_code, interruption_error_code),
    VMX_RESULT_ENTRY(idt_vectoring_info, idt_vectoring_info),
    VMX_RESULT_ENTRY(idt_vectoring_error_code, idt_vectoring_error_code),
};
inline constexpr size_t results_size = sizeof(results) / sizeof(results[0]);
inline constexpr size_t results_every_exit = 4;  // reason, qualification, length, RIP
inline constexpr size_t results_where_defined = 3;  // information, guest-linear, guest-physical
static_assert(results[results_every_exit].field == ia32::vmx::VmcsField::exit_instruction_info &&
              results[results_every_exit + 2].field ==
                  ia32::vmx::VmcsField::guest_physical_address);

// How many of the results_where_defined fields after the first
// results_every_exit an exit defines (SDM 28.2.1-28.2.5), in their order:
// INS/OUTS fill the instruction information and the guest-linear address;
// EPT violations and misconfigurations the guest-physical address (and,
// for a violation, the guest-linear one); other exits none the VMM uses.
constexpr size_t exit_defined_results(uint32_t exit_reason, uint64_t qualification) {
  using ia32::vmx::ExitReason;
  const uint16_t basic = static_cast<uint16_t>(exit_reason);
  if (basic == static_cast<uint16_t>(ExitReason::io_instruction)) {
    if ((qualification & (1u << 4)) == 0) return 0;  // bit 4: a string instruction
    return 2;
  }
  if (static_cast<uint16_t>(basic - static_cast<uint16_t>(ExitReason::ept_violation)) <= 1) {
    return 3;  // an EPT violation or misconfiguration
  }
  return 0;
}

#undef VMX_RESULT_ENTRY

namespace detail {

// Index of the first entry whose storage width differs from the width its
// encoding declares, or -1.
template <typename Entry, size_t N>
constexpr int first_width_mismatch(const Entry (&table)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (table[i].bytes != ia32::vmx::field_bytes(table[i].field)) return static_cast<int>(i);
  }
  return -1;
}

// Index of the first entry whose field type (guest, host, control) does not
// match the part of VmcsImage its value comes from, or -1.
constexpr int first_misplaced_machine_entry() {
  using ia32::vmx::FieldType;
  for (size_t i = 0; i < machine_size; ++i) {
    FieldType type = ia32::vmx::field_type(ia32::vmx::encoding(machine[i].field));
    size_t offset = machine[i].offset;
    bool in_controls = offset < offsetof(VmcsImage, guest);
    bool in_guest = offset >= offsetof(VmcsImage, guest) && offset < offsetof(VmcsImage, host);
    bool in_host = offset >= offsetof(VmcsImage, host);
    bool right = (type == FieldType::control && in_controls) ||
                 (type == FieldType::guest && in_guest) || (type == FieldType::host && in_host);
    if (!right) return static_cast<int>(i);
  }
  return -1;
}

template <typename Entry, size_t N>
constexpr int first_duplicate(const Entry (&table)[N]) {
  for (size_t i = 0; i < N; ++i) {
    for (size_t j = i + 1; j < N; ++j) {
      if (table[i].field == table[j].field || table[i].offset == table[j].offset) {
        return static_cast<int>(j);
      }
    }
  }
  return -1;
}

}  // namespace detail

static_assert(detail::first_width_mismatch(machine) == -1,
              "machine[]: a value's storage is not as wide as its VMCS field");
static_assert(detail::first_width_mismatch(results) == -1,
              "results[]: a value's storage is not as wide as its VMCS field");
static_assert(detail::first_misplaced_machine_entry() == -1,
              "machine[]: a guest/host/control field takes its value from another area");
static_assert(detail::first_duplicate(machine) == -1, "machine[]: a field or value twice");
static_assert(detail::first_duplicate(results) == -1, "results[]: a field or value twice");
static_assert(results[0].field == ia32::vmx::VmcsField::exit_reason);

// The value machine entry `entry` takes from `image`, zero-extended.
uint64_t machine_value(const VmcsImage& image, const MachineEntry& entry);

// Whether `entry` applies under the controls in `image`.
bool machine_entry_applies(const VmcsImage& image, const MachineEntry& entry);

// Where VMWRITE goes: the VMM passes one that executes it, tests one that
// fills a map. Returns false when the write failed.
struct VmcsWriter {
  void* context;
  bool (*write)(void* context, uint32_t field, uint64_t value);
};

struct MachineWriteResult {
  bool ok;
  const MachineEntry* failed;  // the entry whose write failed, when !ok
  uint32_t written;            // fields written (skipped ones not counted)
};

// Writes every applicable entry of machine[] in order; stops at the first
// failed write.
MachineWriteResult write_machine(const VmcsImage& image, VmcsWriter writer);

// Stores `value` into the ExitInfo member of results entry `entry`,
// truncated to the member's width. Inline: it is on every exit's path.
[[gnu::always_inline]] inline void store_result(ExitInfo& info, const ResultEntry& entry,
                                              uint64_t value) {
  unsigned char* where = reinterpret_cast<unsigned char*>(&info) + entry.offset;
  switch (entry.bytes) {
    case 2: *reinterpret_cast<uint16_t*>(where) = static_cast<uint16_t>(value); break;
    case 4: *reinterpret_cast<uint32_t*>(where) = static_cast<uint32_t>(value); break;
    case 8: *reinterpret_cast<uint64_t*>(where) = value; break;
  }
}

// Reads results[First, Last) through `read(field, &value)` (which returns
// false on failure), stopping at the first failure; true when all were read.
// Unrolled at compile time, each entry a read and a store, so that the exit
// handlers' fast paths inline VMREAD.
template <size_t First, size_t Last, typename Reader>
[[gnu::always_inline]] inline bool read_results_range(ExitInfo& info, Reader&& read) {
  static_assert(First <= Last && Last <= results_size);
  if constexpr (First == Last) {
    return true;
  } else {
    uint64_t value;
    if (!read(ia32::vmx::encoding(results[First].field), &value)) return false;
    store_result(info, results[First], value);
    return read_results_range<First + 1, Last>(info, read);
  }
}

}  // namespace vmx
