#include "guests/bios_chain/memory_map.h"

namespace guests::bios_chain {

namespace {

constexpr uint64_t one_mib = 1ull << 20, sixteen_mib = 16ull << 20, four_gib = 4ull << 30;
constexpr uint32_t e820_function = 0xE820, e801_function = 0xE801, size88_function = 0x88;
constexpr uint32_t entry_bytes = 20;
constexpr uint32_t unsupported = 0x86;  // AH: "function not supported"
// The highest address real mode reaches: FFFF:FFFF.
static_assert(real_mode_end <= layout::VMM_ADDR, "the VMM lies beyond real mode's reach");

struct Range {
  uint64_t first, end;
};

void add(GuestMemoryMap& out, uint64_t first, uint64_t end, uint32_t type, uint32_t attributes) {
  if (end <= first || out.count >= guest_map_max_entries) return;
  out.entries[out.count++] = {first, end - first, type, attributes};
}

// The end of the usable memory that joins on at `from`, looking no further
// than `limit`: one pass per entry at most, so bounded by the map's size.
uint64_t usable_run(const GuestMemoryMap& map, uint64_t from, uint64_t limit) {
  uint64_t end = from;
  for (uint32_t pass = 0; pass < map.count && end < limit; ++pass) {
    bool grew = false;
    for (uint32_t i = 0; i < map.count; ++i) {
      const layout::E820Entry& e = map.entries[i];
      if (e.type == layout::E820_USABLE && e.base <= end && end - e.base < e.length) {
        end = e.base + e.length;  // no wrap: build_guest_memory_map clamped it
        grew = true;
      }
    }
    if (!grew) break;
  }
  return end < limit ? end : limit;
}

void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void put64(uint8_t* p, uint64_t v) {
  put32(p, static_cast<uint32_t>(v));
  put32(p + 4, static_cast<uint32_t>(v >> 32));
}

}  // namespace

bool build_guest_memory_map(const layout::E820Entry* firmware, uint32_t count,
                            uint64_t stub_first, uint64_t vmm_first, uint64_t vmm_end,
                            uint64_t mapped_end, GuestMemoryMap& out) {
  out.count = 0;
  out.kib_from_1m = out.blocks_from_16m = 0;
  out.mapped_end = mapped_end;
  if (!(stub_first < one_mib && one_mib <= vmm_first && vmm_first < vmm_end &&
        vmm_end <= mapped_end)) {
    return false;
  }
  if (count > layout::E820_MAX_ENTRIES) count = layout::E820_MAX_ENTRIES;
  const Range cuts[] = {{stub_first, one_mib}, {vmm_first, vmm_end}, {mapped_end, ~uint64_t{0}}};
  for (uint32_t i = 0; i < count; ++i) {
    const layout::E820Entry& e = firmware[i];
    const uint64_t end = e.length <= ~uint64_t{0} - e.base ? e.base + e.length : ~uint64_t{0};
    if (e.type != layout::E820_USABLE) {
      add(out, e.base, end, e.type, e.acpi_attributes);
      continue;
    }
    uint64_t at = e.base;
    for (const Range& cut : cuts) {
      if (cut.end <= at || cut.first >= end) continue;
      add(out, at, cut.first, layout::E820_USABLE, e.acpi_attributes);
      const uint64_t first = cut.first > at ? cut.first : at;
      at = cut.end < end ? cut.end : end;
      add(out, first, at, layout::E820_RESERVED, e.acpi_attributes);
    }
    add(out, at, end, layout::E820_USABLE, e.acpi_attributes);
  }
  const uint64_t run_end = usable_run(out, one_mib, four_gib);
  out.kib_from_1m = static_cast<uint32_t>((run_end - one_mib) >> 10);
  if (run_end >= sixteen_mib) {
    out.blocks_from_16m = static_cast<uint32_t>((run_end - sixteen_mib) >> 16);
  }
  return true;
}

Int15Answer answer_int15(const GuestMemoryMap& map, const Int15Call& call) {
  Int15Answer a{};
  a.ebx = call.ebx;
  a.ecx = call.ecx;
  a.edx = call.edx;
  if (call.function == e820_function && call.edx == layout::E820_SMAP &&
      call.ecx >= entry_bytes && call.ebx < map.count) {
    const layout::E820Entry& e = map.entries[call.ebx];
    put64(a.entry, e.base);
    put64(a.entry + 8, e.length);
    put32(a.entry + 16, e.type);
    a.store_entry = true;
    a.eax = layout::E820_SMAP;
    a.ebx = call.ebx + 1 < map.count ? call.ebx + 1 : 0;  // 0: that was the last
    a.ecx = entry_bytes;
    return a;
  }
  if ((call.function & 0xFFFF) == e801_function) {
    // AX = CX: KiB from 1 MiB up to 16 MiB; BX = DX: 64 KiB blocks above.
    const uint32_t below_16m = map.kib_from_1m < 15 * 1024 ? map.kib_from_1m : 15 * 1024;
    const uint32_t above = map.blocks_from_16m < 0xFFFF ? map.blocks_from_16m : 0xFFFF;
    a.eax = (call.function & 0xFFFF0000u) | below_16m;
    a.ecx = (call.ecx & 0xFFFF0000u) | below_16m;
    a.ebx = (call.ebx & 0xFFFF0000u) | above;
    a.edx = (call.edx & 0xFFFF0000u) | above;
    return a;
  }
  if (((call.function >> 8) & 0xFF) == size88_function) {
    const uint32_t kib = map.kib_from_1m < 0xFFFF ? map.kib_from_1m : 0xFFFF;
    a.eax = (call.function & 0xFFFF0000u) | kib;
    return a;
  }
  // A wrong signature, a short buffer, an index past the end, or a function
  // the stub should not have asked about.
  return refuse_int15(call);
}

Int15Answer refuse_int15(const Int15Call& call) {
  Int15Answer a{};
  a.carry = true;
  a.eax = (call.function & 0xFFFF00FFu) | (unsupported << 8);
  a.ebx = call.ebx;
  a.ecx = call.ecx;
  a.edx = call.edx;
  return a;
}

bool int15_buffer(uint64_t es_base, uint64_t rdi, bool paging, unsigned cpl,
                  uint64_t& physical) {
  if (paging || cpl != 0 || es_base > real_mode_end) return false;
  const uint64_t address = es_base + (rdi & 0xFFFF);  // no wrap: both are small
  if (address > real_mode_end - entry_bytes) return false;
  physical = address;
  return true;
}

}  // namespace guests::bios_chain
