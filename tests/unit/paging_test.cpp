// build_identity_map_4g: walk the tables it builds like the MMU does
// (SDM Vol. 3A 4.5.4) and check every translation is the identity.
#include <gtest/gtest.h>

#include <stdint.h>

#include <optional>
#include <vector>

#include "common/paging.h"

namespace {

using namespace paging;

constexpr uint64_t tables_phys = 0x600000;

// The six pages as an array, addressed by their pretend physical address.
class BuiltTables {
 public:
  explicit BuiltTables(bool one_gib_pages = false)
      : memory_(identity_map_4g_pages * entries_per_table, 0xBAD0BAD0BAD0BAD0ull) {
    build_identity_map_4g(memory_.data(), tables_phys, one_gib_pages);
  }

  const uint64_t* table_at(uint64_t phys) const {
    if (phys < tables_phys || phys >= tables_phys + identity_map_4g_bytes) return nullptr;
    if ((phys & 0xFFF) != 0) return nullptr;
    return memory_.data() + (phys - tables_phys) / sizeof(uint64_t);
  }

  struct Walk {
    uint64_t physical;
    uint64_t leaf;        // the entry that mapped the page
    int leaf_level;       // 2: PDE (2 MiB), 1: PTE
  };

  // A four-level walk; nullopt on a not-present entry or a table pointer
  // outside the built pages.
  std::optional<Walk> translate(uint64_t linear) const {
    const uint64_t* pml4 = table_at(tables_phys);
    uint64_t pml4e = pml4[pml4_index(linear)];
    if (!(pml4e & present) || (pml4e & page_size)) return std::nullopt;
    const uint64_t* pdpt = table_at(entry_address(pml4e));
    if (pdpt == nullptr) return std::nullopt;
    uint64_t pdpte = pdpt[pdpt_index(linear)];
    if (!(pdpte & present)) return std::nullopt;
    if (pdpte & page_size) {
      return Walk{(pdpte & address_mask & ~(page_1g - 1)) | (linear & (page_1g - 1)), pdpte, 3};
    }
    const uint64_t* pd = table_at(entry_address(pdpte));
    if (pd == nullptr) return std::nullopt;
    uint64_t pde = pd[pd_index(linear)];
    if (!(pde & present)) return std::nullopt;
    if (pde & page_size) {
      return Walk{(pde & address_mask & ~(page_2m - 1)) | (linear & (page_2m - 1)), pde, 2};
    }
    const uint64_t* pt = table_at(entry_address(pde));
    if (pt == nullptr) return std::nullopt;
    uint64_t pte = pt[pt_index(linear)];
    if (!(pte & present)) return std::nullopt;
    return Walk{entry_address(pte) | (linear & 0xFFF), pte, 1};
  }

  uint64_t entry(int page, int index) const { return memory_[page * entries_per_table + index]; }

 private:
  std::vector<uint64_t> memory_;
};

TEST(Paging, EncodersPlaceFlagsAndAddress) {
  EXPECT_EQ(present, 0x1u);
  EXPECT_EQ(writable, 0x2u);
  EXPECT_EQ(user, 0x4u);
  EXPECT_EQ(pwt, 0x8u);
  EXPECT_EQ(pcd, 0x10u);
  EXPECT_EQ(accessed, 0x20u);
  EXPECT_EQ(dirty, 0x40u);
  EXPECT_EQ(page_size, 0x80u);
  EXPECT_EQ(global, 0x100u);
  EXPECT_EQ(nx, 0x8000000000000000ull);

  EXPECT_EQ(table_entry(0x601000, present | writable), 0x601003u);
  EXPECT_EQ(table_entry(0x601000, present | page_size), 0x601001u);  // never a page
  EXPECT_EQ(page_entry_2m(0x40000000, present | writable), 0x40000083u);
  EXPECT_EQ(page_entry_2m(0x40123456, present), 0x40000081u);  // low bits dropped
  EXPECT_EQ(page_entry_1g(0x80000000, present | writable | global), 0x80000183u);
  EXPECT_EQ(page_entry_4k(0xB8000, present | writable | pcd | nx), 0x80000000000B8013ull);
  EXPECT_EQ(entry_address(0x80000000000B8013ull), 0xB8000u);
  EXPECT_EQ(page_entry_4k(0xFFF0000000000000ull | 0x1000, present), 0x1001u);  // bits 63:52 cut
}

TEST(Paging, IndicesSplitLinearAddress) {
  uint64_t linear = (5ull << 39) | (6ull << 30) | (7ull << 21) | (8ull << 12) | 0x123;
  EXPECT_EQ(pml4_index(linear), 5u);
  EXPECT_EQ(pdpt_index(linear), 6u);
  EXPECT_EQ(pd_index(linear), 7u);
  EXPECT_EQ(pt_index(linear), 8u);
}

TEST(Paging, IdentityMapTranslatesSampleAddresses) {
  BuiltTables t;
  const uint64_t samples[] = {
      0x0,        0x7C00,      0xB8000,     0xFFFFF,      0x100000,   0x1FFFFF,
      0x200000,   0x400000,    0x600000,    0x605FFF,     0x3FFFFFFF, 0x40000000,
      0x7FFFFFFF, 0x80000000,  0xBFFFFFFF,  0xC0000000,   0xFEC00000, 0xFEE00000,
      0xFFFFFFF0, 0xFFFFFFFF,  0x12345678,  0x9ABCDEF0,
  };
  for (uint64_t linear : samples) {
    auto walk = t.translate(linear);
    ASSERT_TRUE(walk.has_value()) << std::hex << linear;
    EXPECT_EQ(walk->physical, linear) << std::hex << linear;
    EXPECT_EQ(walk->leaf_level, 2) << std::hex << linear;
    EXPECT_EQ(walk->leaf & (present | writable | page_size), present | writable | page_size);
    EXPECT_EQ(walk->leaf & (user | pwt | pcd | global | nx), 0u);
  }
}

TEST(Paging, EveryTwoMegabytePageIsIdentity) {
  BuiltTables t;
  for (uint64_t page = 0; page < (4ull << 30); page += page_2m) {
    auto walk = t.translate(page + 0x1234);
    ASSERT_TRUE(walk.has_value()) << std::hex << page;
    ASSERT_EQ(walk->physical, page + 0x1234);
  }
}

TEST(Paging, NothingMappedAbove4G) {
  BuiltTables t;
  EXPECT_FALSE(t.translate(4ull << 30).has_value());
  EXPECT_FALSE(t.translate((4ull << 30) + 0x1000).has_value());
  EXPECT_FALSE(t.translate(512ull << 30).has_value());           // PML4 entry 1
  EXPECT_FALSE(t.translate(0xFFFF800000000000ull).has_value());  // higher half
}

TEST(Paging, UpperLevelsPointAtTheNextConsecutivePages) {
  BuiltTables t;
  EXPECT_EQ(t.entry(0, 0), (tables_phys + 0x1000) | present | writable);
  for (int i = 1; i < entries_per_table; ++i) ASSERT_EQ(t.entry(0, i), 0u) << i;
  for (int gib = 0; gib < 4; ++gib) {
    EXPECT_EQ(t.entry(1, gib), (tables_phys + 0x2000 + gib * 0x1000) | present | writable);
  }
  for (int i = 4; i < entries_per_table; ++i) ASSERT_EQ(t.entry(1, i), 0u) << i;
}

TEST(Paging, OneGibPagesMapTheSameAndLeaveTheDirectoriesAlone) {
  BuiltTables small;
  BuiltTables large(/*one_gib_pages=*/true);
  for (uint64_t linear : {0x0ull, 0x7C00ull, 0x400000ull, 0x3FFFFFFFull, 0x40000000ull,
                          0xB8000ull, 0xFEE00000ull, 0xFFFFFFFFull}) {
    auto a = small.translate(linear);
    auto b = large.translate(linear);
    ASSERT_TRUE(a.has_value()) << linear;
    ASSERT_TRUE(b.has_value()) << linear;
    EXPECT_EQ(b->physical, linear);
    EXPECT_EQ(b->leaf_level, 3);
    EXPECT_EQ(a->physical, b->physical);
  }
  EXPECT_FALSE(large.translate(0x100000000ull).has_value());
  // The directory pages were not written: still the fill pattern.
  for (int i = 0; i < 4 * entries_per_table; ++i) {
    ASSERT_EQ(large.entry(2, i), 0xBAD0BAD0BAD0BAD0ull) << i;
  }
}

TEST(Paging, TablesAtAnotherAddress) {
  std::vector<uint64_t> memory(identity_map_4g_pages * entries_per_table);
  build_identity_map_4g(memory.data(), 0x12345000);
  EXPECT_EQ(memory[0], 0x12346003u);
  EXPECT_EQ(memory[entries_per_table + 3], 0x1234A003u);
}

}  // namespace
