// What an ACPI S5 ("soft off") power-off needs, found by walking the
// firmware's tables (ACPI 6.x spec, chapters 5.2 and 4.8.3.2):
//   RSDP -> RSDT or XSDT -> FADT -> PM1a/PM1b_CNT ports
//                                -> DSDT (then each SSDT) -> AML Name(_S5_, Package{SLP_TYPa, SLP_TYPb, ...})
// Reading goes through a MemoryView, so host tests run it over captured
// BIOS memory and the machine over identity-mapped physical memory.
// Tables above 4 GiB are treated as absent in both builds (stage2 cannot
// address them and the VMM maps only 4 GiB): an XSDT up there means the
// RSDT is used, an X_DSDT up there means the 32-bit DSDT is used.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace acpi {

// A piece of physical memory [base, base + size) readable at `data`.
struct Region {
  uint64_t base;
  uint64_t size;
  const uint8_t* data;
};

struct MemoryView {
  const Region* regions;
  size_t count;
  // The bytes [phys, phys + len) when they lie wholly inside one region,
  // else nullptr.
  const uint8_t* at(uint64_t phys, size_t len) const;
};

struct PowerOff {
  bool found;
  uint16_t pm1a_cnt;   // PM1a control block I/O port
  uint16_t pm1b_cnt;   // 0: no PM1b block
  uint8_t slp_typ_a;   // SLP_TYP values for S5 (3 bits each)
  uint8_t slp_typ_b;
  // Static string naming the failed step when !found (e.g. "no RSDP",
  // "FADT checksum", "no _S5_ in DSDT or SSDT"); nullptr when found.
  const char* error;
  // Extras beyond the six fields above; they have defaults so that code
  // that rebuilds a PowerOff from the boot info with six initializers still
  // compiles warning-free. Where power_off() can switch the chipset into
  // ACPI mode (SCI_EN) if the plain S5 write did nothing: 0 = not available.
  uint16_t smi_cmd = 0;
  uint8_t acpi_enable = 0;
  uint8_t acpi_disable = 0;  // what SMI_CMD takes to leave ACPI mode
  // The table that held _S5_: "DSDT" or "SSDT" (diagnostics).
  const char* s5_table = nullptr;
};

PowerOff find_power_off(const MemoryView& mem);

// The real machine: physical memory below 4 GiB, identity-mapped (true in
// stage2's flat protected mode and under the VMM's identity map). The region
// starts at 0x400 (the BIOS data area) so that no pointer is ever formed
// from address 0. A value that holds its one region: view() is valid while
// it lives.
struct IdentityMemory {
  Region region;
  MemoryView view() const { return {&region, 1}; }
};
IdentityMemory identity_mapped_memory();

// The RSDP's OEM ID, the RSDP found and checked as find_power_off() finds
// it; false without a valid RSDP. ("BOCHS " names the emulators' firmware.)
bool rsdp_oem_id(const MemoryView& mem, char (&oem_id)[6]);

// The root tables the RSDP names, found and checked as find_power_off()
// finds the RSDP: the RSDT (32-bit entries) and, from ACPI 2.0 on, the XSDT
// (64-bit entries; 0 where the RSDP has none). The tables themselves are not
// checked. Returns why not (static) or nullptr.
struct RootPointers {
  uint64_t rsdt;
  uint64_t xsdt;
};
const char* find_root_pointers(const MemoryView& mem, RootPointers* out);

// A system description table (ACPI 5.2.6): where it lies and its bytes,
// its signature, length and checksum checked.
struct SystemTable {
  uint64_t phys;
  const uint8_t* bytes;
  uint32_t length;
};

// The first valid table with `signature` (4 characters) listed in the root
// table an OS uses (the XSDT, else the RSDT). error (static) when not
// found: why the root table could not be read ("no RSDP", "RSDT checksum",
// ...), or why a listed table with the signature was refused ("table
// checksum", "table length", ...); nullptr when there simply is none.
struct TableSearch {
  bool found;
  SystemTable table;
  const char* error;
};
TableSearch find_table(const MemoryView& mem, const char* signature);

// Writes SLP_TYPa | SLP_EN to PM1a_CNT, then SLP_TYPb | SLP_EN to PM1b_CNT
// when there is one. If the machine is still running after that, enables
// ACPI mode through SMI_CMD (when the FADT names it) and tries once more.
// Returns only if the machine did not turn off.
void power_off(const PowerOff& p);

// Exposed for tests: finds Name(_S5_, Package{...}) in an AML byte stream
// (a DSDT/SSDT body). Returns false when absent or malformed; *malformed
// tells which.
bool find_s5_in_aml(const uint8_t* aml, size_t length, uint8_t* slp_typ_a,
                    uint8_t* slp_typ_b, bool* malformed);

}  // namespace acpi
