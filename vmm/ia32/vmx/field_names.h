// The name of each VMCS field this project knows (vmm/ia32/vmx/fields.h),
// spelled as its VmcsField enumerator, for diagnostics that print a field
// by name (the VM-entry checker, VMREAD/VMWRITE failures).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ia32/vmx/fields.h"

namespace ia32::vmx {

struct FieldName {
  VmcsField field;
  const char* name;
};

// Made from the same list as the enumerators (VMX_VMCS_FIELDS), so that a
// field added there has its name here.
inline constexpr FieldName field_names[] = {
#define VMX_FIELD_NAME(name, width, type, index) FieldName{VmcsField::name, #name},
    VMX_VMCS_FIELDS(VMX_FIELD_NAME)
#undef VMX_FIELD_NAME
};

inline constexpr size_t field_name_count = sizeof(field_names) / sizeof(field_names[0]);

// The name of the field with `encoding` (full access), or nullptr for an
// encoding not in VmcsField (including the high half of a 64-bit field).
constexpr const char* field_name(uint32_t encoding) {
  for (const FieldName& entry : field_names) {
    if (static_cast<uint32_t>(entry.field) == encoding) return entry.name;
  }
  return nullptr;
}

constexpr const char* field_name(VmcsField field) {
  return field_name(static_cast<uint32_t>(field));
}

namespace detail {
constexpr bool field_names_unique() {
  for (size_t i = 0; i < field_name_count; ++i) {
    for (size_t j = i + 1; j < field_name_count; ++j) {
      if (field_names[i].field == field_names[j].field) return false;
    }
  }
  return true;
}
}  // namespace detail

static_assert(detail::field_names_unique(), "field_names[]: a field twice");
static_assert(field_name(0x681E)[6] == 'r');  // guest_rip
static_assert(field_name(0x2001) == nullptr);

}  // namespace ia32::vmx
