// The driver of the VM-entry checks: runs the groups of the entry_checks_*
// files in the SDM's order, stops at the first failure, and formats it.
#include "vmx/checks/entry_checks.h"

#include "ia32/vmx/capabilities.h"
#include "ia32/vmx/exit_reason.h"
#include "ia32/vmx/field_names.h"
#include "ia32/vmx/instruction_error.h"
#include "common/format.h"
#include "vmx/checks/entry_checks_internal.h"

namespace vmx {

namespace entry_checks {

uint64_t Checker::read(Field field) {
  uint64_t value = 0;
  if (vmcs_.read(vmcs_.context, ia32::vmx::encoding(field), &value)) return value;
  if (!failed_) {
    failed_ = true;
    failure_ = CheckFailure{};
    failure_.id = "vmcs-field-unreadable";
    failure_.sdm_section = current_ != nullptr ? current_->sdm_section : "26";
    failure_.rule =
        "VMREAD failed for a field this check needs (unsupported field or no current VMCS).";
    failure_.kind = EntryFailureKind::vmcs_unreadable;
    failure_.field = ia32::vmx::encoding(field);
  }
  return 0;
}

void Checker::fail(Field field, uint64_t found) {
  if (failed_) return;
  failed_ = true;
  failure_ = CheckFailure{};
  failure_.id = current_->id;
  failure_.sdm_section = current_->sdm_section;
  failure_.rule = current_->rule;
  failure_.kind = current_kind_;
  failure_.field = ia32::vmx::encoding(field);
  failure_.found = found;
}

void Checker::fail(Field field, uint64_t found, uint64_t expected) {
  if (failed_) return;
  fail(field, found);
  failure_.expected = expected;
  failure_.has_expected = true;
}

void Checker::relate(Field field, uint64_t value) {
  if (failure_.kind == EntryFailureKind::vmcs_unreadable || failure_.has_related) return;
  failure_.has_related = true;
  failure_.related_field = ia32::vmx::encoding(field);
  failure_.related_value = value;
}

uint32_t Checker::secondary_controls() {
  if ((primary_controls() & ia32::vmx::primary_processor::activate_secondary_controls) == 0) {
    return 0;
  }
  return static_cast<uint32_t>(read(Field::secondary_processor_controls));
}

bool Checker::unrestricted_guest() {
  return (secondary_controls() & ia32::vmx::secondary_processor::unrestricted_guest) != 0;
}

bool Checker::ia32e_mode_guest() {
  return (entry_controls() & ia32::vmx::entry::ia32e_mode_guest) != 0;
}

bool Checker::host_address_space_size() {
  return (exit_controls() & ia32::vmx::exit::host_address_space_size) != 0;
}

bool Checker::guest_v86() { return (read(Field::guest_rflags) & rflags::vm) != 0; }

unsigned Checker::physical_address_width() const {
  return env_.physical_address_width != 0 ? env_.physical_address_width : 36;
}

unsigned Checker::vmx_structure_address_width() const {
  unsigned width = physical_address_width();
  if (ia32::vmx::VmxBasic{env_.msrs.basic}.addresses_limited_to_32_bits() && width > 32) {
    width = 32;
  }
  return width;
}

unsigned Checker::linear_address_width() const {
  return env_.linear_address_width != 0 ? env_.linear_address_width : 48;
}

uint64_t Checker::canonical_form(uint64_t address) const {
  const unsigned width = linear_address_width();
  if (width >= 64) return address;
  const uint64_t low = truncate_to_width(address, width);
  return bit(address, width - 1) ? low | ~((uint64_t{1} << width) - 1) : low;
}

bool Checker::canonical(uint64_t address) const { return canonical_form(address) == address; }

void require_aligned(Checker& c, Field field, uint64_t low_zero_mask) {
  const uint64_t address = c.read(field);
  if ((address & low_zero_mask) != 0) c.fail(field, address, address & ~low_zero_mask);
}

void require_structure_width(Checker& c, Field field) {
  const uint64_t address = c.read(field);
  const unsigned width = c.vmx_structure_address_width();
  if (!fits_width(address, width)) c.fail(field, address, truncate_to_width(address, width));
}

void require_canonical(Checker& c, Field field) {
  const uint64_t address = c.read(field);
  if (!c.canonical(address)) c.fail(field, address, c.canonical_form(address));
}

void require_fixed_bits(Checker& c, Field field, uint64_t fixed0, uint64_t fixed1) {
  const uint64_t value = c.read(field);
  const ia32::vmx::FixedBits fixed{fixed0, fixed1};
  if (!fixed.allows(value)) c.fail(field, value, fixed.apply(value));
}

namespace {

// SDM order: controls (error 7), host state (error 8), guest state (exit 33).
const CheckGroup* const groups_in_sdm_order[] = {
    &control_field_checks, &host_state_checks,        &guest_register_checks,
    &guest_segment_checks, &guest_non_segment_checks,
};

}  // namespace

}  // namespace entry_checks

EntryCheckResult run_entry_checks(const VmcsReader& vmcs, const EntryCheckEnvironment& env) {
  entry_checks::Checker checker(vmcs, env);
  EntryCheckResult result{};
  for (const entry_checks::CheckGroup* group : entry_checks::groups_in_sdm_order) {
    for (size_t i = 0; i < group->count; ++i) {
      const entry_checks::Check& check = group->checks[i];
      checker.begin(check.info, group->kind);
      ++result.checks_run;
      check.run(checker);
      if (checker.failed()) {
        result.passed = false;
        result.failure = checker.failure();
        return result;
      }
    }
  }
  result.passed = true;
  return result;
}

size_t entry_check_count() {
  size_t count = 0;
  for (const entry_checks::CheckGroup* group : entry_checks::groups_in_sdm_order) {
    count += group->count;
  }
  return count;
}

EntryCheckInfo entry_check_info(size_t index) {
  for (const entry_checks::CheckGroup* group : entry_checks::groups_in_sdm_order) {
    if (index < group->count) return group->checks[index].info;
    index -= group->count;
  }
  return {"none", "", ""};
}

uint32_t reported_error(EntryFailureKind kind) {
  using ia32::vmx::InstructionError;
  switch (kind) {
    case EntryFailureKind::invalid_control_fields:
      return static_cast<uint32_t>(InstructionError::entry_invalid_control_fields);
    case EntryFailureKind::invalid_host_state:
      return static_cast<uint32_t>(InstructionError::entry_invalid_host_state);
    case EntryFailureKind::invalid_guest_state:
      return (1u << 31) | static_cast<uint32_t>(ia32::vmx::ExitReason::invalid_guest_state);
    case EntryFailureKind::vmcs_unreadable: return 0;
  }
  return 0;
}

size_t format_check_failure(char* buf, size_t cap, const CheckFailure& f) {
  size_t length =
      format(buf, cap, "entry check failed: %s (SDM %s): %s", f.id, f.sdm_section, f.rule);
  // Appends to what fits; `length` keeps counting what would have.
  auto append = [&](const char* fmt, auto... args) {
    const size_t used = length < cap ? length : (cap > 0 ? cap - 1 : 0);
    length += format(buf + used, cap > used ? cap - used : 0, fmt, args...);
  };
  const char* name = ia32::vmx::field_name(f.field);
  if (name != nullptr) {
    append("; %s = 0x%llx", name, static_cast<unsigned long long>(f.found));
  } else {
    append("; field 0x%04x = 0x%llx", f.field, static_cast<unsigned long long>(f.found));
  }
  if (f.has_expected) append(", expected 0x%llx", static_cast<unsigned long long>(f.expected));
  if (f.has_related) {
    const char* related = ia32::vmx::field_name(f.related_field);
    if (related != nullptr) {
      append(" (%s = 0x%llx)", related, static_cast<unsigned long long>(f.related_value));
    } else {
      append(" (field 0x%04x = 0x%llx)", f.related_field,
             static_cast<unsigned long long>(f.related_value));
    }
  }
  return length;
}

}  // namespace vmx
