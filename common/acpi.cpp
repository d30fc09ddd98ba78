#include "common/acpi.h"

#include "common/acpi_bytes.h"
#include "ia32/io.h"
#include "layout.h"

namespace acpi {
namespace {

using bytes::read16;
using bytes::read32;
using bytes::read64;
using bytes::same_bytes;

bool checksum_ok(const uint8_t* p, size_t n) { return bytes::sum(p, n) == 0; }

// A table the running build can address. The 32-bit stage2 cannot reach
// memory above 4 GiB, and neither can the VMM's 4 GiB identity map; a
// MemoryView would refuse such an address anyway, this just says why.
bool addressable(uint64_t phys) { return phys != 0 && phys < (1ull << 32); }

// --- RSDP (ACPI 5.2.5) -------------------------------------------------------

constexpr uint32_t ebda_segment_pointer = layout::BDA_EBDA_POINTER;
constexpr uint32_t ebda_search_bytes = 1024;
constexpr uint32_t bios_area_start = 0xE0000;
constexpr uint32_t bios_area_end = 0x100000;
constexpr size_t rsdp_v1_bytes = 20;
constexpr size_t rsdp_v2_min_bytes = 36;

struct Rsdp {
  uint8_t revision;
  uint32_t rsdt;
  uint64_t xsdt;  // 0 unless revision >= 2
  char oem_id[6];
};

enum class RsdpCheck { none, bad_checksum, bad_extended, ok };

RsdpCheck check_rsdp_at(const MemoryView& mem, uint64_t phys, Rsdp* out) {
  const uint8_t* p = mem.at(phys, 8);
  if (p == nullptr || !same_bytes(p, "RSD PTR ", 8)) return RsdpCheck::none;
  p = mem.at(phys, rsdp_v1_bytes);
  if (p == nullptr || !checksum_ok(p, rsdp_v1_bytes)) return RsdpCheck::bad_checksum;
  Rsdp rsdp{p[15], read32(p + 16), 0, {}};
  for (int i = 0; i < 6; ++i) rsdp.oem_id[i] = static_cast<char>(p[9 + i]);
  if (rsdp.revision >= 2) {
    const uint8_t* v2 = mem.at(phys, rsdp_v2_min_bytes);
    if (v2 == nullptr) return RsdpCheck::bad_extended;
    uint32_t length = read32(v2 + 20);
    if (length < rsdp_v2_min_bytes || length > 4096) return RsdpCheck::bad_extended;
    v2 = mem.at(phys, length);
    if (v2 == nullptr || !checksum_ok(v2, length)) return RsdpCheck::bad_extended;
    rsdp.xsdt = read64(v2 + 24);
  }
  *out = rsdp;
  return RsdpCheck::ok;
}

// Scans [start, end) on 16-byte boundaries; remembers the worst near-miss.
// Boot time is measured in emulated instructions and the BIOS area holds 8192
// candidates: where the area lies in one region, look at each candidate's
// first four bytes as one word and check nothing else unless they are "RSD ".
bool scan_for_rsdp(const MemoryView& mem, uint64_t start, uint64_t end, Rsdp* out,
                   RsdpCheck* near_miss) {
  constexpr uint32_t signature_start = 0x20445352;  // "RSD " little-endian
  const uint8_t* const area = mem.at(start, static_cast<size_t>(end - start));
  for (uint64_t phys = start; phys + 16 <= end; phys += 16) {
    if (area != nullptr) {
      uint32_t first;
      __builtin_memcpy(&first, area + static_cast<size_t>(phys - start), sizeof first);
      if (first != signature_start) continue;
    }
    RsdpCheck check = check_rsdp_at(mem, phys, out);
    if (check == RsdpCheck::ok) return true;
    if (check > *near_miss) *near_miss = check;
  }
  return false;
}

const char* find_rsdp(const MemoryView& mem, Rsdp* out) {
  RsdpCheck near_miss = RsdpCheck::none;
  if (const uint8_t* bda = mem.at(ebda_segment_pointer, 2)) {
    uint64_t ebda = static_cast<uint64_t>(read16(bda)) << 4;
    if (ebda != 0 && scan_for_rsdp(mem, ebda, ebda + ebda_search_bytes, out, &near_miss)) {
      return nullptr;
    }
  }
  if (scan_for_rsdp(mem, bios_area_start, bios_area_end, out, &near_miss)) return nullptr;
  switch (near_miss) {
    case RsdpCheck::bad_checksum: return "RSDP checksum";
    case RsdpCheck::bad_extended: return "RSDP extended checksum";
    default: return "no RSDP";
  }
}

// --- system description tables (ACPI 5.2.6) ---------------------------------

constexpr uint32_t header_bytes = 36;
// No firmware table comes near this; it bounds the work a corrupted length
// field can cause.
constexpr uint32_t max_table_bytes = 16u << 20;

enum TableKind { RSDT, XSDT, FADT, DSDT, SSDT, table_kinds };
constexpr const char* signatures[table_kinds] = {"RSDT", "XSDT", "FACP", "DSDT", "SSDT"};

enum TableCheck { unreadable, bad_signature, bad_length, truncated, bad_checksum,
                  check_failures, table_ok = check_failures };

// Error strings per table and failure: static, for PowerOff::error.
constexpr const char* table_errors[table_kinds][check_failures] = {
    {"RSDT unreadable", "RSDT signature", "RSDT length", "RSDT truncated", "RSDT checksum"},
    {"XSDT unreadable", "XSDT signature", "XSDT length", "XSDT truncated", "XSDT checksum"},
    {"FADT unreadable", "FADT signature", "FADT length", "FADT truncated", "FADT checksum"},
    {"DSDT unreadable", "DSDT signature", "DSDT length", "DSDT truncated", "DSDT checksum"},
    {"SSDT unreadable", "SSDT signature", "SSDT length", "SSDT truncated", "SSDT checksum"},
};

struct Table {
  const uint8_t* bytes;
  uint32_t length;
};

// Without the signature in the messages, for a table of any signature.
constexpr const char* check_errors[check_failures] = {
    "table unreadable", "table signature", "table length", "table truncated", "table checksum"};

TableCheck check_signed_table(const MemoryView& mem, uint64_t phys, const char* signature,
                              uint32_t min_length, Table* out) {
  if (!addressable(phys)) return unreadable;
  const uint8_t* header = mem.at(phys, header_bytes);
  if (header == nullptr) return unreadable;
  if (!same_bytes(header, signature, 4)) return bad_signature;
  uint32_t length = read32(header + 4);
  if (length < min_length || length > max_table_bytes) return bad_length;
  const uint8_t* bytes = mem.at(phys, length);
  if (bytes == nullptr) return truncated;
  if (!checksum_ok(bytes, length)) return bad_checksum;
  *out = {bytes, length};
  return table_ok;
}

TableCheck check_table(const MemoryView& mem, uint64_t phys, TableKind kind,
                       uint32_t min_length, Table* out) {
  return check_signed_table(mem, phys, signatures[kind], min_length, out);
}

// The RSDT (32-bit entries) or XSDT (64-bit entries).
struct RootTable {
  Table table;
  uint32_t entry_bytes;

  uint32_t count() const { return (table.length - header_bytes) / entry_bytes; }
  uint64_t entry(uint32_t i) const {
    const uint8_t* p = table.bytes + header_bytes + i * entry_bytes;
    return entry_bytes == 8 ? read64(p) : read32(p);
  }
};

// ACPI 5.2.5.3: an OS uses the XSDT when the RSDP (revision >= 2) gives
// one. Falls back to the RSDT when the XSDT is out of reach or invalid.
const char* find_root_table(const MemoryView& mem, const Rsdp& rsdp, RootTable* out) {
  const char* xsdt_error = nullptr;
  if (rsdp.revision >= 2 && rsdp.xsdt != 0 && addressable(rsdp.xsdt)) {
    TableCheck check = check_table(mem, rsdp.xsdt, XSDT, header_bytes, &out->table);
    if (check == table_ok) {
      out->entry_bytes = 8;
      return nullptr;
    }
    xsdt_error = table_errors[XSDT][check];
  }
  if (rsdp.rsdt == 0 && xsdt_error != nullptr) return xsdt_error;
  TableCheck check = check_table(mem, rsdp.rsdt, RSDT, header_bytes, &out->table);
  if (check != table_ok) return table_errors[RSDT][check];
  out->entry_bytes = 4;
  return nullptr;
}

// The first valid table of `kind` listed in the root table at or after
// entry *next; *next moves past it. Records the failure of an invalid one
// whose signature matched in *error.
bool next_listed_table(const MemoryView& mem, const RootTable& root, TableKind kind,
                       uint32_t min_length, uint32_t* next, Table* out, const char** error) {
  for (; *next < root.count(); ++*next) {
    uint64_t phys = root.entry(*next);
    if (!addressable(phys)) continue;
    const uint8_t* header = mem.at(phys, header_bytes);
    if (header == nullptr || !same_bytes(header, signatures[kind], 4)) continue;
    TableCheck check = check_table(mem, phys, kind, min_length, out);
    if (check == table_ok) {
      ++*next;
      return true;
    }
    if (*error == nullptr) *error = table_errors[kind][check];
  }
  return false;
}

// --- FADT (ACPI 5.2.9) -------------------------------------------------------

// The ACPI 1.0 FADT is 116 bytes; every field used below the X_ fields
// lies inside it.
constexpr uint32_t fadt_min_bytes = 116;
constexpr uint32_t fadt_dsdt = 40;
constexpr uint32_t fadt_smi_cmd = 48;
constexpr uint32_t fadt_acpi_enable = 52;
constexpr uint32_t fadt_acpi_disable = 53;
constexpr uint32_t fadt_pm1a_cnt_blk = 64;
constexpr uint32_t fadt_pm1b_cnt_blk = 68;
constexpr uint32_t fadt_x_dsdt = 140;           // 8 bytes, ACPI 2.0+
constexpr uint32_t fadt_x_pm1a_cnt_blk = 172;   // Generic Address Structure
constexpr uint32_t fadt_x_pm1b_cnt_blk = 184;
constexpr uint32_t gas_bytes = 12;
constexpr uint8_t gas_system_io = 1;

// The control block's port: the 64-bit GAS form when the FADT has it, it is
// set and it is in I/O space (power_off writes ports); else the 32-bit
// field. A memory-mapped X_ block falls back to the legacy field too.
uint64_t pm1_cnt_port(const Table& fadt, uint32_t legacy_offset, uint32_t gas_offset) {
  if (fadt.length >= gas_offset + gas_bytes) {
    const uint8_t* gas = fadt.bytes + gas_offset;
    uint64_t address = read64(gas + 4);
    if (address != 0 && gas[0] == gas_system_io) return address;
  }
  return read32(fadt.bytes + legacy_offset);
}

// --- AML (ACPI 20.2) ---------------------------------------------------------

constexpr uint8_t aml_zero = 0x00;
constexpr uint8_t aml_one = 0x01;
constexpr uint8_t aml_name = 0x08;
constexpr uint8_t aml_byte_prefix = 0x0A;
constexpr uint8_t aml_word_prefix = 0x0B;
constexpr uint8_t aml_dword_prefix = 0x0C;
constexpr uint8_t aml_package = 0x12;
constexpr uint8_t aml_root_char = 0x5C;  // '\'

// PkgLength (20.2.4): bits 7:6 of the lead byte count the bytes that follow;
// with none, bits 5:0 are the length, else bits 3:0 are its low nibble.
bool parse_pkg_length(const uint8_t* aml, size_t end, size_t* pos, uint32_t* length) {
  if (*pos >= end) return false;
  uint8_t lead = aml[*pos];
  uint32_t follow = lead >> 6;
  if (*pos + 1 + follow > end) return false;
  if (follow == 0) {
    *length = lead & 0x3F;
  } else {
    *length = lead & 0x0F;
    for (uint32_t i = 0; i < follow; ++i) {
      *length |= static_cast<uint32_t>(aml[*pos + 1 + i]) << (4 + 8 * i);
    }
  }
  *pos += 1 + follow;
  return true;
}

// One integer package element: ZeroOp, OneOp or a Byte/Word/DWord constant.
bool parse_integer(const uint8_t* aml, size_t end, size_t* pos, uint32_t* value) {
  if (*pos >= end) return false;
  uint8_t op = aml[(*pos)++];
  size_t bytes = 0;
  switch (op) {
    case aml_zero: *value = 0; return true;
    case aml_one: *value = 1; return true;
    case aml_byte_prefix: bytes = 1; break;
    case aml_word_prefix: bytes = 2; break;
    case aml_dword_prefix: bytes = 4; break;
    default: return false;
  }
  if (*pos + bytes > end) return false;
  *value = 0;
  for (size_t i = 0; i < bytes; ++i) *value |= static_cast<uint32_t>(aml[*pos + i]) << (8 * i);
  *pos += bytes;
  return true;
}

// Parses the PackageOp that follows a "_S5_" NameString at `pos`.
bool parse_s5_package(const uint8_t* aml, size_t length, size_t pos, uint8_t* slp_typ_a,
                      uint8_t* slp_typ_b) {
  if (pos >= length || aml[pos] != aml_package) return false;
  size_t pkg_start = pos + 1;  // PkgLength counts from its own first byte
  size_t p = pkg_start;
  uint32_t pkg_length;
  if (!parse_pkg_length(aml, length, &p, &pkg_length)) return false;
  size_t pkg_end = pkg_start + pkg_length;
  if (pkg_end > length || p >= pkg_end) return false;
  uint8_t elements = aml[p++];
  uint32_t a, b;
  if (elements == 0 || !parse_integer(aml, pkg_end, &p, &a)) return false;
  if (elements >= 2) {
    if (!parse_integer(aml, pkg_end, &p, &b)) return false;
  } else {
    // One element: some firmware packs both values into it, SLP_TYPa in
    // bits 7:0 and SLP_TYPb in bits 15:8 (ACPICA accepts this too).
    b = (a >> 8) & 0xFF;
    a &= 0xFF;
  }
  // SLP_TYP is a 3-bit field of PM1_CNT (4.8.3.2.1).
  if (a > 7 || b > 7) return false;
  *slp_typ_a = static_cast<uint8_t>(a);
  *slp_typ_b = static_cast<uint8_t>(b);
  return true;
}

}  // namespace

bool find_s5_in_aml(const uint8_t* aml, size_t length, uint8_t* slp_typ_a,
                    uint8_t* slp_typ_b, bool* malformed) {
  *malformed = false;
  for (size_t i = 1; i + 4 <= length; ++i) {
    if (!same_bytes(aml + i, "_S5_", 4)) continue;
    // Only a definition counts: NameOp "_S5_" or NameOp "\_S5_". Other
    // occurrences are references (e.g. in CondRefOf) or data.
    bool defined = aml[i - 1] == aml_name ||
                   (i >= 2 && aml[i - 1] == aml_root_char && aml[i - 2] == aml_name);
    if (!defined) continue;
    if (parse_s5_package(aml, length, i + 4, slp_typ_a, slp_typ_b)) return true;
    *malformed = true;  // keep looking: the bytes may have been data
  }
  return false;
}

const uint8_t* MemoryView::at(uint64_t phys, size_t len) const {
  for (size_t i = 0; i < count; ++i) {
    const Region& r = regions[i];
    if (r.data == nullptr || phys < r.base) continue;
    uint64_t offset = phys - r.base;
    if (offset > r.size || len > r.size - offset) continue;
    // Integer arithmetic: the identity region's data is not a C++ array.
    return reinterpret_cast<const uint8_t*>(reinterpret_cast<uintptr_t>(r.data) +
                                            static_cast<uintptr_t>(offset));
  }
  return nullptr;
}

IdentityMemory identity_mapped_memory() {
  constexpr uint64_t first = 0x400;  // BIOS data area: holds the EBDA pointer
  return {{first, (1ull << 32) - first,
           reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(first))}};
}

bool rsdp_oem_id(const MemoryView& mem, char (&oem_id)[6]) {
  Rsdp rsdp;
  if (find_rsdp(mem, &rsdp) != nullptr) return false;
  for (int i = 0; i < 6; ++i) oem_id[i] = rsdp.oem_id[i];
  return true;
}

const char* find_root_pointers(const MemoryView& mem, RootPointers* out) {
  Rsdp rsdp;
  if (const char* error = find_rsdp(mem, &rsdp)) return error;
  *out = {rsdp.rsdt, rsdp.xsdt};
  return nullptr;
}

TableSearch find_table(const MemoryView& mem, const char* signature) {
  TableSearch search{false, {0, nullptr, 0}, nullptr};
  Rsdp rsdp;
  RootTable root;
  if ((search.error = find_rsdp(mem, &rsdp)) != nullptr ||
      (search.error = find_root_table(mem, rsdp, &root)) != nullptr) {
    return search;
  }
  for (uint32_t i = 0; i < root.count(); ++i) {
    const uint64_t phys = root.entry(i);
    const uint8_t* header = addressable(phys) ? mem.at(phys, header_bytes) : nullptr;
    if (header == nullptr || !same_bytes(header, signature, 4)) continue;
    Table table;
    const TableCheck check = check_signed_table(mem, phys, signature, header_bytes, &table);
    if (check == table_ok) return {true, {phys, table.bytes, table.length}, nullptr};
    if (search.error == nullptr) search.error = check_errors[check];
  }
  return search;
}

PowerOff find_power_off(const MemoryView& mem) {
  PowerOff result{false, 0, 0, 0, 0, nullptr};

  Rsdp rsdp;
  if (const char* error = find_rsdp(mem, &rsdp)) {
    result.error = error;
    return result;
  }

  RootTable root;
  if (const char* error = find_root_table(mem, rsdp, &root)) {
    result.error = error;
    return result;
  }

  Table fadt;
  uint32_t next = 0;
  const char* fadt_error = nullptr;
  if (!next_listed_table(mem, root, FADT, fadt_min_bytes, &next, &fadt, &fadt_error)) {
    result.error = fadt_error != nullptr ? fadt_error : "no FADT";
    return result;
  }

  uint64_t pm1a = pm1_cnt_port(fadt, fadt_pm1a_cnt_blk, fadt_x_pm1a_cnt_blk);
  uint64_t pm1b = pm1_cnt_port(fadt, fadt_pm1b_cnt_blk, fadt_x_pm1b_cnt_blk);
  if (pm1a == 0) {
    result.error = "no PM1a_CNT";
    return result;
  }
  if (pm1a > 0xFFFF || pm1b > 0xFFFF) {
    result.error = "PM1_CNT not an I/O port";
    return result;
  }

  // ACPI 5.2.9: X_DSDT, when set, supersedes DSDT. Firmware has been known
  // to leave one of them stale, so the other is tried if the first fails.
  uint64_t x_dsdt = fadt.length >= fadt_x_dsdt + 8 ? read64(fadt.bytes + fadt_x_dsdt) : 0;
  uint64_t dsdt_phys = read32(fadt.bytes + fadt_dsdt);
  Table dsdt;
  TableCheck dsdt_check = unreadable;
  if (x_dsdt != 0) dsdt_check = check_table(mem, x_dsdt, DSDT, header_bytes, &dsdt);
  if (dsdt_check != table_ok && dsdt_phys != 0 && dsdt_phys != x_dsdt) {
    dsdt_check = check_table(mem, dsdt_phys, DSDT, header_bytes, &dsdt);
  }
  if (dsdt_check != table_ok) {
    result.error = x_dsdt == 0 && dsdt_phys == 0 ? "no DSDT" : table_errors[DSDT][dsdt_check];
    return result;
  }

  // _S5_ is normally in the DSDT; SeaBIOS (in Bochs) puts it in an SSDT.
  uint8_t typ_a = 0, typ_b = 0;
  bool malformed = false;
  const char* s5_table = nullptr;
  if (find_s5_in_aml(dsdt.bytes + header_bytes, dsdt.length - header_bytes, &typ_a, &typ_b,
                     &malformed)) {
    s5_table = "DSDT";
  } else {
    Table ssdt;
    const char* ssdt_error = nullptr;
    bool any_malformed = malformed;
    for (uint32_t entry = 0;
         next_listed_table(mem, root, SSDT, header_bytes, &entry, &ssdt, &ssdt_error);) {
      if (find_s5_in_aml(ssdt.bytes + header_bytes, ssdt.length - header_bytes, &typ_a,
                         &typ_b, &malformed)) {
        s5_table = "SSDT";
        break;
      }
      any_malformed = any_malformed || malformed;
    }
    if (s5_table == nullptr) {
      result.error = any_malformed ? "_S5_ package malformed" : "no _S5_ in DSDT or SSDT";
      return result;
    }
  }

  result.found = true;
  result.pm1a_cnt = static_cast<uint16_t>(pm1a);
  result.pm1b_cnt = static_cast<uint16_t>(pm1b);
  result.slp_typ_a = typ_a;
  result.slp_typ_b = typ_b;
  uint32_t smi_cmd = read32(fadt.bytes + fadt_smi_cmd);
  result.smi_cmd = static_cast<uint16_t>(smi_cmd <= 0xFFFF ? smi_cmd : 0);
  result.acpi_enable = fadt.bytes[fadt_acpi_enable];
  result.acpi_disable = fadt.bytes[fadt_acpi_disable];
  result.s5_table = s5_table;
  return result;
}

namespace {

// PM1 control register bits (ACPI 4.8.3.2.1).
constexpr uint16_t pm1_sci_en = 1u << 0;
constexpr uint16_t pm1_gbl_rls = 1u << 2;  // write-only; writing 1 raises an SMI
constexpr uint16_t pm1_slp_typ_shift = 10;
constexpr uint16_t pm1_slp_typ_mask = 7u << pm1_slp_typ_shift;
constexpr uint16_t pm1_slp_en = 1u << 13;  // write-only

// About a second of port reads on real hardware (~1 us each): the chipset
// removes power within milliseconds of SLP_EN.
constexpr uint32_t settle_reads = 1000000;

void write_sleep_type(uint16_t port, uint8_t slp_typ) {
  // Like ACPICA: keep the other bits as read, write SLP_TYP first, then
  // SLP_TYP together with SLP_EN.
  uint16_t value = static_cast<uint16_t>(inw(port) & ~(pm1_slp_typ_mask | pm1_slp_en | pm1_gbl_rls));
  value = static_cast<uint16_t>(value | ((slp_typ & 7) << pm1_slp_typ_shift));
  outw(port, value);
  outw(port, static_cast<uint16_t>(value | pm1_slp_en));
}

void enter_s5(const PowerOff& p) {
  write_sleep_type(p.pm1a_cnt, p.slp_typ_a);
  if (p.pm1b_cnt != 0) write_sleep_type(p.pm1b_cnt, p.slp_typ_b);
  for (uint32_t i = 0; i < settle_reads; ++i) (void)inw(p.pm1a_cnt);
}

}  // namespace

void power_off(const PowerOff& p) {
  if (!p.found || p.pm1a_cnt == 0) return;
  enter_s5(p);

  // Still here. Some chipsets only honour SLP_EN in ACPI mode: ask the
  // firmware to switch (ACPI 4.8.2.1: write ACPI_ENABLE to SMI_CMD, then
  // wait for SCI_EN), and try again.
  if (p.smi_cmd == 0 || p.acpi_enable == 0 || (inw(p.pm1a_cnt) & pm1_sci_en) != 0) return;
  outb(p.smi_cmd, p.acpi_enable);
  for (uint32_t i = 0; i < settle_reads && (inw(p.pm1a_cnt) & pm1_sci_en) == 0; ++i) {
  }
  enter_s5(p);
}

}  // namespace acpi
