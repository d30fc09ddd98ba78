// The walk of a guest's paging in every mode (vmm/vmx/guest_page_walk.h)
// and the fetch of an instruction's bytes through it (vmm/vmx/guest_code.h),
// over tables in an array.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "vmx/guest_code.h"
#include "vmx/guest_page_walk.h"

namespace {

using vmx::GuestAccessKind;
using vmx::GuestPagingState;
using vmx::WalkFault;
namespace bits = vmx::paging_bits;

// 16 MiB of guest memory; addresses read are remembered, some refused.
struct Memory {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(16 << 20);
  std::set<uint64_t> refused;  // pages read_physical refuses
  std::vector<uint64_t> reads;
  void write(uint64_t address, uint64_t value, unsigned n) {
    for (unsigned i = 0; i < n; ++i) bytes[address + i] = static_cast<uint8_t>(value >> (8 * i));
  }
  void write32(uint64_t a, uint32_t v) { write(a, v, 4); }
  void write64(uint64_t a, uint64_t v) { write(a, v, 8); }
  auto reader() {
    return [this](uint64_t address, unsigned n, uint64_t* value) {
      reads.push_back(address);
      if (address + n > bytes.size() || refused.count(address & ~0xFFFull) != 0) return false;
      uint64_t v = 0;
      for (unsigned i = 0; i < n; ++i) v |= uint64_t{bytes[address + i]} << (8 * i);
      *value = v;
      return true;
    };
  }
};

vmx::WalkResult walk(Memory& m, const GuestPagingState& s, uint64_t linear,
                     GuestAccessKind access = GuestAccessKind::read, bool user = false) {
  return vmx::walk_guest_paging(s, linear, access, user, m.reader());
}

constexpr uint64_t P = bits::present, RW = bits::writable, US = bits::user, PS = bits::page_size;
constexpr uint64_t XD = bits::execute_disable;

TEST(GuestPageWalk, PagingOffIsLinearAsPhysicalWithinFourGiB) {
  Memory m;
  const GuestPagingState s{0x10, 0, 0, 0, {}, 36};  // CR0.ET: real mode
  const vmx::WalkResult r = walk(m, s, 0x1FEE00300ull);
  EXPECT_EQ(r.fault, WalkFault::none);
  EXPECT_EQ(r.physical, 0xFEE00300u);
  EXPECT_TRUE(m.reads.empty()) << "no table is read";
}

TEST(GuestPageWalk, ThirtyTwoBitPagingFourKiBAndFourMiBPages) {
  Memory m;
  GuestPagingState s{bits::cr0_pg | 1, 0x10000, bits::cr4_pse, 0, {}, 36};
  m.write32(0x10000 + 1 * 4, 0x00011000 | P | RW);  // linear 0x400000: a page table
  m.write32(0x11000 + 5 * 4, 0x00345000 | P | RW);  // 0x405xxx -> 0x345xxx
  m.write32(0x10000 + 2 * 4, 0x00C00000 | P | RW | PS);  // 0x800000: a 4 MiB page at 12 MiB
  EXPECT_EQ(walk(m, s, 0x405ABC).physical, 0x345ABCu);
  EXPECT_EQ(walk(m, s, 0x812345).physical, 0xC12345u);
  EXPECT_EQ(walk(m, s, 0x406000).fault, WalkFault::not_present);
  EXPECT_EQ(walk(m, s, 0xC00000).fault, WalkFault::not_present);
  // PSE-36: bit 13 is physical bit 32; with MAXPHYADDR 32 it is reserved.
  m.write32(0x10000 + 3 * 4, 0x00002000 | P | PS);
  EXPECT_EQ(walk(m, s, 0xC00010).physical, 0x100000010ull);
  s.physical_address_bits = 32;
  EXPECT_EQ(walk(m, s, 0xC00010).fault, WalkFault::reserved_bit);
  // Without CR4.PSE the PS bit means nothing: PDE 2 points at a page table.
  s.cr4 = 0;
  m.write32(0xC00000, 0x00777000 | P);
  EXPECT_EQ(walk(m, s, 0x800123).physical, 0x777123u);
}

TEST(GuestPageWalk, AccessRightsAsTheCpuChecksThem) {
  Memory m;
  GuestPagingState s{bits::cr0_pg | 1, 0x10000, 0, 0, {}, 36};
  m.write32(0x10000, 0x00011000 | P | RW | US);
  m.write32(0x11000 + 0 * 4, 0x00020000 | P);            // supervisor, read-only
  m.write32(0x11000 + 1 * 4, 0x00021000 | P | US);       // user, read-only
  m.write32(0x11000 + 2 * 4, 0x00022000 | P | RW | US);  // user, writable
  EXPECT_EQ(walk(m, s, 0x0000, GuestAccessKind::read, true).fault, WalkFault::protection);
  EXPECT_EQ(walk(m, s, 0x0000, GuestAccessKind::read, false).fault, WalkFault::none);
  EXPECT_EQ(walk(m, s, 0x1000, GuestAccessKind::write, true).fault, WalkFault::protection);
  EXPECT_EQ(walk(m, s, 0x1000, GuestAccessKind::write, false).fault, WalkFault::none)
      << "a supervisor write to a read-only page, CR0.WP clear";
  s.cr0 |= bits::cr0_wp;
  EXPECT_EQ(walk(m, s, 0x1000, GuestAccessKind::write, false).fault, WalkFault::protection);
  EXPECT_EQ(walk(m, s, 0x2000, GuestAccessKind::write, true).fault, WalkFault::none);
  // SMEP: the supervisor fetches no code from a user page.
  EXPECT_EQ(walk(m, s, 0x2000, GuestAccessKind::fetch, false).fault, WalkFault::none);
  s.cr4 |= bits::cr4_smep;
  EXPECT_EQ(walk(m, s, 0x2000, GuestAccessKind::fetch, false).fault, WalkFault::protection);
  EXPECT_EQ(walk(m, s, 0x2000, GuestAccessKind::fetch, true).fault, WalkFault::none);
}

TEST(GuestPageWalk, PaeWithThePdpteRegistersNotMemory) {
  Memory m;
  GuestPagingState s{bits::cr0_pg | 1, 0x10000, bits::cr4_pae, 0, {}, 36};
  s.pdptes[3] = 0x00011000 | P;  // linear 0xC0000000-0xFFFFFFFF
  m.write64(0x10000 + 3 * 8, 0);  // the PDPT in memory says otherwise: not used
  m.write64(0x11000 + 0x1F7 * 8, 0x00012000 | P | RW);  // 0xFEE00000's PDE
  m.write64(0x12000 + 0 * 8, 0xFEE00000ull | P | RW);   // its 4 KiB page
  m.write64(0x11000 + 0x1F6 * 8, 0x00A00000 | P | RW | PS);  // 0xFEC00000: a 2 MiB page
  EXPECT_EQ(walk(m, s, 0xFEE00300).physical, 0xFEE00300u);
  EXPECT_EQ(walk(m, s, 0xFEC12345).physical, 0xA12345u);
  EXPECT_EQ(walk(m, s, 0x12345).fault, WalkFault::not_present) << "PDPTE 0 not present";
  // A 2 MiB page's bits 20:13 are reserved.
  m.write64(0x11000 + 0x1F6 * 8, 0x00A02000 | P | RW | PS);
  EXPECT_EQ(walk(m, s, 0xFEC12345).fault, WalkFault::reserved_bit);
  // XD without EFER.NXE is a reserved bit; with it, it forbids fetches.
  m.write64(0x12000, 0xFEE00000ull | P | RW | XD);
  EXPECT_EQ(walk(m, s, 0xFEE00300).fault, WalkFault::reserved_bit);
  s.efer = bits::efer_nxe;
  EXPECT_EQ(walk(m, s, 0xFEE00300).fault, WalkFault::none);
  EXPECT_EQ(walk(m, s, 0xFEE00300, GuestAccessKind::fetch).fault, WalkFault::protection);
  // An address bit at or above MAXPHYADDR (bits 62:M are reserved in PAE entries).
  m.write64(0x12000, (1ull << 40) | 0xFEE00000ull | P);
  EXPECT_EQ(walk(m, s, 0xFEE00300).fault, WalkFault::reserved_bit);
  s.physical_address_bits = 46;
  EXPECT_EQ(walk(m, s, 0xFEE00300).physical, (1ull << 40) | 0xFEE00300ull);
  // Reserved bits of a PDPTE register (2:1, 8:5).
  s.pdptes[3] |= RW;
  EXPECT_EQ(walk(m, s, 0xFEE00300).fault, WalkFault::reserved_bit);
}

TEST(GuestPageWalk, FourLevelPagingAndItsLargePages) {
  Memory m;
  GuestPagingState s{bits::cr0_pg | 1, 0x10000, bits::cr4_pae, bits::efer_lma | bits::efer_nxe,
                     {}, 46};
  m.write64(0x10000 + 0 * 8, 0x11000 | P | RW | US);   // PML4[0]
  m.write64(0x11000 + 3 * 8, 0x12000 | P | RW | US);   // PDPT[3]: 3-4 GiB
  m.write64(0x12000 + 0x1F7 * 8, 0x13000 | P | RW);    // PD[0x1F7]
  m.write64(0x13000, 0xFEE00000ull | P | RW);          // PT[0]
  m.write64(0x11000 + 1 * 8, 0x40000000ull | P | RW | PS);  // PDPT[1]: a 1 GiB page
  m.write64(0x12000 + 0x1F6 * 8, 0x00A00000 | P | RW | PS);  // a 2 MiB page
  EXPECT_EQ(walk(m, s, 0xFEE00300).physical, 0xFEE00300u);
  EXPECT_EQ(walk(m, s, 0x7654321).fault, WalkFault::not_present);
  EXPECT_EQ(walk(m, s, 0x41234567).physical, 0x41234567u);
  EXPECT_EQ(walk(m, s, 0xFEC00010).physical, 0xA00010u);
  // The user bit of every level: the PD's entry is supervisor.
  EXPECT_EQ(walk(m, s, 0xFEE00300, GuestAccessKind::read, true).fault, WalkFault::protection);
  // Non-canonical.
  EXPECT_EQ(walk(m, s, 0x0000800000000000ull).fault, WalkFault::non_canonical);
  EXPECT_EQ(walk(m, s, 0xFFFF800000000000ull).fault, WalkFault::not_present) << "canonical";
  // A 1 GiB page's bits 29:13 are reserved; PS in a PML4 entry is too.
  m.write64(0x11000 + 1 * 8, 0x40002000ull | P | RW | PS);
  EXPECT_EQ(walk(m, s, 0x41234567).fault, WalkFault::reserved_bit);
  m.write64(0x10000, 0x11000 | P | RW | US | PS);
  EXPECT_EQ(walk(m, s, 0xFEE00300).fault, WalkFault::reserved_bit);
  m.write64(0x10000, 0x11000 | P | RW | US);
  // Bits 62:52 are ignored in 4-level paging's entries (not in PAE's).
  m.write64(0x13000, 0xFEE00000ull | P | RW | (0x7FFull << 52));
  EXPECT_EQ(walk(m, s, 0xFEE00300).physical, 0xFEE00300u);
  // 5-level paging is refused.
  s.cr4 |= bits::cr4_la57;
  EXPECT_EQ(walk(m, s, 0xFEE00300).fault, WalkFault::unsupported);
}

TEST(GuestPageWalk, ARefusedTableIsNeverReadAround) {
  Memory m;
  GuestPagingState s{bits::cr0_pg | 1, 0x10000, 0, 0, {}, 36};
  m.write32(0x10000, 0x00011000 | P | RW);
  m.write32(0x11000, 0x00020000 | P | RW);
  m.refused.insert(0x11000);  // the page table lies on memory the VMM does not read
  EXPECT_EQ(walk(m, s, 0x123).fault, WalkFault::unreadable);
  m.refused = {0x10000};
  EXPECT_EQ(walk(m, s, 0x123).fault, WalkFault::unreadable);
}

TEST(GuestCode, RealModeFetchWrapsIpAt64KiBWithinCs) {
  Memory m;
  const GuestPagingState s{0x10, 0, 0, 0, {}, 36};
  const uint8_t code[] = {0x64, 0x66, 0xA3, 0x10, 0x03};
  std::memcpy(&m.bytes[0x7C00 + 0xFFFE], code, 2);
  std::memcpy(&m.bytes[0x7C00], code + 2, 3);
  uint8_t out[vmx::longest_instruction];
  const vmx::GuestCodePointer at{0x7C00, 0xFFFE, vmx::CodeSize::bits16, false};
  ASSERT_EQ(vmx::fetch_guest_instruction(s, at, out, m.reader()), vmx::longest_instruction);
  EXPECT_EQ(0, std::memcmp(out, code, sizeof(code)));
}

TEST(GuestCode, FetchStopsAtThePageThatDoesNotTranslate) {
  Memory m;
  GuestPagingState s{bits::cr0_pg | 1, 0x10000, 0, 0, {}, 36};
  m.write32(0x10000, 0x00011000 | P | RW);
  m.write32(0x11000 + 0x7 * 4, 0x00200000 | P | RW);  // linear 0x7000 -> 0x200000; 0x8000 absent
  m.bytes[0x200FFE] = 0xA3;
  m.bytes[0x200FFF] = 0x00;
  uint8_t out[vmx::longest_instruction];
  const vmx::GuestCodePointer at{0, 0x7FFE, vmx::CodeSize::bits32, false};
  EXPECT_EQ(vmx::fetch_guest_instruction(s, at, out, m.reader()), 2u);
  EXPECT_EQ(out[0], 0xA3);
  // Each page walked once, not once a byte: its PDE and PTE, then the next
  // page's (whose PTE is not present).
  size_t table_reads = 0;
  for (uint64_t a : m.reads) table_reads += a < 0x12000;
  EXPECT_EQ(table_reads, 2u * 2);
  // The decoder then refuses the cut-short instruction.
  EXPECT_NE(vmx::decode_store(out, 2, vmx::CodeSize::bits32).refused, nullptr);
}

TEST(GuestCode, LinearAddressesPerCodeSize) {
  EXPECT_EQ(vmx::guest_code_linear({0x10000, 0xFFFF, vmx::CodeSize::bits16, false}, 1), 0x10000u);
  EXPECT_EQ(vmx::guest_code_linear({0x1000, 0xFFFFFFFF, vmx::CodeSize::bits32, false}, 1),
            0x1000u);
  EXPECT_EQ(vmx::guest_code_linear({0xFFFFF000, 0x2000, vmx::CodeSize::bits32, false}, 0),
            0x1000u) << "CS base + EIP wraps at 4 GiB";
  EXPECT_EQ(vmx::guest_code_linear({0x1000, 0x100000000ull, vmx::CodeSize::bits64, false}, 1),
            0x100000001ull) << "CS base ignored in 64-bit code";
}

}  // namespace
