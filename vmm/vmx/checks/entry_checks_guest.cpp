// SDM Vol. 3, 26.3.1.1 and 26.3.1.3-26.3.1.6, the guest-state checks other
// than the segment registers (entry_checks_segments.cpp): control and debug
// registers and MSRs, GDTR/IDTR, RIP/RFLAGS, non-register state (activity,
// interruptibility, pending debug exceptions, VMCS link pointer) and PDPTEs.
// A failure here is a VM exit with reason 33 (invalid guest state).
#include "ia32/vmx/capabilities.h"
#include "vmx/checks/entry_checks_internal.h"

namespace vmx::entry_checks {

namespace {

namespace pin = ia32::vmx::pin_based;
namespace secondary = ia32::vmx::secondary_processor;
namespace entry_ctl = ia32::vmx::entry;

// ------------------------------------------------ 26.3.1.1 control registers, debug registers,
// MSRs

// With unrestricted guest, CR0.PE and CR0.PG may be 0 whatever FIXED0 says.
void guest_cr0_fixed(Checker& c) {
  uint64_t fixed0 = c.env().msrs.cr0_fixed0;
  if (c.unrestricted_guest()) fixed0 &= ~(cr0::pe | cr0::pg);
  require_fixed_bits(c, Field::guest_cr0, fixed0, c.env().msrs.cr0_fixed1);
}

void guest_cr0_pg_needs_pe(Checker& c) {
  const uint64_t cr0 = c.read(Field::guest_cr0);
  if ((cr0 & cr0::pg) != 0 && (cr0 & cr0::pe) == 0) {
    c.fail(Field::guest_cr0, cr0, cr0 | cr0::pe);
  }
}

void guest_cr4_fixed(Checker& c) {
  require_fixed_bits(c, Field::guest_cr4, c.env().msrs.cr4_fixed0, c.env().msrs.cr4_fixed1);
}

bool loads_debug_controls(Checker& c) {
  return (c.entry_controls() & entry_ctl::load_debug_controls) != 0;
}

// IA32_DEBUGCTL: bits 5:2 and 63:16 are reserved.
void guest_debugctl_reserved(Checker& c) {
  if (!loads_debug_controls(c)) return;
  constexpr uint64_t reserved = 0x3C | ~uint64_t{0xFFFF};
  const uint64_t value = c.read(Field::guest_ia32_debugctl);
  if ((value & reserved) != 0) c.fail(Field::guest_ia32_debugctl, value, value & ~reserved);
}

void guest_ia32e_needs_paging(Checker& c) {
  if (!c.ia32e_mode_guest()) return;
  const uint64_t cr0 = c.read(Field::guest_cr0);
  if ((cr0 & cr0::pg) == 0) c.fail(Field::guest_cr0, cr0, cr0 | cr0::pg | cr0::pe);
}

void guest_ia32e_needs_pae(Checker& c) {
  if (!c.ia32e_mode_guest()) return;
  const uint64_t cr4 = c.read(Field::guest_cr4);
  if ((cr4 & cr4::pae) == 0) c.fail(Field::guest_cr4, cr4, cr4 | cr4::pae);
}

void guest_pcide_needs_ia32e(Checker& c) {
  if (c.ia32e_mode_guest()) return;
  const uint64_t cr4 = c.read(Field::guest_cr4);
  if ((cr4 & cr4::pcide) != 0) c.fail(Field::guest_cr4, cr4, cr4 & ~cr4::pcide);
}

void guest_cr3_width(Checker& c) {
  const uint64_t cr3 = c.read(Field::guest_cr3);
  const unsigned width = c.physical_address_width();
  if (!fits_width(cr3, width)) c.fail(Field::guest_cr3, cr3, truncate_to_width(cr3, width));
}

void guest_dr7_upper(Checker& c) {
  if (!loads_debug_controls(c)) return;
  const uint64_t dr7 = c.read(Field::guest_dr7);
  if ((dr7 >> 32) != 0) c.fail(Field::guest_dr7, dr7, dr7 & 0xFFFFFFFF);
}

void guest_sysenter_esp_canonical(Checker& c) {
  require_canonical(c, Field::guest_ia32_sysenter_esp);
}
void guest_sysenter_eip_canonical(Checker& c) {
  require_canonical(c, Field::guest_ia32_sysenter_eip);
}

void guest_pat(Checker& c) {
  if ((c.entry_controls() & entry_ctl::load_pat) == 0) return;
  const uint64_t pat = c.read(Field::guest_ia32_pat);
  if (!valid_pat(pat)) c.fail(Field::guest_ia32_pat, pat, nearest_valid_pat(pat));
}

bool loads_guest_efer(Checker& c) { return (c.entry_controls() & entry_ctl::load_efer) != 0; }

void guest_efer_reserved(Checker& c) {
  if (!loads_guest_efer(c)) return;
  const uint64_t value = c.read(Field::guest_ia32_efer);
  if ((value & efer::reserved) != 0) c.fail(Field::guest_ia32_efer, value, value & ~efer::reserved);
}

void guest_efer_lma(Checker& c) {
  if (!loads_guest_efer(c)) return;
  const uint64_t value = c.read(Field::guest_ia32_efer);
  const bool lma = (value & efer::lma) != 0;
  if (lma != c.ia32e_mode_guest()) {
    c.fail(Field::guest_ia32_efer, value, value ^ efer::lma);
    c.relate(Field::entry_controls, c.entry_controls());
  }
}

void guest_efer_lme(Checker& c) {
  if (!loads_guest_efer(c)) return;
  if ((c.read(Field::guest_cr0) & cr0::pg) == 0) return;
  const uint64_t value = c.read(Field::guest_ia32_efer);
  if (((value & efer::lma) != 0) != ((value & efer::lme) != 0)) {
    c.fail(Field::guest_ia32_efer, value, value ^ efer::lme);
  }
}

// ------------------------------------------------ 26.3.1.3 descriptor-table registers

void guest_gdtr_base_canonical(Checker& c) { require_canonical(c, Field::guest_gdtr_base); }
void guest_idtr_base_canonical(Checker& c) { require_canonical(c, Field::guest_idtr_base); }

void table_limit(Checker& c, Field field) {
  const uint64_t limit = c.read(field);
  if (limit > 0xFFFF) c.fail(field, limit, limit & 0xFFFF);
}
void guest_gdtr_limit(Checker& c) { table_limit(c, Field::guest_gdtr_limit); }
void guest_idtr_limit(Checker& c) { table_limit(c, Field::guest_idtr_limit); }

// ------------------------------------------------ 26.3.1.4 RIP and RFLAGS

bool guest_in_64_bit_mode(Checker& c) {
  return c.ia32e_mode_guest() && access::l(c.read(Field::guest_cs_access_rights));
}

void guest_rip_upper(Checker& c) {
  if (guest_in_64_bit_mode(c)) return;
  const uint64_t rip = c.read(Field::guest_rip);
  if ((rip >> 32) != 0) c.fail(Field::guest_rip, rip, rip & 0xFFFFFFFF);
}

void guest_rip_canonical(Checker& c) {
  if (guest_in_64_bit_mode(c)) require_canonical(c, Field::guest_rip);
}

void guest_rflags_reserved(Checker& c) {
  const uint64_t rflags = c.read(Field::guest_rflags);
  const uint64_t nearest = (rflags & ~bits::rflags_must_be_0) | bits::rflags_must_be_1;
  if (rflags != nearest) c.fail(Field::guest_rflags, rflags, nearest);
}

void guest_rflags_vm(Checker& c) {
  const uint64_t rflags = c.read(Field::guest_rflags);
  if ((rflags & rflags::vm) == 0) return;
  const uint64_t cr0 = c.read(Field::guest_cr0);
  if (c.ia32e_mode_guest() || (cr0 & cr0::pe) == 0) {
    c.fail(Field::guest_rflags, rflags, rflags & ~rflags::vm);
    c.relate(Field::guest_cr0, cr0);
  }
}

// The VM-entry interruption information when valid, else 0.
uint64_t entry_event_info(Checker& c) {
  const uint64_t info = c.read(Field::entry_interruption_info);
  return (info & entry_event::valid) != 0 ? info : 0;
}

bool delivers(Checker& c, uint32_t type) {
  const uint64_t info = entry_event_info(c);
  return info != 0 && entry_event::type(info) == type;
}

void guest_rflags_if_for_external_interrupt(Checker& c) {
  if (!delivers(c, entry_event::external_interrupt)) return;
  const uint64_t rflags = c.read(Field::guest_rflags);
  if ((rflags & rflags::if_flag) == 0) {
    c.fail(Field::guest_rflags, rflags, rflags | rflags::if_flag);
    c.relate(Field::entry_interruption_info, entry_event_info(c));
  }
}

// ------------------------------------------------ 26.3.1.5 non-register state

// IA32_VMX_MISC bits 8:6 say which of HLT (1), shutdown (2) and
// wait-for-SIPI (3) a VM entry may put the guest in.
void guest_activity_state(Checker& c) {
  const uint64_t state = c.read(Field::guest_activity_state);
  const bool supported = state == activity::active ||
                         (state <= 3 && bit(c.env().msrs.misc, 5 + static_cast<unsigned>(state)));
  if (!supported) c.fail(Field::guest_activity_state, state, activity::active);
}

void guest_activity_hlt_ss_dpl(Checker& c) {
  const uint64_t state = c.read(Field::guest_activity_state);
  if (state != activity::hlt) return;
  const uint64_t ss_ar = c.read(Field::guest_ss_access_rights);
  if (access::dpl(ss_ar) != 0) {
    c.fail(Field::guest_activity_state, state, activity::active);
    c.relate(Field::guest_ss_access_rights, ss_ar);
  }
}

void guest_activity_with_blocking(Checker& c) {
  const uint64_t state = c.read(Field::guest_activity_state);
  if (state == activity::active) return;
  const uint64_t blocking = c.read(Field::guest_interruptibility_state);
  if ((blocking & (interruptibility::sti | interruptibility::mov_ss)) != 0) {
    c.fail(Field::guest_activity_state, state, activity::active);
    c.relate(Field::guest_interruptibility_state, blocking);
  }
}

constexpr bool event_allowed_in(uint64_t state, uint32_t type, uint32_t vector) {
  switch (state) {
    case activity::active: return true;
    case activity::hlt:
      return type == entry_event::external_interrupt || type == entry_event::nmi ||
             (type == entry_event::hardware_exception && (vector == 1 || vector == 18)) ||
             (type == entry_event::other_event && vector == 0);
    case activity::shutdown:
      return type == entry_event::nmi || (type == entry_event::hardware_exception && vector == 18);
    default: return false;  // wait-for-SIPI blocks every event
  }
}

void guest_activity_event(Checker& c) {
  const uint64_t info = entry_event_info(c);
  if (info == 0) return;
  const uint64_t state = c.read(Field::guest_activity_state);
  if (!event_allowed_in(state, entry_event::type(info), entry_event::vector(info))) {
    c.fail(Field::guest_activity_state, state, activity::active);
    c.relate(Field::entry_interruption_info, info);
  }
}

uint64_t blocking_state(Checker& c) { return c.read(Field::guest_interruptibility_state); }

void guest_interruptibility_reserved(Checker& c) {
  const uint64_t value = blocking_state(c);
  if ((value & interruptibility::reserved) != 0) {
    c.fail(Field::guest_interruptibility_state, value, value & ~interruptibility::reserved);
  }
}

void guest_interruptibility_sti_and_mov_ss(Checker& c) {
  const uint64_t value = blocking_state(c);
  if ((value & interruptibility::sti) != 0 && (value & interruptibility::mov_ss) != 0) {
    c.fail(Field::guest_interruptibility_state, value, value & ~interruptibility::sti);
  }
}

void guest_interruptibility_sti_needs_if(Checker& c) {
  const uint64_t value = blocking_state(c);
  if ((value & interruptibility::sti) == 0) return;
  const uint64_t rflags = c.read(Field::guest_rflags);
  if ((rflags & rflags::if_flag) == 0) {
    c.fail(Field::guest_interruptibility_state, value, value & ~interruptibility::sti);
    c.relate(Field::guest_rflags, rflags);
  }
}

void guest_interruptibility_external_interrupt(Checker& c) {
  if (!delivers(c, entry_event::external_interrupt)) return;
  const uint64_t value = blocking_state(c);
  constexpr uint64_t blocking = interruptibility::sti | interruptibility::mov_ss;
  if ((value & blocking) != 0) {
    c.fail(Field::guest_interruptibility_state, value, value & ~blocking);
    c.relate(Field::entry_interruption_info, entry_event_info(c));
  }
}

void guest_interruptibility_nmi_mov_ss(Checker& c) {
  if (!delivers(c, entry_event::nmi)) return;
  const uint64_t value = blocking_state(c);
  if ((value & interruptibility::mov_ss) != 0) {
    c.fail(Field::guest_interruptibility_state, value, value & ~interruptibility::mov_ss);
    c.relate(Field::entry_interruption_info, entry_event_info(c));
  }
}

// The VMM is never in SMM when it enters a guest.
void guest_interruptibility_smi(Checker& c) {
  const uint64_t value = blocking_state(c);
  if ((value & interruptibility::smi) != 0) {
    c.fail(Field::guest_interruptibility_state, value, value & ~interruptibility::smi);
  }
}

void guest_interruptibility_virtual_nmi(Checker& c) {
  if ((c.pin_controls() & pin::virtual_nmis) == 0 || !delivers(c, entry_event::nmi)) return;
  const uint64_t value = blocking_state(c);
  if ((value & interruptibility::nmi) != 0) {
    c.fail(Field::guest_interruptibility_state, value, value & ~interruptibility::nmi);
    c.relate(Field::entry_interruption_info, entry_event_info(c));
  }
}

void guest_interruptibility_enclave(Checker& c) {
  const uint64_t value = blocking_state(c);
  if ((value & interruptibility::enclave) != 0 && (value & interruptibility::mov_ss) != 0) {
    c.fail(Field::guest_interruptibility_state, value, value & ~interruptibility::mov_ss);
  }
}

// Pending debug exceptions (SDM 24.4.2, table 24-4): B3-B0 (3:0), enabled
// breakpoint (12), BS (14), RTM (16); everything else reserved.
constexpr uint64_t pending_debug_reserved = ~uint64_t{0xF | (1u << 12) | (1u << 14) | (1u << 16)};
constexpr uint64_t pending_debug_bs = 1u << 14;
constexpr uint64_t pending_debug_enabled_breakpoint = 1u << 12;
constexpr uint64_t pending_debug_rtm = 1u << 16;

void guest_pending_debug_reserved(Checker& c) {
  const uint64_t value = c.read(Field::guest_pending_debug_exceptions);
  if ((value & pending_debug_reserved) != 0) {
    c.fail(Field::guest_pending_debug_exceptions, value, value & ~pending_debug_reserved);
  }
}

// With STI/MOV-SS blocking or in HLT, BS must say whether single-step is
// pending: 1 if RFLAGS.TF = 1 and IA32_DEBUGCTL.BTF = 0, else 0.
void guest_pending_debug_bs(Checker& c) {
  const uint64_t blocking = blocking_state(c);
  const bool applies = (blocking & (interruptibility::sti | interruptibility::mov_ss)) != 0 ||
                       c.read(Field::guest_activity_state) == activity::hlt;
  if (!applies) return;
  const uint64_t rflags = c.read(Field::guest_rflags);
  const bool single_step = (rflags & rflags::tf) != 0 &&
                           (c.read(Field::guest_ia32_debugctl) & bits::debugctl_btf) == 0;
  const uint64_t value = c.read(Field::guest_pending_debug_exceptions);
  if (((value & pending_debug_bs) != 0) != single_step) {
    c.fail(Field::guest_pending_debug_exceptions, value, value ^ pending_debug_bs);
    c.relate(Field::guest_rflags, rflags);
  }
}

// RTM (bit 16): then only bit 12 of 15:0 may be set, and it must be, and
// there is no MOV-SS blocking.
void guest_pending_debug_rtm(Checker& c) {
  const uint64_t value = c.read(Field::guest_pending_debug_exceptions);
  if ((value & pending_debug_rtm) == 0) return;
  const uint64_t low = value & 0xFFFF;
  if (low != pending_debug_enabled_breakpoint) {
    c.fail(Field::guest_pending_debug_exceptions, value,
           (value & ~uint64_t{0xFFFF}) | pending_debug_enabled_breakpoint);
    return;
  }
  const uint64_t blocking = blocking_state(c);
  if ((blocking & interruptibility::mov_ss) != 0) {
    c.fail(Field::guest_pending_debug_exceptions, value, value & ~pending_debug_rtm);
    c.relate(Field::guest_interruptibility_state, blocking);
  }
}

// The VMCS link pointer: all ones for "none" (what this VMM writes), else
// the address of a VMCS (a shadow VMCS with VMCS shadowing).
uint64_t link_pointer_in_use(Checker& c, bool* in_use) {
  const uint64_t pointer = c.read(Field::vmcs_link_pointer);
  *in_use = pointer != ~uint64_t{0};
  return pointer;
}

void guest_vmcs_link_aligned(Checker& c) {
  bool in_use;
  const uint64_t pointer = link_pointer_in_use(c, &in_use);
  if (in_use && (pointer & 0xFFF) != 0) c.fail(Field::vmcs_link_pointer, pointer, ~uint64_t{0});
}

void guest_vmcs_link_width(Checker& c) {
  bool in_use;
  const uint64_t pointer = link_pointer_in_use(c, &in_use);
  if (in_use && !fits_width(pointer, c.vmx_structure_address_width())) {
    c.fail(Field::vmcs_link_pointer, pointer, ~uint64_t{0});
  }
}

// The first 8 bytes at the link pointer, or false (and a failure) when
// they cannot be read.
bool read_linked_vmcs_header(Checker& c, uint64_t pointer, uint64_t* header) {
  const PhysicalMemoryReader& memory = c.env().memory;
  if (memory.read != nullptr && memory.read(memory.context, pointer, header)) return true;
  c.fail(Field::vmcs_link_pointer, pointer, ~uint64_t{0});
  return false;
}

void guest_vmcs_link_readable(Checker& c) {
  bool in_use;
  const uint64_t pointer = link_pointer_in_use(c, &in_use);
  uint64_t header;
  if (in_use) read_linked_vmcs_header(c, pointer, &header);
}

void guest_vmcs_link_revision(Checker& c) {
  bool in_use;
  const uint64_t pointer = link_pointer_in_use(c, &in_use);
  uint64_t header;
  if (!in_use || !read_linked_vmcs_header(c, pointer, &header)) return;
  const uint32_t revision = static_cast<uint32_t>(header) & 0x7FFFFFFF;
  const uint32_t expected = ia32::vmx::VmxBasic{c.env().msrs.basic}.revision_id();
  if (revision != expected) {
    c.fail(Field::vmcs_link_pointer, pointer, ~uint64_t{0});
  }
}

void guest_vmcs_link_shadow_indicator(Checker& c) {
  bool in_use;
  const uint64_t pointer = link_pointer_in_use(c, &in_use);
  uint64_t header;
  if (!in_use || !read_linked_vmcs_header(c, pointer, &header)) return;
  const bool shadow = bit(header, 31);
  const bool shadowing = (c.secondary_controls() & secondary::vmcs_shadowing) != 0;
  if (shadow != shadowing) {
    c.fail(Field::vmcs_link_pointer, pointer, ~uint64_t{0});
    c.relate(Field::secondary_processor_controls, c.secondary_controls());
  }
}

// ------------------------------------------------ 26.3.1.6 PDPTEs

// PAE paging outside IA-32e mode: VM entry loads the four PDPTEs, from the
// VMCS with EPT, else from guest CR3.
bool guest_uses_pae_paging(Checker& c) {
  if (c.ia32e_mode_guest()) return false;
  return (c.read(Field::guest_cr0) & cr0::pg) != 0 &&
         (c.read(Field::guest_cr4) & cr4::pae) != 0;
}

bool uses_ept(Checker& c) { return (c.secondary_controls() & secondary::enable_ept) != 0; }

// A present PDPTE has bits 2:1, 8:5 and those beyond the width clear.
uint64_t pdpte_reserved_bits(unsigned width) {
  return 0x1E6 | ~truncate_to_width(~uint64_t{0}, width);
}

bool pdpte_valid(uint64_t pdpte, unsigned width) {
  return (pdpte & 1) == 0 || (pdpte & pdpte_reserved_bits(width)) == 0;
}

void guest_pdptes_in_vmcs(Checker& c) {
  if (!guest_uses_pae_paging(c) || !uses_ept(c)) return;
  constexpr Field fields[] = {Field::guest_pdpte0, Field::guest_pdpte1, Field::guest_pdpte2,
                              Field::guest_pdpte3};
  const unsigned width = c.physical_address_width();
  for (Field field : fields) {
    const uint64_t pdpte = c.read(field);
    if (!pdpte_valid(pdpte, width)) {
      c.fail(field, pdpte, pdpte & ~pdpte_reserved_bits(width));
      return;
    }
  }
}

void guest_pdptes_readable(Checker& c) {
  if (!guest_uses_pae_paging(c) || uses_ept(c)) return;
  const uint64_t cr3 = c.read(Field::guest_cr3);
  const PhysicalMemoryReader& memory = c.env().memory;
  for (unsigned i = 0; i < 4; ++i) {
    uint64_t pdpte;
    if (memory.read == nullptr ||
        !memory.read(memory.context, (cr3 & ~uint64_t{0x1F}) + i * 8, &pdpte)) {
      c.fail(Field::guest_cr3, cr3);
      return;
    }
  }
}

void guest_pdptes_in_memory(Checker& c) {
  if (!guest_uses_pae_paging(c) || uses_ept(c)) return;
  const uint64_t cr3 = c.read(Field::guest_cr3);
  const PhysicalMemoryReader& memory = c.env().memory;
  const unsigned width = c.physical_address_width();
  for (unsigned i = 0; i < 4; ++i) {
    uint64_t pdpte = 0;
    if (memory.read == nullptr ||
        !memory.read(memory.context, (cr3 & ~uint64_t{0x1F}) + i * 8, &pdpte)) {
      return;  // guest-pdpte-readable reported it
    }
    if (!pdpte_valid(pdpte, width)) {
      c.fail(Field::guest_cr3, cr3);
      return;
    }
  }
}

constexpr const char* s_registers = "26.3.1.1";
constexpr const char* s_tables = "26.3.1.3";
// The SDM states each for both registers.
constexpr const char* table_base_rule = "The guest GDTR and IDTR bases must be canonical.";
constexpr const char* table_limit_rule = "The guest GDTR and IDTR limits must have bits 31:16 0.";
constexpr const char* s_rip = "26.3.1.4";
constexpr const char* s_non_register = "26.3.1.5";
constexpr const char* s_pdpte = "26.3.1.6";

constexpr Check register_checks[] = {
    {{"guest-cr0-fixed", s_registers,
      "Guest CR0 must have the FIXED0 bits set (PE and PG not required with unrestricted guest) "
      "and only FIXED1 bits."},
     guest_cr0_fixed},
    {{"guest-cr0-pg-needs-pe", s_registers, "Guest CR0.PG = 1 requires CR0.PE = 1."},
     guest_cr0_pg_needs_pe},
    {{"guest-cr4-fixed", s_registers,
      "Guest CR4 must have the IA32_VMX_CR4_FIXED0 bits set and only IA32_VMX_CR4_FIXED1 bits."},
     guest_cr4_fixed},
    {{"guest-debugctl-reserved", s_registers,
      "With load debug controls, reserved guest IA32_DEBUGCTL bits (5:2, 63:16) must be 0."},
     guest_debugctl_reserved},
    {{"guest-ia32e-needs-paging", s_registers, "An IA-32e mode guest needs CR0.PG = 1."},
     guest_ia32e_needs_paging},
    {{"guest-ia32e-needs-pae", s_registers, "An IA-32e mode guest needs CR4.PAE = 1."},
     guest_ia32e_needs_pae},
    {{"guest-pcide-needs-ia32e", s_registers, "Guest CR4.PCIDE must be 0 outside IA-32e mode."},
     guest_pcide_needs_ia32e},
    {{"guest-cr3-width", s_registers,
      "Guest CR3 must not set bits beyond the physical-address width."},
     guest_cr3_width},
    {{"guest-dr7-upper", s_registers, "With load debug controls, guest DR7 bits 63:32 must be 0."},
     guest_dr7_upper},
    {{"guest-sysenter-esp-canonical", s_registers, "Guest IA32_SYSENTER_ESP must be canonical."},
     guest_sysenter_esp_canonical},
    {{"guest-sysenter-eip-canonical", s_registers, "Guest IA32_SYSENTER_EIP must be canonical."},
     guest_sysenter_eip_canonical},
    {{"guest-pat", s_registers,
      "With load IA32_PAT, every guest PAT entry must be a valid memory type (0, 1, 4, 5, 6, 7)."},
     guest_pat},
    {{"guest-efer-reserved", s_registers,
      "With load IA32_EFER, reserved guest EFER bits must be 0."},
     guest_efer_reserved},
    {{"guest-efer-lma", s_registers,
      "With load IA32_EFER, guest EFER.LMA must equal IA-32e mode guest."},
     guest_efer_lma},
    {{"guest-efer-lme", s_registers,
      "With load IA32_EFER and guest CR0.PG = 1, guest EFER.LME must equal EFER.LMA."},
     guest_efer_lme},
};

constexpr Check non_segment_checks[] = {
    {{"guest-gdtr-base-canonical", s_tables, table_base_rule},
     guest_gdtr_base_canonical},
    {{"guest-idtr-base-canonical", s_tables, table_base_rule},
     guest_idtr_base_canonical},
    {{"guest-gdtr-limit", s_tables, table_limit_rule}, guest_gdtr_limit},
    {{"guest-idtr-limit", s_tables, table_limit_rule}, guest_idtr_limit},

    {{"guest-rip-upper", s_rip,
      "Guest RIP bits 63:32 must be 0 unless the guest is in 64-bit mode."},
     guest_rip_upper},
    {{"guest-rip-canonical", s_rip, "In 64-bit mode the guest RIP must be canonical."},
     guest_rip_canonical},
    {{"guest-rflags-reserved", s_rip,
      "Guest RFLAGS bits 63:22, 15, 5 and 3 must be 0 and bit 1 must be 1."},
     guest_rflags_reserved},
    {{"guest-rflags-vm", s_rip,
      "Guest RFLAGS.VM must be 0 for an IA-32e mode guest or with CR0.PE = 0."},
     guest_rflags_vm},
    {{"guest-rflags-if-for-external-interrupt", s_rip,
      "Delivering an external interrupt on VM entry requires guest RFLAGS.IF = 1."},
     guest_rflags_if_for_external_interrupt},

    {{"guest-activity-state", s_non_register,
      "The activity state must be 0-3 and one IA32_VMX_MISC bits 8:6 support."},
     guest_activity_state},
    {{"guest-activity-hlt-ss-dpl", s_non_register, "The HLT activity state requires SS DPL 0."},
     guest_activity_hlt_ss_dpl},
    {{"guest-activity-with-blocking", s_non_register,
      "Blocking by STI or MOV SS requires the active state."},
     guest_activity_with_blocking},
    {{"guest-activity-event", s_non_register,
      "An event delivered on VM entry must be one the activity state lets through."},
     guest_activity_event},
    {{"guest-interruptibility-reserved", s_non_register,
      "Interruptibility-state bits 31:5 must be 0."},
     guest_interruptibility_reserved},
    {{"guest-interruptibility-sti-and-mov-ss", s_non_register,
      "Blocking by STI and by MOV SS must not both be 1."},
     guest_interruptibility_sti_and_mov_ss},
    {{"guest-interruptibility-sti-needs-if", s_non_register,
      "Blocking by STI requires guest RFLAGS.IF = 1."},
     guest_interruptibility_sti_needs_if},
    {{"guest-interruptibility-external-interrupt", s_non_register,
      "Delivering an external interrupt on VM entry requires no blocking by STI or MOV SS."},
     guest_interruptibility_external_interrupt},
    {{"guest-interruptibility-nmi-mov-ss", s_non_register,
      "Delivering an NMI on VM entry requires no blocking by MOV SS."},
     guest_interruptibility_nmi_mov_ss},
    {{"guest-interruptibility-smi", s_non_register, "Blocking by SMI must be 0 outside SMM."},
     guest_interruptibility_smi},
    {{"guest-interruptibility-virtual-nmi", s_non_register,
      "With virtual NMIs, delivering an NMI on VM entry requires blocking by NMI = 0."},
     guest_interruptibility_virtual_nmi},
    {{"guest-interruptibility-enclave", s_non_register,
      "Enclave interruption and blocking by MOV SS must not both be 1."},
     guest_interruptibility_enclave},
    {{"guest-pending-debug-reserved", s_non_register,
      "Pending debug exceptions bits 11:4, 13, 15 and 63:17 must be 0."},
     guest_pending_debug_reserved},
    {{"guest-pending-debug-bs", s_non_register,
      "With STI/MOV-SS blocking or in HLT, pending BS must be 1 exactly when RFLAGS.TF = 1 and "
      "DEBUGCTL.BTF = 0."},
     guest_pending_debug_bs},
    {{"guest-pending-debug-rtm", s_non_register,
      "With pending RTM (bit 16), bit 12 must be the only other bit of 15:0 and no MOV-SS "
      "blocking."},
     guest_pending_debug_rtm},
    {{"guest-vmcs-link-aligned", s_non_register,
      "A VMCS link pointer other than all ones must be 4 KiB aligned."},
     guest_vmcs_link_aligned},
    {{"guest-vmcs-link-width", s_non_register,
      "A VMCS link pointer other than all ones must fit the physical-address width."},
     guest_vmcs_link_width},
    {{"guest-vmcs-link-readable", s_non_register,
      "A VMCS link pointer other than all ones must point at memory the checker can read."},
     guest_vmcs_link_readable},
    {{"guest-vmcs-link-revision", s_non_register,
      "A VMCS link pointer other than all ones must point at a VMCS with the IA32_VMX_BASIC "
      "revision."},
     guest_vmcs_link_revision},
    {{"guest-vmcs-link-shadow-indicator", s_non_register,
      "The linked VMCS's shadow-VMCS indicator (bit 31) must equal the VMCS shadowing control."},
     guest_vmcs_link_shadow_indicator},

    {{"guest-pdpte-ept", s_pdpte,
      "With PAE paging and EPT, each present guest PDPTE field must have its reserved bits clear."},
     guest_pdptes_in_vmcs},
    {{"guest-pdpte-readable", s_pdpte,
      "With PAE paging and no EPT, the PDPTEs at guest CR3 must be readable by the checker."},
     guest_pdptes_readable},
    {{"guest-pdpte-memory", s_pdpte,
      "With PAE paging and no EPT, each present PDPTE at guest CR3 must have its reserved bits "
      "clear."},
     guest_pdptes_in_memory},
};

}  // namespace

constinit const CheckGroup guest_register_checks =
    make_group(register_checks, EntryFailureKind::invalid_guest_state);
constinit const CheckGroup guest_non_segment_checks =
    make_group(non_segment_checks, EntryFailureKind::invalid_guest_state);

}  // namespace vmx::entry_checks
