#include "vmx/controls.h"

namespace vmx {

using ia32::vmx::AllowedSettings;
using ia32::vmx::ControlWord;

uint32_t& ControlWords::operator[](ControlWord word) {
  switch (word) {
    case ControlWord::pin_based: return pin_based;
    case ControlWord::primary_processor: return primary_processor;
    case ControlWord::secondary_processor: return secondary_processor;
    case ControlWord::exit: return exit;
    case ControlWord::entry: return entry;
  }
  return entry;
}

uint32_t ControlWords::operator[](ControlWord word) const {
  return const_cast<ControlWords&>(*this)[word];
}

uint32_t capability_msr_index(const CapabilityMsrs& msrs, ControlWord word) {
  namespace msr = ia32::vmx::msr;
  bool use_true = ia32::vmx::VmxBasic{msrs.basic}.has_true_controls();
  switch (word) {
    case ControlWord::pin_based:
      return use_true ? msr::vmx_true_pinbased_ctls : msr::vmx_pinbased_ctls;
    case ControlWord::primary_processor:
      return use_true ? msr::vmx_true_procbased_ctls : msr::vmx_procbased_ctls;
    case ControlWord::secondary_processor: return msr::vmx_procbased_ctls2;
    case ControlWord::exit: return use_true ? msr::vmx_true_exit_ctls : msr::vmx_exit_ctls;
    case ControlWord::entry: return use_true ? msr::vmx_true_entry_ctls : msr::vmx_entry_ctls;
  }
  return 0;
}

AllowedSettings allowed_settings(const CapabilityMsrs& msrs, ControlWord word) {
  bool use_true = ia32::vmx::VmxBasic{msrs.basic}.has_true_controls();
  uint64_t value = 0;
  switch (word) {
    case ControlWord::pin_based: value = use_true ? msrs.true_pin_based : msrs.pin_based; break;
    case ControlWord::primary_processor:
      value = use_true ? msrs.true_primary_processor : msrs.primary_processor;
      break;
    case ControlWord::secondary_processor: value = msrs.secondary_processor; break;
    case ControlWord::exit: value = use_true ? msrs.true_exit : msrs.exit; break;
    case ControlWord::entry: value = use_true ? msrs.true_entry : msrs.entry; break;
  }
  return AllowedSettings::from_msr(value);
}

namespace {

// value = wanted | must-be-1; fails on the lowest bit that may not be 1.
bool settle_word(ControlWord word, uint32_t wanted, AllowedSettings allowed,
                 uint32_t& value, ControlError& error) {
  value = wanted | allowed.must_be_one;
  uint32_t forbidden = value & ~allowed.may_be_one;
  if (forbidden == 0) return true;
  error.word = word;
  error.bit = lowest_bit(forbidden);
  error.required_by_cpu = ((allowed.must_be_one >> error.bit) & 1) != 0;
  error.bit_name = ia32::vmx::control_bit_name(word, error.bit);
  return false;
}

}  // namespace

ControlResult compute_controls(const CapabilityMsrs& msrs, const ControlWords& wanted) {
  namespace primary = ia32::vmx::primary_processor;
  ControlResult result{};
  ControlWords want = wanted;

  AllowedSettings secondary = allowed_settings(msrs, ControlWord::secondary_processor);
  bool use_secondary = (want.secondary_processor | secondary.must_be_one) != 0;
  if (use_secondary) {
    want.primary_processor |= primary::activate_secondary_controls;
  } else {
    want.primary_processor &= ~primary::activate_secondary_controls;
  }

  constexpr ControlWord order[] = {ControlWord::pin_based, ControlWord::primary_processor,
                                   ControlWord::secondary_processor, ControlWord::exit,
                                   ControlWord::entry};
  for (ControlWord word : order) {
    if (word == ControlWord::secondary_processor && !use_secondary) {
      result.controls.secondary_processor = 0;
      continue;
    }
    if (!settle_word(word, want[word], allowed_settings(msrs, word), result.controls[word],
                     result.error)) {
      result.ok = false;
      return result;
    }
  }
  // A must-be-1 "activate secondary controls" (no CPU has one) would leave
  // the secondary word in force without having computed it.
  if ((result.controls.primary_processor & primary::activate_secondary_controls) != 0 &&
      !use_secondary) {
    uint32_t value = 0;
    if (!settle_word(ControlWord::secondary_processor, 0, secondary, value, result.error)) {
      result.ok = false;
      return result;
    }
    result.controls.secondary_processor = value;
  }
  result.ok = true;
  return result;
}

}  // namespace vmx
