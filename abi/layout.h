// The one definition of everything the boot stages, the VMM, the image tool
// and the tests must agree on: physical addresses, the on-disk image header,
// the boot-info structure stage1/stage2 fill for the VMM, and result codes.
//
// NASM cannot read C++, so `abi/gen_layout_inc.cpp` (built and run by the
// Makefile) prints every constant and every field offset below as a NASM
// `%define` into build/gen/layout.inc. Nothing here is typed a second time.
//
// This header is freestanding: it compiles into the 64-bit VMM, the 32-bit
// part of stage2 and the host tools alike.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace layout {

// X(name, value): constants shared with assembly. Addresses are physical; the
// boot stages and the VMM run identity-mapped.
#define VMXBOOT_CONSTANTS(X)                                                   \
  X(SECTOR_SIZE, 512)                                                          \
  /* real-mode stack: grows down from the boot sector */                      \
  X(STACK_TOP, 0x7C00)                                                         \
  X(BOOTINFO_ADDR, 0x1000)                                                     \
  X(BOOTINFO_MAX_BYTES, 0x1000)                                                \
  X(STAGE1_ADDR, 0x7C00)                                                       \
  /* LBA 1 holds the image header; stage1 reads it to just after itself */    \
  X(HEADER_LBA, 1)                                                             \
  X(HEADER_ADDR, 0x7E00)                                                       \
  /* the image tool writes here, in the MBR, how many sectors stage1 reads   \
     from HEADER_LBA: the header, stage2 and the spare copy of stage2's      \
     first sector right behind it, in one read */                             \
  X(MBR_LOAD_SECTORS_OFFSET, 0x1B6)                                            \
  /* stage2 and its spare first sector end below 0x10000, so no read of     \
     them crosses a 64 KiB boundary; at most 63 sectors together: stage1     \
     masks the count with 63 */                                               \
  X(STAGE2_ADDR, 0x8000)                                                       \
  X(STAGE2_MAX_BYTES, 0x7E00)                                                  \
  /* stage2's own sectors: its window less the spare's first sector */        \
  X(STAGE2_MAX_SECTORS, STAGE2_MAX_BYTES / SECTOR_SIZE - 1)                    \
  /* stage1 reads the header and stage2 as one run: stage2 starts here */     \
  X(STAGE2_LBA, HEADER_LBA + 1)                                                \
  /* in stage2's first sector: the magic, and a dword the image tool sets so \
     that the sector's 32-bit little-endian dwords sum to the magic (which   \
     is all stage1 checks) */                                                 \
  X(STAGE2_MAGIC_OFFSET, 4)                                                    \
  X(STAGE2_SUM_ADJUST_OFFSET, 8)                                               \
  /* also there, set by the image tool and so covered by stage1's check:     \
     stage2's sector count (dword) and the 32-bit sum of the dwords of its   \
     other sectors. The first sector checks the rest of stage2 with these,   \
     not with the header: the header is checked by code in that rest, and    \
     a damaged header must still be reported by it (with a power-off) */      \
  X(STAGE2_SECTORS_OFFSET, 12)                                                 \
  X(STAGE2_REST_SUM_OFFSET, 16)                                                \
  /* the Virtual-8086 guest must live below 1 MiB */                          \
  X(GUEST_ADDR, 0x10000)                                                       \
  X(GUEST_MAX_BYTES, 0x10000)                                                  \
  /* payloads bound above 1 MiB are read here first (INT 13h reaches only    \
     the first MiB) and copied to their load address in protected mode */     \
  X(STAGING_ADDR, 0x20000)                                                     \
  X(STAGING_END, 0x80000)                                                      \
  /* so the VMM's file is at most this big (384 KiB), though its memory,     \
     .bss included, may take VMM_MAX_BYTES (vmm/vmm.ld asserts that) */       \
  X(VMM_MAX_FILE_BYTES, STAGING_END - STAGING_ADDR)                            \
  /* the VMM and the host page tables sit above 4 MiB, outside the guest's   \
     one 4 MiB page */                                                        \
  X(VMM_ADDR, 0x400000)                                                        \
  X(VMM_MAX_BYTES, 0x200000)                                                   \
  X(PAGE_TABLES_ADDR, 0x600000)                                                \
  X(PAGE_TABLES_BYTES, 0x6000)                                                 \
  /* chain mode (docs/chain-mode.md): the EPT that identity-maps the guest's   \
     4 GiB (vmx/identity_ept.h), right after the host page tables (PML4,       \
     PDPT, four PDs, the page tables of the first 2 MiB and of the 2 MiB the   \
     VMM's memory ends in, and four page tables for 2 MiB pages split around   \
     a device's registers: the local APIC's, a DMA-remapping unit's); not in   \
     .bss, which the VMM's entry clears at every boot. The VMM's memory,       \
     which the chain guest's EPT leaves out, ends with it */                   \
  X(IDENTITY_EPT_ADDR, PAGE_TABLES_ADDR + PAGE_TABLES_BYTES)                   \
  X(IDENTITY_EPT_BYTES, 0xC000)                                                \
  X(VMM_MEMORY_END, IDENTITY_EPT_ADDR + IDENTITY_EPT_BYTES)                    \
  /* chain mode: the BIOS drive the loader boots (CHAIN_DRIVE=), the first     \
     disk after the one vmxboot booted from, and the guest's time bound in     \
     seconds (GUEST_LIMIT=; 0 = none). Without GUEST_LIMIT= the header says    \
     CHAIN_LIMIT_PLATFORM_DEFAULT and the VMM picks: CHAIN_LIMIT_EMULATOR_     \
     SECONDS under an emulator's firmware (tests must end), none on a PC      \
     (the guest is the machine's own system: vmx/guest_timer.h) */            \
  X(CHAIN_DRIVE_DEFAULT, 0x81)                                                 \
  X(CHAIN_LIMIT_PLATFORM_DEFAULT, 0xFFFFFFFF)                                  \
  X(CHAIN_LIMIT_EMULATOR_SECONDS, 300)                                          \
  /* BIOS INT 13h rules (Phoenix EDD limit) */                                 \
  X(MAX_SECTORS_PER_READ, 127)                                                 \
  X(READ_RETRIES, 3)                                                           \
  X(E820_MAX_ENTRIES, 128)                                                     \
  X(IMAGE_VERSION, 3)                                                          \
  X(PAYLOAD_COUNT, 3)                                                          \
  X(PAYLOAD_STAGE2, 0)                                                         \
  X(PAYLOAD_VMM, 1)                                                            \
  X(PAYLOAD_GUEST, 2)                                                          \
  X(COM1_PORT, 0x3F8)                                                          \
  /* the exit round-trip benchmark's port (Bochs prints what it gets on its  \
     console): the guest's single-byte OUTs to it are forwarded unpolled;    \
     the VMM's constant (vmx/port_policy.h), not the guest's choice */        \
  X(BENCH_PORT, 0xE9)                                                          \
  /* what vmx_enter_guest() returns when VMLAUNCH or VMRESUME itself fails */ \
  /* (plus RFLAGS.CF and ZF after it): vmx/exits.h, vmx/exit_stub.asm */     \
  X(ENTER_LAUNCH_FAILED, 0x100)                                                \
  X(ENTER_RESUME_FAILED, 0x200)                                                \
  X(VGA_TEXT_ADDR, 0xB8000)                                                    \
  /* values of BootInfo::fail_step, set by stage2's real-mode part */         \
  X(FAIL_NONE, 0)                                                              \
  X(FAIL_A20, 1)                                                               \
  X(FAIL_READ, 2)                                                              \
  /* BootInfo::a20_method */                                                   \
  X(A20_ALREADY_ON, 1)                                                         \
  X(A20_PORT92, 2)                                                             \
  X(A20_BIOS, 3)                                                               \
  X(A20_KBC, 4)                                                                \
  /* INJECT=guest-rewrite-header: the row the guest writes into its        \
     header after the VMM's check: 80-column rows from VGA text memory,     \
     it lies in the VMM's image */                                            \
  X(GUEST_REWRITTEN_VGA_ROW, (VMM_ADDR + 0x15000 - VGA_TEXT_ADDR) / 160)       \
  /* INJECT=guest-pse36-outs: the guest maps the 4 MiB at this linear       \
     address with this PDE: present, writable, user, 4 MiB, and PSE-36 bit  \
     13, which is physical-address bit 32: a page at 4 GiB, where the guest \
     has no memory */                                                         \
  X(GUEST_PSE36_LINEAR, 0x800000)                                              \
  X(GUEST_PSE36_PDE, 0x2087)                                                   \
  /* the BIOS data area's word holding the EBDA's segment, where the ACPI   \
     search looks for the RSDP first (ACPI 5.2.5.1) */                        \
  X(BDA_EBDA_POINTER, 0x40E)                                                   \
  /* the BIOS data area's word holding the KiB of conventional memory; chain \
     mode's loader lowers it by CHAIN_STUB_KIB and puts its INT 15h stub in  \
     the KiB it took, and the VMM reports that KiB reserved (it read the    \
     word before VMLAUNCH: guests/bios_chain/memory_map.h) */                         \
  X(BDA_BASE_MEMORY_KIB, 0x413)                                                \
  /* the BIOS data area's video mode byte, page 0's cursor (column, row) and \
     the active page: chain mode hands the screen over through them */       \
  X(BDA_VIDEO_MODE, 0x449)                                                     \
  X(BDA_CURSOR_PAGE0, 0x450)                                                   \
  X(BDA_ACTIVE_PAGE, 0x462)                                                    \
  X(CHAIN_STUB_KIB, 1)                                                         \
  /* the E820 signature "SMAP", in EAX and EDX */                             \
  X(E820_SMAP, 0x534D4150)                                                     \
  /* INJECT=guest-fake-acpi: the PM1a_CNT port of the guest's fake FADT     \
     (the POST code port: harmless wherever it goes) */                      \
  X(GUEST_FAKE_PM1A_CNT, 0x80)

#define VMXBOOT_DEFINE_CONSTANT(name, value) \
  inline constexpr uint32_t name = value;
VMXBOOT_CONSTANTS(VMXBOOT_DEFINE_CONSTANT)
#undef VMXBOOT_DEFINE_CONSTANT

// Magic numbers, stored little-endian: the bytes read as the text shown.
inline constexpr uint64_t IMAGE_MAGIC = 0x00544F4F42584D56ull;  // "VMXBOOT\0"
inline constexpr uint32_t STAGE2_MAGIC = 0x32534D56;            // "VMS2"
inline constexpr uint32_t BOOTINFO_MAGIC = 0x49424D56;          // "VMBI"

// Fault-injection cases (`make image INJECT=<name>`): written into the
// header as a number, acted on by the injection build of the VMM
// (build/inject/vmm.bin, vmm/vmx/fault_cases.h); a guest-* case runs in the
// guest built for it (build/inject/guest-<case>.bin). X(constant, number, name, result):
// result is the code the run ends with (`make run INJECT=<name>` expects it).
#define VMXBOOT_INJECT_CASES(X)                                            \
  X(INJECT_NONE, 0, "none", "ok")                                          \
  X(INJECT_FEATURE_LOCKED_OFF, 1, "feature-locked-off", "vmx-disabled")    \
  X(INJECT_BAD_REVISION, 2, "bad-revision", "vmx-failed")                  \
  X(INJECT_UNALIGNED_VMCS, 3, "unaligned-vmcs", "vmx-failed")              \
  X(INJECT_BAD_CONTROL, 4, "bad-control", "entry-failed")                  \
  X(INJECT_BAD_GUEST_STATE, 5, "bad-guest-state", "entry-failed")          \
  X(INJECT_GUEST_TRIPLE_FAULT, 6, "guest-triple-fault", "guest-exit")      \
  X(INJECT_GUEST_SPIN, 7, "guest-spin", "guest-timeout")                   \
  X(INJECT_GUEST_BAD_PORT, 8, "guest-bad-port", "ok")                      \
  X(INJECT_GUEST_WRITE_VMM, 9, "guest-write-vmm", "guest-exit")            \
  X(INJECT_HOST_FAULT, 10, "host-fault", "host-exception")                  \
  X(INJECT_GUEST_READ_VMM, 11, "guest-read-vmm", "guest-exit")            \
  X(INJECT_GUEST_COM1_FLOOD, 12, "guest-com1-flood", "guest-timeout")      \
  X(INJECT_GUEST_RING0_FLOOD, 13, "guest-ring0-flood", "guest-timeout")    \
  X(INJECT_GUEST_UART_SETUP, 14, "guest-uart-setup", "ok")                 \
  X(INJECT_GUEST_PORT_POLICY, 15, "guest-port-policy", "ok")              \
  X(INJECT_GUEST_EXIT_THEN_SPIN, 16, "guest-exit-then-spin", "guest-timeout")  \
  X(INJECT_GUEST_REWRITE_HEADER, 20, "guest-rewrite-header", "ok")         \
  X(INJECT_HEADER_PD_WRAP, 21, "header-pd-wrap", "guest-invalid")          \
  X(INJECT_HEADER_TSS_WRAP, 22, "header-tss-wrap", "guest-invalid")        \
  X(INJECT_HEADER_PSE36, 23, "header-pse36", "guest-invalid")              \
  X(INJECT_GUEST_PSE36_OUTS, 24, "guest-pse36-outs", "guest-exit")          \
  X(INJECT_GUEST_FAKE_ACPI, 25, "guest-fake-acpi", "ok")

// Only the injection build of the VMM (build/inject/vmm.bin, -DVMXBOOT_INJECT)
// acts on the case; it holds this text, which mkimage --inject looks for.
#define VMXBOOT_INJECTION_VMM_MARKER "vmxboot: VMM built with the fault-injection hooks"

#define VMXBOOT_DEFINE_INJECT(constant, number, name, result) \
  inline constexpr uint16_t constant = number;
VMXBOOT_INJECT_CASES(VMXBOOT_DEFINE_INJECT)
#undef VMXBOOT_DEFINE_INJECT

struct InjectCase {
  uint16_t number;
  const char* name;
  const char* result;
};
inline constexpr InjectCase INJECT_CASES[] = {
#define VMXBOOT_INJECT_ENTRY(constant, number, name, result) {number, name, result},
    VMXBOOT_INJECT_CASES(VMXBOOT_INJECT_ENTRY)
#undef VMXBOOT_INJECT_ENTRY
};

// The case with that number, or nullptr.
constexpr const InjectCase* find_inject_case(uint16_t number) {
  for (const InjectCase& c : INJECT_CASES) {
    if (c.number == number) return &c;
  }
  return nullptr;
}

// Whether a case has that number: by the numbers alone, so that stage2 can
// hold the header to it without carrying every case's name.
constexpr bool inject_known(uint16_t number) {
#define VMXBOOT_INJECT_KNOWN(constant, n, name, result) \
  if (number == (n)) return true;
  VMXBOOT_INJECT_CASES(VMXBOOT_INJECT_KNOWN)
#undef VMXBOOT_INJECT_KNOWN
  return false;
}

// The name of an injection case, or nullptr for a number no case has.
constexpr const char* inject_name(uint16_t number) {
  const InjectCase* c = find_inject_case(number);
  return c != nullptr ? c->name : nullptr;
}

// The result code a run with that case ends with, or nullptr.
constexpr const char* inject_result(uint16_t number) {
  const InjectCase* c = find_inject_case(number);
  return c != nullptr ? c->result : nullptr;
}

// Payload names, indexed by PAYLOAD_*: in the header, in messages, in results.
inline constexpr const char* PAYLOAD_NAMES[PAYLOAD_COUNT] = {"stage2", "vmm", "guest"};

// One payload as it lies on the disk and where it goes in memory.
struct PayloadEntry {
  char name[8];        // "stage2", "vmm", "guest" (NUL padded)
  uint32_t first_lba;  // first sector on the disk
  uint32_t sectors;    // sectors occupied (size rounded up)
  uint32_t load_addr;  // physical address it runs at
  uint32_t size;       // bytes that matter (the CRC covers exactly these)
  uint32_t crc32;      // CRC-32C of the bytes (common/crc32c.h says why "C")
  uint32_t reserved;
};
static_assert(sizeof(PayloadEntry) == 32);

// LBA 1. Written by the image tool, read by stage2 (stage1 only loads it).
struct ImageHeader {
  uint64_t magic;            // IMAGE_MAGIC
  uint16_t version;          // IMAGE_VERSION
  uint16_t payload_count;    // PAYLOAD_COUNT
  uint32_t disk_sectors;     // sectors in the whole image
  uint32_t reserved0;
  uint16_t end_wait_seconds; // how long a real PC shows the result before power-off
  uint16_t inject;           // fault-injection case (0 = none)
  uint32_t reserved1;        // (version 2 held stage2's rest sum here; it is
                             //   in stage2's first sector now, at
                             //   STAGE2_REST_SUM_OFFSET)
  uint32_t reserved;
  PayloadEntry payloads[PAYLOAD_COUNT];
  uint32_t header_crc32;     // CRC-32C of all bytes above
  uint32_t reserved_tail;
};
static_assert(sizeof(ImageHeader) <= SECTOR_SIZE);

// A spare copy of stage2 lies right behind it. stage1 reads its first
// sector along with the header and stage2, and reads it again to STAGE2_ADDR
// when stage2's first sector does not sum to the magic; stage2's first sector
// checks that spare sector on every boot, and reads the spare's other sectors
// over stage2's when those do not match the sum it carries. Either way the
// intact copy then reports the damage in the result contract and powers off,
// which stage1 (and a damaged stage2) have no room or code to do.
// (By stage2's own sector count, as its first sector and stage2 at boot know
// it; or by the header, as the host tools read it: stage2 holds the header's
// stage2 entry to STAGE2_LBA and that count.)
constexpr uint32_t stage2_spare_lba(uint32_t stage2_sectors) {
  return STAGE2_LBA + stage2_sectors;
}
constexpr uint32_t stage2_spare_lba(const ImageHeader& header) {
  return header.payloads[PAYLOAD_STAGE2].first_lba + header.payloads[PAYLOAD_STAGE2].sectors;
}

// Each payload's window in memory must end where the next thing begins.
static_assert(STAGE2_ADDR + STAGE2_MAX_BYTES <= GUEST_ADDR &&
              GUEST_ADDR + GUEST_MAX_BYTES <= STAGING_ADDR &&
              VMM_MAX_FILE_BYTES <= VMM_MAX_BYTES &&
              VMM_ADDR + VMM_MAX_BYTES <= PAGE_TABLES_ADDR);

// One BIOS E820 entry as returned by INT 15h (24-byte form).
struct E820Entry {
  uint64_t base;
  uint64_t length;
  uint32_t type;
  uint32_t acpi_attributes;
};
static_assert(sizeof(E820Entry) == 24);

// Its types (ACPI 6.4, 15.1): RAM for the OS, reserved, ACPI tables the OS
// may reclaim, ACPI NVS it must keep. RAM (what the EPT and DMA remapping
// map write-back) is every type an OS's memory holds: 1, 3 and 4.
inline constexpr uint32_t E820_USABLE = 1, E820_RESERVED = 2, E820_ACPI_RECLAIMABLE = 3,
                          E820_ACPI_NVS = 4;
constexpr bool e820_is_ram(uint32_t type) {
  return type == E820_USABLE || type == E820_ACPI_RECLAIMABLE || type == E820_ACPI_NVS;
}

// Where stage2 read a payload and where it finally lies.
struct LoadedPayload {
  uint32_t read_addr;  // where INT 13h put it (== load_addr below 1 MiB)
  uint32_t load_addr;  // where it runs
  uint32_t size;
  uint32_t crc32;      // as computed after loading
};
static_assert(sizeof(LoadedPayload) == 16);

// BOOTINFO_ADDR. stage1 fills the first fields, stage2 the rest; the VMM gets
// a pointer to it in RDI.
struct BootInfo {
  uint32_t magic;            // BOOTINFO_MAGIC, set by stage2
  uint8_t boot_drive;        // DL from the BIOS (stage1)
  uint8_t disk_uses_lba;     // 1: INT 13h extensions, 0: CHS (stage1)
  uint8_t stage2_spare_used; // 1: stage2's first sector was damaged, stage1
                             //   ran the spare copy (stage1)
  uint8_t stage2_spare_bad;  // 1: the spare copy is damaged (stage2's first
                             //   sector)
  uint32_t chs_sectors;      // CHS geometry from AH=08h: sectors per track
  uint16_t chs_heads;        //   and heads (stage1, CHS only)
  uint8_t stage2_rest_spare_used;  // 1: the rest of stage2 was damaged, its
                             //   first sector read the spare's rest over it
  uint8_t pad1;
  uint32_t bios_disk_reads;  // INT 13h read calls made (stage1, stage2)
  uint32_t pad2;
  uint64_t tsc_stage1;       // RDTSC at stage1's first instructions
  uint64_t tsc_stage2;       // RDTSC at stage2's first instruction
  uint64_t tsc_long_mode;    // RDTSC right after entering long mode
  uint16_t fail_step;        // FAIL_* from stage2's real-mode part
  uint8_t fail_payload;      // payload index for FAIL_READ
  uint8_t fail_status;       // BIOS status (AH) for FAIL_READ
  uint32_t fail_lba;         // sector that could not be read
  uint8_t a20_method;        // A20_*
  uint8_t console_row;       // VGA row where the VMM goes on (stage2)
  uint16_t inject;           // INJECT_*, from the header (stage2)
  uint16_t end_wait_seconds; // from the header (stage2)
  uint16_t pad3;
  uint32_t e820_count;
  LoadedPayload payloads[PAYLOAD_COUNT];
  uint32_t pad4;
  E820Entry e820[E820_MAX_ENTRIES];
};
static_assert(sizeof(BootInfo) <= BOOTINFO_MAX_BYTES);

// stage2's C++ part is built for i386, where a uint64_t inside a struct is
// only 4-aligned: keep every 64-bit field 8-aligned by hand so that the 32-bit
// and the 64-bit builds (and the offsets handed to NASM) see one layout.
static_assert(offsetof(ImageHeader, payloads) % 8 == 0);
static_assert(offsetof(BootInfo, tsc_stage1) % 8 == 0);
static_assert(offsetof(BootInfo, e820) % 8 == 0);
static_assert(sizeof(BootInfo) % 8 == 0 && sizeof(ImageHeader) % 8 == 0);

// X(struct, field): offsets handed to assembly as STRUCT_FIELD.
#define VMXBOOT_OFFSETS(X)                                                     \
  X(ImageHeader, magic)                                                        \
  X(ImageHeader, payload_count)                                                \
  X(ImageHeader, disk_sectors)                                                 \
  X(ImageHeader, version)                                                      \
  X(ImageHeader, inject)                                                       \
  X(ImageHeader, payloads)                                                     \
  X(ImageHeader, header_crc32)                                                 \
  X(PayloadEntry, name)                                                        \
  X(PayloadEntry, first_lba)                                                   \
  X(PayloadEntry, sectors)                                                     \
  X(PayloadEntry, load_addr)                                                   \
  X(PayloadEntry, size)                                                        \
  X(PayloadEntry, crc32)                                                       \
  X(BootInfo, boot_drive)                                                      \
  X(BootInfo, disk_uses_lba)                                                   \
  X(BootInfo, stage2_spare_used)                                               \
  X(BootInfo, stage2_spare_bad)                                                \
  X(BootInfo, stage2_rest_spare_used)                                          \
  X(BootInfo, chs_heads)                                                       \
  X(BootInfo, chs_sectors)                                                     \
  X(BootInfo, bios_disk_reads)                                                 \
  X(BootInfo, tsc_stage1)                                                      \
  X(BootInfo, tsc_stage2)                                                      \
  X(BootInfo, tsc_long_mode)                                                   \
  X(BootInfo, fail_status)                                                     \
  X(BootInfo, payloads)                                                        \
  X(LoadedPayload, read_addr)                                                  \
  X(LoadedPayload, load_addr)                                                  \
  X(LoadedPayload, size)

// Sizes handed to assembly as SIZEOF_STRUCT.
#define VMXBOOT_SIZES(X) X(ImageHeader) X(PayloadEntry) X(LoadedPayload)

}  // namespace layout
