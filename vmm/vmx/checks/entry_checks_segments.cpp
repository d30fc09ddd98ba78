// SDM Vol. 3, 26.3.1.2 "Checks on Guest Segment Registers", the virtual-8086
// rules included: a failure here is a VM exit with reason 33 (invalid guest
// state). The SDM lists the rules by kind (selectors, bases, limits, access
// rights) and each kind for every register; so do the tables below.
#include "vmx/checks/entry_checks_internal.h"

namespace vmx::entry_checks {

namespace {

enum class Segment : uint8_t { es, cs, ss, ds, fs, gs, ldtr, tr };

struct SegmentFields {
  Field selector, base, limit, access_rights;
};

constexpr SegmentFields fields_of(Segment segment) {
  switch (segment) {
    case Segment::es:
      return {Field::guest_es_selector, Field::guest_es_base, Field::guest_es_limit,
              Field::guest_es_access_rights};
    case Segment::cs:
      return {Field::guest_cs_selector, Field::guest_cs_base, Field::guest_cs_limit,
              Field::guest_cs_access_rights};
    case Segment::ss:
      return {Field::guest_ss_selector, Field::guest_ss_base, Field::guest_ss_limit,
              Field::guest_ss_access_rights};
    case Segment::ds:
      return {Field::guest_ds_selector, Field::guest_ds_base, Field::guest_ds_limit,
              Field::guest_ds_access_rights};
    case Segment::fs:
      return {Field::guest_fs_selector, Field::guest_fs_base, Field::guest_fs_limit,
              Field::guest_fs_access_rights};
    case Segment::gs:
      return {Field::guest_gs_selector, Field::guest_gs_base, Field::guest_gs_limit,
              Field::guest_gs_access_rights};
    case Segment::ldtr:
      return {Field::guest_ldtr_selector, Field::guest_ldtr_base, Field::guest_ldtr_limit,
              Field::guest_ldtr_access_rights};
    case Segment::tr:
      return {Field::guest_tr_selector, Field::guest_tr_base, Field::guest_tr_limit,
              Field::guest_tr_access_rights};
  }
  return fields_of(Segment::cs);
}

template <Segment S>
uint64_t access_rights(Checker& c) {
  return c.read(fields_of(S).access_rights);
}

// CS is always checked; the other registers only when usable (AR bit 16 clear).
template <Segment S>
bool checked_as_usable(Checker& c) {
  return S == Segment::cs || !access::unusable(access_rights<S>(c));
}

// Protected-mode rules: neither virtual-8086 mode nor an unrestricted guest.
bool rpl_rules_apply(Checker& c) { return !c.guest_v86() && !c.unrestricted_guest(); }

// ------------------------------------------------ selectors

void tr_selector_ti(Checker& c) {
  const uint64_t selector = c.read(Field::guest_tr_selector);
  if (bit(selector, 2)) c.fail(Field::guest_tr_selector, selector, selector & ~uint64_t{4});
}

void ldtr_selector_ti(Checker& c) {
  if (access::unusable(access_rights<Segment::ldtr>(c))) return;
  const uint64_t selector = c.read(Field::guest_ldtr_selector);
  if (bit(selector, 2)) c.fail(Field::guest_ldtr_selector, selector, selector & ~uint64_t{4});
}

void ss_rpl_equals_cs_rpl(Checker& c) {
  if (!rpl_rules_apply(c)) return;
  const uint64_t ss = c.read(Field::guest_ss_selector);
  const uint64_t cs = c.read(Field::guest_cs_selector);
  if ((ss & 3) != (cs & 3)) {
    c.fail(Field::guest_ss_selector, ss, (ss & ~uint64_t{3}) | (cs & 3));
    c.relate(Field::guest_cs_selector, cs);
  }
}

// ------------------------------------------------ bases

template <Segment S>
void base_v86(Checker& c) {
  if (!c.guest_v86()) return;
  constexpr SegmentFields f = fields_of(S);
  const uint64_t selector = c.read(f.selector);
  const uint64_t base = c.read(f.base);
  if (base != selector << 4) {
    c.fail(f.base, base, selector << 4);
    c.relate(f.selector, selector);
  }
}

template <Segment S>
void base_canonical(Checker& c) {
  if (S == Segment::ldtr && access::unusable(access_rights<Segment::ldtr>(c))) return;
  require_canonical(c, fields_of(S).base);
}

template <Segment S>
void base_upper_bits(Checker& c) {
  if (!checked_as_usable<S>(c)) return;
  constexpr Field field = fields_of(S).base;
  const uint64_t base = c.read(field);
  if ((base >> 32) != 0) c.fail(field, base, base & 0xFFFFFFFF);
}

// ------------------------------------------------ limits

template <Segment S>
void limit_v86(Checker& c) {
  if (!c.guest_v86()) return;
  constexpr Field field = fields_of(S).limit;
  const uint64_t limit = c.read(field);
  if (limit != 0xFFFF) c.fail(field, limit, 0xFFFF);
}

// ------------------------------------------------ access rights, virtual-8086 mode

template <Segment S>
void access_rights_v86(Checker& c) {
  if (!c.guest_v86()) return;
  constexpr Field field = fields_of(S).access_rights;
  const uint64_t ar = c.read(field);
  if (ar != 0xF3) c.fail(field, ar, 0xF3);  // present, DPL 3, read/write accessed data
}

// ------------------------------------------------ access rights, other modes

void cs_type(Checker& c) {
  if (c.guest_v86()) return;
  const uint64_t ar = access_rights<Segment::cs>(c);
  const uint32_t type = access::type(ar);
  const bool ok =
      type == 9 || type == 11 || type == 13 || type == 15 || (type == 3 && c.unrestricted_guest());
  if (!ok) c.fail(Field::guest_cs_access_rights, ar, (ar & ~uint64_t{0xF}) | 11);
}

void ss_type(Checker& c) {
  if (c.guest_v86() || !checked_as_usable<Segment::ss>(c)) return;
  const uint64_t ar = access_rights<Segment::ss>(c);
  const uint32_t type = access::type(ar);
  if (type != 3 && type != 7) c.fail(Field::guest_ss_access_rights, ar, (ar & ~uint64_t{0xF}) | 3);
}

// DS, ES, FS, GS: accessed, and readable if code.
template <Segment S>
void data_type(Checker& c) {
  if (c.guest_v86() || !checked_as_usable<S>(c)) return;
  const uint64_t ar = access_rights<S>(c);
  const bool accessed = bit(ar, 0);
  const bool unreadable_code = access::code(ar) && !bit(ar, 1);
  if (!accessed || unreadable_code) {
    c.fail(fields_of(S).access_rights, ar, ar | 1 | (access::code(ar) ? 2 : 0));
  }
}

template <Segment S>
void code_or_data(Checker& c) {
  if (c.guest_v86() || !checked_as_usable<S>(c)) return;
  const uint64_t ar = access_rights<S>(c);
  if (!access::s(ar)) c.fail(fields_of(S).access_rights, ar, ar | (1u << 4));
}

void cs_dpl(Checker& c) {
  if (c.guest_v86()) return;
  const uint64_t ar = access_rights<Segment::cs>(c);
  const uint64_t ss_ar = access_rights<Segment::ss>(c);
  const uint32_t type = access::type(ar);
  const uint32_t dpl = access::dpl(ar);
  const uint32_t ss_dpl = access::dpl(ss_ar);
  bool ok = true;
  uint32_t wanted = dpl;
  if (type == 3) {
    ok = dpl == 0;
    wanted = 0;
  } else if (type == 9 || type == 11) {
    ok = dpl == ss_dpl;
    wanted = ss_dpl;
  } else if (type == 13 || type == 15) {
    ok = dpl <= ss_dpl;
    wanted = ss_dpl;
  }
  if (!ok) {
    c.fail(Field::guest_cs_access_rights, ar, (ar & ~uint64_t{0x60}) | (wanted << 5));
    c.relate(Field::guest_ss_access_rights, ss_ar);
  }
}

void ss_dpl(Checker& c) {
  if (c.guest_v86()) return;
  const uint64_t ar = access_rights<Segment::ss>(c);
  const uint32_t dpl = access::dpl(ar);
  if (!c.unrestricted_guest()) {
    const uint64_t selector = c.read(Field::guest_ss_selector);
    if (dpl != (selector & 3)) {
      c.fail(Field::guest_ss_access_rights, ar, (ar & ~uint64_t{0x60}) | ((selector & 3) << 5));
      c.relate(Field::guest_ss_selector, selector);
      return;
    }
  }
  const bool cs_is_data = access::type(access_rights<Segment::cs>(c)) == 3;
  const bool real_mode = (c.read(Field::guest_cr0) & cr0::pe) == 0;
  if ((cs_is_data || real_mode) && dpl != 0) {
    c.fail(Field::guest_ss_access_rights, ar, ar & ~uint64_t{0x60});
  }
}

// DS, ES, FS, GS: DPL not below RPL for data and non-conforming code.
template <Segment S>
void data_dpl(Checker& c) {
  if (!rpl_rules_apply(c) || !checked_as_usable<S>(c)) return;
  const uint64_t ar = access_rights<S>(c);
  if (access::type(ar) > 11) return;
  const uint64_t selector = c.read(fields_of(S).selector);
  if (access::dpl(ar) < (selector & 3)) {
    c.fail(fields_of(S).access_rights, ar, (ar & ~uint64_t{0x60}) | ((selector & 3) << 5));
    c.relate(fields_of(S).selector, selector);
  }
}

template <Segment S>
void present(Checker& c) {
  if (c.guest_v86() || !checked_as_usable<S>(c)) return;
  const uint64_t ar = access_rights<S>(c);
  if (!access::present(ar)) c.fail(fields_of(S).access_rights, ar, ar | 0x80);
}

template <Segment S>
void access_rights_reserved(Checker& c) {
  if (c.guest_v86() || !checked_as_usable<S>(c)) return;
  const uint64_t ar = access_rights<S>(c);
  if ((ar & access::reserved_bits) != 0) {
    c.fail(fields_of(S).access_rights, ar, ar & ~access::reserved_bits);
  }
}

void cs_db_with_l(Checker& c) {
  if (c.guest_v86() || !c.ia32e_mode_guest()) return;
  const uint64_t ar = access_rights<Segment::cs>(c);
  if (access::l(ar) && access::db(ar)) {
    c.fail(Field::guest_cs_access_rights, ar, ar & ~uint64_t{1u << 14});
  }
}

template <Segment S>
void granularity(Checker& c) {
  if (c.guest_v86() || !checked_as_usable<S>(c)) return;
  const uint64_t ar = access_rights<S>(c);
  const uint64_t limit = c.read(fields_of(S).limit);
  if (!access::granularity_consistent(limit, ar)) {
    c.fail(fields_of(S).access_rights, ar, ar ^ access::granularity);
    c.relate(fields_of(S).limit, limit);
  }
}

// ------------------------------------------------ TR and LDTR (every mode)

void tr_type(Checker& c) {
  const uint64_t ar = access_rights<Segment::tr>(c);
  const uint32_t type = access::type(ar);
  // 11: busy 32/64-bit TSS; 3: busy 16-bit TSS, outside IA-32e mode only.
  const bool ok = type == 11 || (type == 3 && !c.ia32e_mode_guest());
  if (!ok) c.fail(Field::guest_tr_access_rights, ar, (ar & ~uint64_t{0xF}) | 11);
}

void tr_system(Checker& c) {
  const uint64_t ar = access_rights<Segment::tr>(c);
  if (access::s(ar)) c.fail(Field::guest_tr_access_rights, ar, ar & ~uint64_t{1u << 4});
}

void tr_present(Checker& c) {
  const uint64_t ar = access_rights<Segment::tr>(c);
  if (!access::present(ar)) c.fail(Field::guest_tr_access_rights, ar, ar | 0x80);
}

void tr_reserved(Checker& c) {
  const uint64_t ar = access_rights<Segment::tr>(c);
  // Bit 16 (unusable) has its own rule below.
  const uint64_t reserved = access::reserved_bits & ~uint64_t{1u << 16};
  if ((ar & reserved) != 0) c.fail(Field::guest_tr_access_rights, ar, ar & ~reserved);
}

void tr_granularity(Checker& c) {
  const uint64_t ar = access_rights<Segment::tr>(c);
  const uint64_t limit = c.read(Field::guest_tr_limit);
  if (!access::granularity_consistent(limit, ar)) {
    c.fail(Field::guest_tr_access_rights, ar, ar ^ access::granularity);
    c.relate(Field::guest_tr_limit, limit);
  }
}

void tr_usable(Checker& c) {
  const uint64_t ar = access_rights<Segment::tr>(c);
  if (access::unusable(ar)) c.fail(Field::guest_tr_access_rights, ar, ar & ~uint64_t{1u << 16});
}

bool ldtr_usable(Checker& c) { return !access::unusable(access_rights<Segment::ldtr>(c)); }

void ldtr_type(Checker& c) {
  if (!ldtr_usable(c)) return;
  const uint64_t ar = access_rights<Segment::ldtr>(c);
  if (access::type(ar) != 2) c.fail(Field::guest_ldtr_access_rights, ar, (ar & ~uint64_t{0xF}) | 2);
}

void ldtr_system(Checker& c) {
  if (!ldtr_usable(c)) return;
  const uint64_t ar = access_rights<Segment::ldtr>(c);
  if (access::s(ar)) c.fail(Field::guest_ldtr_access_rights, ar, ar & ~uint64_t{1u << 4});
}

void ldtr_present(Checker& c) {
  if (!ldtr_usable(c)) return;
  const uint64_t ar = access_rights<Segment::ldtr>(c);
  if (!access::present(ar)) c.fail(Field::guest_ldtr_access_rights, ar, ar | 0x80);
}

void ldtr_reserved(Checker& c) {
  if (!ldtr_usable(c)) return;
  const uint64_t ar = access_rights<Segment::ldtr>(c);
  if ((ar & access::reserved_bits) != 0) {
    c.fail(Field::guest_ldtr_access_rights, ar, ar & ~access::reserved_bits);
  }
}

void ldtr_granularity(Checker& c) {
  if (!ldtr_usable(c)) return;
  const uint64_t ar = access_rights<Segment::ldtr>(c);
  const uint64_t limit = c.read(Field::guest_ldtr_limit);
  if (!access::granularity_consistent(limit, ar)) {
    c.fail(Field::guest_ldtr_access_rights, ar, ar ^ access::granularity);
    c.relate(Field::guest_ldtr_limit, limit);
  }
}

constexpr const char* s = "26.3.1.2";

// The SDM's sentences for rules it states once for several registers.
constexpr const char* canonical_base_rule =
    "The bases of TR, FS, GS and a usable LDTR must be canonical.";
constexpr const char* base_upper_rule =
    "The bases of CS and a usable SS, DS or ES must have bits 63:32 0.";
constexpr const char* code_or_data_rule =
    "CS and a usable SS, DS, ES, FS or GS must be code or data segments (S = 1).";
constexpr const char* present_rule =
    "CS, TR and a usable SS, DS, ES, FS, GS or LDTR must be present (P = 1).";
constexpr const char* reserved_rule =
    "CS, TR and a usable SS, DS, ES, FS, GS or LDTR must have access-rights bits 11:8 and 31:17 "
    "0.";
constexpr const char* granularity_rule =
    "The G bit of CS, TR and a usable SS, DS, ES, FS, GS or LDTR must match its limit (0 if any "
    "of bits 11:0 is 0, 1 if any of bits 31:20 is 1).";

// One table entry per register for the rules the SDM states for several,
// each with the SDM's one sentence for all of them: the id and the failing
// field name the register.
#define VMX_SEGMENT_CHECK(name, seg, rule, function) \
  Check { {"guest-" #seg "-" name, s, rule}, function<Segment::seg> }
#define VMX_V86_SEGMENTS(X) X(cs), X(ss), X(ds), X(es), X(fs), X(gs)
#define VMX_DATA_SEGMENTS(X) X(ds), X(es), X(fs), X(gs)

#define VMX_BASE_V86(seg)                                                                   \
  VMX_SEGMENT_CHECK("base-v86", seg,                                                        \
                    "In virtual-8086 mode the base of CS, SS, DS, ES, FS and GS must be its " \
                    "selector shifted left by 4.",                                          \
                    base_v86)
#define VMX_LIMIT_V86(seg)                                                                   \
  VMX_SEGMENT_CHECK("limit-v86", seg,                                                        \
                    "In virtual-8086 mode the limit of CS, SS, DS, ES, FS and GS must be "   \
                    "0xFFFF.",                                                               \
                    limit_v86)
#define VMX_AR_V86(seg)                                                                  \
  VMX_SEGMENT_CHECK("access-rights-v86", seg,                                            \
                    "In virtual-8086 mode the access rights of CS, SS, DS, ES, FS and GS " \
                    "must be 0xF3 (present, DPL 3, read/write accessed data).",          \
                    access_rights_v86)
#define VMX_DATA_TYPE(seg)                                                                   \
  VMX_SEGMENT_CHECK("type", seg,                                                             \
                    "A usable DS, ES, FS or GS must be accessed (type bit 0) and, if code, " \
                    "readable.",                                                             \
                    data_type)
#define VMX_CODE_OR_DATA(seg) VMX_SEGMENT_CHECK("s", seg, code_or_data_rule, code_or_data)
#define VMX_DATA_DPL(seg)                                                                   \
  VMX_SEGMENT_CHECK("dpl", seg,                                                             \
                    "Without unrestricted guest, a usable DS, ES, FS or GS holding data or " \
                    "non-conforming code must have DPL >= its selector's RPL.",             \
                    data_dpl)
#define VMX_PRESENT(seg) VMX_SEGMENT_CHECK("present", seg, present_rule, present)
#define VMX_RESERVED(seg) \
  VMX_SEGMENT_CHECK("access-rights-reserved", seg, reserved_rule, access_rights_reserved)
#define VMX_GRANULARITY(seg) VMX_SEGMENT_CHECK("granularity", seg, granularity_rule, granularity)

constexpr Check checks[] = {
    // Selector fields.
    {{"guest-tr-selector-ti", s, "The TR selector's TI flag must be 0 (a GDT selector)."},
     tr_selector_ti},
    {{"guest-ldtr-selector-ti", s, "A usable LDTR's selector must have TI = 0 (a GDT selector)."},
     ldtr_selector_ti},
    {{"guest-ss-cs-rpl", s,
      "Outside virtual-8086 mode and without unrestricted guest, SS RPL must equal CS RPL."},
     ss_rpl_equals_cs_rpl},

    // Base-address fields.
    VMX_V86_SEGMENTS(VMX_BASE_V86),
    VMX_SEGMENT_CHECK("base-canonical", tr, canonical_base_rule, base_canonical),
    VMX_SEGMENT_CHECK("base-canonical", fs, canonical_base_rule, base_canonical),
    VMX_SEGMENT_CHECK("base-canonical", gs, canonical_base_rule, base_canonical),
    VMX_SEGMENT_CHECK("base-canonical", ldtr, canonical_base_rule, base_canonical),
    VMX_SEGMENT_CHECK("base-upper", cs, base_upper_rule, base_upper_bits),
    VMX_SEGMENT_CHECK("base-upper", ss, base_upper_rule, base_upper_bits),
    VMX_SEGMENT_CHECK("base-upper", ds, base_upper_rule, base_upper_bits),
    VMX_SEGMENT_CHECK("base-upper", es, base_upper_rule, base_upper_bits),

    // Limit fields.
    VMX_V86_SEGMENTS(VMX_LIMIT_V86),

    // Access-rights fields: virtual-8086 mode.
    VMX_V86_SEGMENTS(VMX_AR_V86),

    // Access-rights fields: other modes.
    {{"guest-cs-type", s,
      "CS type must be 9, 11, 13 or 15 (accessed code), or 3 with unrestricted guest."},
     cs_type},
    {{"guest-ss-type", s, "A usable SS must be read/write accessed data (type 3 or 7)."}, ss_type},
    VMX_DATA_SEGMENTS(VMX_DATA_TYPE),
    VMX_SEGMENT_CHECK("s", cs, code_or_data_rule, code_or_data),
    VMX_SEGMENT_CHECK("s", ss, code_or_data_rule, code_or_data),
    VMX_DATA_SEGMENTS(VMX_CODE_OR_DATA),
    {{"guest-cs-dpl", s,
      "CS DPL must be 0 for type 3, equal SS DPL for types 9 and 11, at most SS DPL for 13 and "
      "15."},
     cs_dpl},
    {{"guest-ss-dpl", s,
      "SS DPL must equal its RPL without unrestricted guest, and be 0 if CS type is 3 or CR0.PE is "
      "0."},
     ss_dpl},
    VMX_DATA_SEGMENTS(VMX_DATA_DPL),
    VMX_SEGMENT_CHECK("present", cs, present_rule, present),
    VMX_SEGMENT_CHECK("present", ss, present_rule, present),
    VMX_DATA_SEGMENTS(VMX_PRESENT),
    VMX_SEGMENT_CHECK("access-rights-reserved", cs, reserved_rule, access_rights_reserved),
    VMX_SEGMENT_CHECK("access-rights-reserved", ss, reserved_rule, access_rights_reserved),
    VMX_DATA_SEGMENTS(VMX_RESERVED),
    {{"guest-cs-db", s, "For an IA-32e mode guest with CS.L = 1, CS.D/B must be 0."}, cs_db_with_l},
    VMX_SEGMENT_CHECK("granularity", cs, granularity_rule, granularity),
    VMX_SEGMENT_CHECK("granularity", ss, granularity_rule, granularity),
    VMX_DATA_SEGMENTS(VMX_GRANULARITY),

    // TR, in every mode.
    {{"guest-tr-type", s,
      "TR must be a busy TSS: type 11, or 3 (16-bit) outside an IA-32e mode guest."},
     tr_type},
    {{"guest-tr-s", s, "TR must be a system descriptor (S = 0)."}, tr_system},
    {{"guest-tr-present", s, present_rule}, tr_present},
    {{"guest-tr-access-rights-reserved", s, reserved_rule}, tr_reserved},
    {{"guest-tr-granularity", s, granularity_rule}, tr_granularity},
    {{"guest-tr-usable", s, "TR must be usable (access-rights bit 16 clear)."}, tr_usable},

    // LDTR, when usable.
    {{"guest-ldtr-type", s, "A usable LDTR must have type 2 (LDT)."}, ldtr_type},
    {{"guest-ldtr-s", s, "A usable LDTR must be a system descriptor (S = 0)."}, ldtr_system},
    {{"guest-ldtr-present", s, present_rule}, ldtr_present},
    {{"guest-ldtr-access-rights-reserved", s, reserved_rule}, ldtr_reserved},
    {{"guest-ldtr-granularity", s, granularity_rule}, ldtr_granularity},
};

#undef VMX_GRANULARITY
#undef VMX_RESERVED
#undef VMX_PRESENT
#undef VMX_DATA_DPL
#undef VMX_CODE_OR_DATA
#undef VMX_DATA_TYPE
#undef VMX_AR_V86
#undef VMX_LIMIT_V86
#undef VMX_BASE_V86
#undef VMX_DATA_SEGMENTS
#undef VMX_V86_SEGMENTS
#undef VMX_SEGMENT_CHECK

}  // namespace

constinit const CheckGroup guest_segment_checks =
    make_group(checks, EntryFailureKind::invalid_guest_state);

}  // namespace vmx::entry_checks
