// SDM Vol. 3, 26.2.2-26.2.4, the checks on the host-state area: a failure
// here makes VMLAUNCH/VMRESUME fail with VM-instruction error 8.
#include "ia32/vmx/capabilities.h"
#include "vmx/checks/entry_checks_internal.h"

namespace vmx::entry_checks {

namespace {

namespace exit_ctl = ia32::vmx::exit;
namespace entry_ctl = ia32::vmx::entry;

// ------------------------------------------------ 26.2.2 host control registers and MSRs

void host_cr0_fixed(Checker& c) {
  require_fixed_bits(c, Field::host_cr0, c.env().msrs.cr0_fixed0, c.env().msrs.cr0_fixed1);
}

void host_cr4_fixed(Checker& c) {
  require_fixed_bits(c, Field::host_cr4, c.env().msrs.cr4_fixed0, c.env().msrs.cr4_fixed1);
}

void host_cr3_width(Checker& c) {
  const uint64_t cr3 = c.read(Field::host_cr3);
  const unsigned width = c.physical_address_width();
  if (!fits_width(cr3, width)) c.fail(Field::host_cr3, cr3, truncate_to_width(cr3, width));
}

void host_sysenter_esp_canonical(Checker& c) {
  require_canonical(c, Field::host_ia32_sysenter_esp);
}
void host_sysenter_eip_canonical(Checker& c) {
  require_canonical(c, Field::host_ia32_sysenter_eip);
}

void host_pat(Checker& c) {
  if ((c.exit_controls() & exit_ctl::load_pat) == 0) return;
  const uint64_t pat = c.read(Field::host_ia32_pat);
  if (!valid_pat(pat)) c.fail(Field::host_ia32_pat, pat, nearest_valid_pat(pat));
}

bool loads_host_efer(Checker& c) { return (c.exit_controls() & exit_ctl::load_efer) != 0; }

void host_efer_reserved(Checker& c) {
  if (!loads_host_efer(c)) return;
  const uint64_t value = c.read(Field::host_ia32_efer);
  if ((value & efer::reserved) != 0) c.fail(Field::host_ia32_efer, value, value & ~efer::reserved);
}

void host_efer_lma_lme(Checker& c) {
  if (!loads_host_efer(c)) return;
  const uint64_t value = c.read(Field::host_ia32_efer);
  const uint64_t wanted = c.host_address_space_size() ? efer::lma | efer::lme : 0;
  if ((value & (efer::lma | efer::lme)) != wanted) {
    c.fail(Field::host_ia32_efer, value, (value & ~(efer::lma | efer::lme)) | wanted);
    c.relate(Field::exit_controls, c.exit_controls());
  }
}

// ------------------------------------------------ 26.2.3 host segment and descriptor-table
// registers

template <Field selector_field>
void host_selector_rpl_ti(Checker& c) {
  const uint64_t selector = c.read(selector_field);
  if ((selector & 7) != 0) c.fail(selector_field, selector, selector & ~uint64_t{7});
}

void host_cs_selector_nonzero(Checker& c) {
  const uint64_t selector = c.read(Field::host_cs_selector);
  if (selector == 0) c.fail(Field::host_cs_selector, selector);
}

void host_tr_selector_nonzero(Checker& c) {
  const uint64_t selector = c.read(Field::host_tr_selector);
  if (selector == 0) c.fail(Field::host_tr_selector, selector);
}

void host_ss_selector_nonzero(Checker& c) {
  if (c.host_address_space_size()) return;
  const uint64_t selector = c.read(Field::host_ss_selector);
  if (selector == 0) {
    c.fail(Field::host_ss_selector, selector);
    c.relate(Field::exit_controls, c.exit_controls());
  }
}

template <Field base_field>
void host_base_canonical(Checker& c) {
  require_canonical(c, base_field);
}

// ------------------------------------------------ 26.2.4 host address-space size

void host_address_space_size_outside_ia32e(Checker& c) {
  if (c.env().processor_in_ia32e_mode) return;
  const uint32_t value = c.exit_controls();
  if ((value & exit_ctl::host_address_space_size) != 0) {
    c.fail(Field::exit_controls, value, value & ~exit_ctl::host_address_space_size);
  }
}

void ia32e_guest_outside_ia32e(Checker& c) {
  if (c.env().processor_in_ia32e_mode) return;
  const uint32_t value = c.entry_controls();
  if ((value & entry_ctl::ia32e_mode_guest) != 0) {
    c.fail(Field::entry_controls, value, value & ~entry_ctl::ia32e_mode_guest);
  }
}

void host_address_space_size_in_ia32e(Checker& c) {
  if (!c.env().processor_in_ia32e_mode) return;
  const uint32_t value = c.exit_controls();
  if ((value & exit_ctl::host_address_space_size) == 0) {
    c.fail(Field::exit_controls, value, value | exit_ctl::host_address_space_size);
  }
}

void ia32e_guest_needs_64_bit_host(Checker& c) {
  if (c.host_address_space_size()) return;
  const uint32_t value = c.entry_controls();
  if ((value & entry_ctl::ia32e_mode_guest) != 0) {
    c.fail(Field::entry_controls, value, value & ~entry_ctl::ia32e_mode_guest);
    c.relate(Field::exit_controls, c.exit_controls());
  }
}

void host_cr4_pcide_32_bit_host(Checker& c) {
  if (c.host_address_space_size()) return;
  const uint64_t cr4 = c.read(Field::host_cr4);
  if ((cr4 & cr4::pcide) != 0) c.fail(Field::host_cr4, cr4, cr4 & ~cr4::pcide);
}

void host_rip_32_bit_host(Checker& c) {
  if (c.host_address_space_size()) return;
  const uint64_t rip = c.read(Field::host_rip);
  if ((rip >> 32) != 0) c.fail(Field::host_rip, rip, rip & 0xFFFFFFFF);
}

void host_cr4_pae_64_bit_host(Checker& c) {
  if (!c.host_address_space_size()) return;
  const uint64_t cr4 = c.read(Field::host_cr4);
  if ((cr4 & cr4::pae) == 0) c.fail(Field::host_cr4, cr4, cr4 | cr4::pae);
}

void host_rip_canonical(Checker& c) {
  if (c.host_address_space_size()) require_canonical(c, Field::host_rip);
}

constexpr const char* s_registers = "26.2.2";
constexpr const char* s_segments = "26.2.3";
constexpr const char* s_size = "26.2.4";

// One table entry per register for the rules the SDM states for several,
// each with the SDM's one sentence for all of them: the id and the failing
// field name the register.
#define VMX_HOST_SELECTOR_CHECK(seg)                                                       \
  Check {                                                                                  \
    {"host-" #seg "-selector-rpl-ti", s_segments,                                          \
     "The host selectors of ES, CS, SS, DS, FS, GS and TR must have RPL (bits 1:0) and TI " \
     "(bit 2) 0."},                                                                        \
        host_selector_rpl_ti<Field::host_##seg##_selector>                                 \
  }
#define VMX_HOST_BASE_CHECK(reg)                                                     \
  Check {                                                                            \
    {"host-" #reg "-base-canonical", s_segments,                                     \
     "The host bases of FS, GS, GDTR, IDTR and TR must be canonical."},              \
        host_base_canonical<Field::host_##reg##_base>                                \
  }

constexpr Check checks[] = {
    {{"host-cr0-fixed", s_registers,
      "Host CR0 must have the IA32_VMX_CR0_FIXED0 bits set and only IA32_VMX_CR0_FIXED1 bits."},
     host_cr0_fixed},
    {{"host-cr4-fixed", s_registers,
      "Host CR4 must have the IA32_VMX_CR4_FIXED0 bits set and only IA32_VMX_CR4_FIXED1 bits."},
     host_cr4_fixed},
    {{"host-cr3-width", s_registers,
      "Host CR3 must not set bits beyond the physical-address width."},
     host_cr3_width},
    {{"host-sysenter-esp-canonical", s_registers, "Host IA32_SYSENTER_ESP must be canonical."},
     host_sysenter_esp_canonical},
    {{"host-sysenter-eip-canonical", s_registers, "Host IA32_SYSENTER_EIP must be canonical."},
     host_sysenter_eip_canonical},
    {{"host-pat", s_registers,
      "With load IA32_PAT, every host PAT entry must be a valid memory type (0, 1, 4, 5, 6, 7)."},
     host_pat},
    {{"host-efer-reserved", s_registers, "With load IA32_EFER, reserved host EFER bits must be 0."},
     host_efer_reserved},
    {{"host-efer-lma-lme", s_registers,
      "With load IA32_EFER, host EFER.LMA and EFER.LME must equal host address-space size."},
     host_efer_lma_lme},

    VMX_HOST_SELECTOR_CHECK(es),
    VMX_HOST_SELECTOR_CHECK(cs),
    VMX_HOST_SELECTOR_CHECK(ss),
    VMX_HOST_SELECTOR_CHECK(ds),
    VMX_HOST_SELECTOR_CHECK(fs),
    VMX_HOST_SELECTOR_CHECK(gs),
    VMX_HOST_SELECTOR_CHECK(tr),
    {{"host-cs-selector-nonzero", s_segments, "Host CS selector must not be 0."},
     host_cs_selector_nonzero},
    {{"host-tr-selector-nonzero", s_segments, "Host TR selector must not be 0."},
     host_tr_selector_nonzero},
    {{"host-ss-selector-nonzero", s_segments,
      "Host SS selector must not be 0 when host address-space size is 0."},
     host_ss_selector_nonzero},
    VMX_HOST_BASE_CHECK(fs),
    VMX_HOST_BASE_CHECK(gs),
    VMX_HOST_BASE_CHECK(gdtr),
    VMX_HOST_BASE_CHECK(idtr),
    VMX_HOST_BASE_CHECK(tr),

    {{"host-address-space-size-outside-ia32e", s_size,
      "Outside IA-32e mode, host address-space size must be 0."},
     host_address_space_size_outside_ia32e},
    {{"ia32e-guest-outside-ia32e", s_size, "Outside IA-32e mode, IA-32e mode guest must be 0."},
     ia32e_guest_outside_ia32e},
    {{"host-address-space-size-in-ia32e", s_size,
      "In IA-32e mode (a 64-bit VMM), host address-space size must be 1."},
     host_address_space_size_in_ia32e},
    {{"ia32e-guest-needs-64-bit-host", s_size,
      "IA-32e mode guest must be 0 when host address-space size is 0."},
     ia32e_guest_needs_64_bit_host},
    {{"host-cr4-pcide-32-bit-host", s_size,
      "Host CR4.PCIDE must be 0 when host address-space size is 0."},
     host_cr4_pcide_32_bit_host},
    {{"host-rip-32-bit-host", s_size,
      "Host RIP bits 63:32 must be 0 when host address-space size is 0."},
     host_rip_32_bit_host},
    {{"host-cr4-pae-64-bit-host", s_size,
      "Host CR4.PAE must be 1 when host address-space size is 1."},
     host_cr4_pae_64_bit_host},
    {{"host-rip-canonical", s_size,
      "Host RIP must be canonical when host address-space size is 1."},
     host_rip_canonical},
};

#undef VMX_HOST_BASE_CHECK
#undef VMX_HOST_SELECTOR_CHECK

}  // namespace

constinit const CheckGroup host_state_checks =
    make_group(checks, EntryFailureKind::invalid_host_state);

}  // namespace vmx::entry_checks
