// The SDM's names in dashed lower case beside C++ identifiers: the lists in
// this folder carry each item as X(identifier, ..., "dashed-name"), and the
// two spellings are checked against each other at compile time, so a list
// cannot print one name and mean another. (Deriving the text from the
// identifier at compile time would cost the VMM a few hundred bytes: such
// arrays are not merged like string literals.)
#pragma once

namespace ia32::vmx {

// Whether `text` is `identifier` with every '_' written as '-'.
constexpr bool is_dashed_form(const char* identifier, const char* text) {
  for (; *identifier != '\0'; ++identifier, ++text) {
    if (*text != (*identifier == '_' ? '-' : *identifier)) return false;
  }
  return *text == '\0';
}
static_assert(is_dashed_form("cr_access", "cr-access") && !is_dashed_form("cr_access", "cr-acces"));

}  // namespace ia32::vmx
