// A DMA-remapping unit's registers (Intel VT-d specification, chapter 11),
// as offsets from the unit's register base (the DMAR's DRHD), and the
// fields the VMM uses. The architecture only: what the VMM does with them
// is in vtd/unit.h.
#pragma once

#include <stdint.h>

namespace vtd::reg {

// Offsets.
inline constexpr uint32_t version = 0x00;       // 32: bits 7:4 major, 3:0 minor
inline constexpr uint32_t capability = 0x08;    // 64: CAP
inline constexpr uint32_t extended_capability = 0x10;  // 64: ECAP
inline constexpr uint32_t global_command = 0x18;  // 32: GCMD
inline constexpr uint32_t global_status = 0x1C;   // 32: GSTS
inline constexpr uint32_t root_table_address = 0x20;  // 64: RTADDR
inline constexpr uint32_t context_command = 0x28;     // 64: CCMD
inline constexpr uint32_t fault_status = 0x34;        // 32: FSTS
inline constexpr uint32_t fault_event_control = 0x38;  // 32: FECTL
inline constexpr uint32_t protected_memory_enable = 0x64;  // 32: PMEN
// The IOTLB registers (IVA, then IOTLB at +8) at ECAP.IRO * 16; the fault
// recording registers (16 bytes each) at CAP.FRO * 16.
inline constexpr uint32_t iotlb_from_iva = 8;
inline constexpr uint32_t fault_record_bytes = 16;

// CAP.
inline constexpr uint64_t cap_nd_mask = 7;                   // domains: 2^(4 + 2 ND)
inline constexpr uint64_t cap_rwbf = 1ull << 4;              // write buffers need flushing
inline constexpr uint64_t cap_plmr = 1ull << 5;              // protected low memory region
inline constexpr uint64_t cap_phmr = 1ull << 6;              // protected high memory region
inline constexpr uint64_t cap_cm = 1ull << 7;                // caching mode
inline constexpr uint32_t cap_sagaw_shift = 8;               // bit 1: 3 levels, 2: 4, 3: 5
inline constexpr uint32_t cap_mgaw_shift = 16;               // 6 bits: width - 1
inline constexpr uint32_t cap_fro_shift = 24;                // 10 bits: offset / 16
inline constexpr uint64_t cap_sllps_2m = 1ull << 34;         // second-level 2 MiB pages
inline constexpr uint64_t cap_sllps_1g = 1ull << 35;
inline constexpr uint32_t cap_nfr_shift = 40;                // 8 bits: records - 1
inline constexpr uint64_t cap_dwd = 1ull << 54;              // drain writes
inline constexpr uint64_t cap_drd = 1ull << 55;              // drain reads

// ECAP.
inline constexpr uint64_t ecap_coherent = 1ull << 0;         // C: page walks snoop the caches
inline constexpr uint64_t ecap_queued_invalidation = 1ull << 1;
inline constexpr uint64_t ecap_interrupt_remapping = 1ull << 3;
inline constexpr uint32_t ecap_iro_shift = 8;                // 10 bits: offset / 16

// GCMD (write) and GSTS (read) share their bit positions.
inline constexpr uint32_t translation_enable = 1u << 31;     // TE / TES
inline constexpr uint32_t root_table_pointer = 1u << 30;     // SRTP / RTPS
inline constexpr uint32_t write_buffer_flush = 1u << 27;     // WBF / WBFS
inline constexpr uint32_t queued_invalidation = 1u << 26;    // QIE / QIES
inline constexpr uint32_t interrupt_remapping = 1u << 25;    // IRE / IRES
// A GCMD write carries every persistent setting again (TE, EAFL, QIE, IRE,
// CFI as GSTS shows them) and no one-shot command but the one meant
// (SRTP, SFL, WBF, SIRTP): GSTS & this, | the command.
inline constexpr uint32_t persistent_status = 0x96FFFFFF;

// CCMD: invalidate the context cache, globally; ICC clears when done, CAIG
// says what was done (0: nothing).
inline constexpr uint64_t ccmd_icc = 1ull << 63;
inline constexpr uint64_t ccmd_global = 1ull << 61;
inline constexpr uint32_t ccmd_caig_shift = 59;

// IOTLB: likewise, with draining of reads and writes where CAP offers it.
inline constexpr uint64_t iotlb_ivt = 1ull << 63;
inline constexpr uint64_t iotlb_global = 1ull << 60;
inline constexpr uint32_t iotlb_iaig_shift = 57;
inline constexpr uint64_t iotlb_drain_reads = 1ull << 49;
inline constexpr uint64_t iotlb_drain_writes = 1ull << 48;

// FSTS, FECTL.
inline constexpr uint32_t fsts_overflow = 1u << 0;           // PFO, write 1 to clear
inline constexpr uint32_t fsts_pending = 1u << 1;            // PPF
inline constexpr uint32_t fectl_mask = 1u << 31;             // IM: no fault interrupts
// PMEN: bit 31 enable (EPM), bit 0 its status (PRS).
inline constexpr uint32_t pmen_enable = 1u << 31;
inline constexpr uint32_t pmen_status = 1u << 0;

// A fault record's upper 64 bits: F (write 1 to clear), T (1: a read),
// the reason (FR) in bits 39:32, the source ID (bus 15:8, device 7:3,
// function 2:0) in bits 15:0. Its lower 64: the page address (FI).
inline constexpr uint64_t fault_f = 1ull << 63;
inline constexpr uint64_t fault_read = 1ull << 62;
inline constexpr uint32_t fault_reason_shift = 32;

}  // namespace vtd::reg
