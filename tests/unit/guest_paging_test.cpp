// The VMM's walk of the guest's 32-bit paging (vmm/vmx/guest_paging.h).
#include <gtest/gtest.h>

#include <vector>

#include "vmx/guest_paging.h"

namespace {

// Guest memory: 4 MiB, with a page directory at 0x11000.
struct GuestMemory {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(4 << 20);
  uint32_t read32(uint64_t address) const {
    return bytes[address] | bytes[address + 1] << 8 | bytes[address + 2] << 16 |
           static_cast<uint32_t>(bytes[address + 3]) << 24;
  }
  void write32(uint64_t address, uint32_t value) {
    for (int i = 0; i < 4; ++i) bytes[address + i] = static_cast<uint8_t>(value >> (8 * i));
  }
  auto reader() {
    return [this](uint64_t address, uint32_t* value) {
      if (address + 4 > bytes.size()) return false;
      *value = read32(address);
      return true;
    };
  }
};

TEST(VmxGuestPaging, FourMegabytePageAndFourKilobytePages) {
  GuestMemory m;
  m.write32(0x11000, 0x00000087);                 // PDE 0: 4 MiB user page at 0
  m.write32(0x11004, 0x00012007);                 // PDE 1: page table at 0x12000
  m.write32(0x12000 + 5 * 4, 0x00345007);         // linear 0x405xxx -> 0x345xxx
  m.write32(0x12000 + 6 * 4, 0x00346003);         // supervisor page
  m.write32(0x11008, 0x00000083);                 // PDE 2: supervisor 4 MiB
  uint64_t phys = 0;
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x0010123, false, phys, m.reader()));
  EXPECT_EQ(phys, 0x10123u);
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x405ABC, false, phys, m.reader()));
  EXPECT_EQ(phys, 0x345ABCu);
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x406000, false, phys, m.reader()));
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x800000, false, phys, m.reader()));
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 36, 0xC00000, false, phys, m.reader()))
      << "not present";
  // Without CR4.PSE, PDE 0's PS bit is ignored: it points to a page table at 0.
  m.write32(0x0, 0x00000005);
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, false, 36, 0x123, false, phys, m.reader()));
  EXPECT_EQ(phys, 0x123u);
}

TEST(VmxGuestPaging, WritesNeedTheWritableBitAtEveryLevel) {
  GuestMemory m;
  m.write32(0x11000, 0x00000087);          // PDE 0: 4 MiB user page, writable
  m.write32(0x11004, 0x00400085);          // PDE 1: 4 MiB user page, read-only
  m.write32(0x11008, 0x00012005);          // PDE 2: page table, read-only
  m.write32(0x1100C, 0x00013007);          // PDE 3: page table, writable
  m.write32(0x12000, 0x00345007);          //   writable page under a read-only PDE
  m.write32(0x13000, 0x00346005);          //   read-only page under a writable PDE
  m.write32(0x13004, 0x00347007);          //   writable all the way
  uint64_t phys = 0;
  EXPECT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x1000, true, phys, m.reader()));
  EXPECT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x401000, false, phys, m.reader()));
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x401000, true, phys, m.reader()));
  EXPECT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x800000, false, phys, m.reader()));
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x800000, true, phys, m.reader()));
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 36, 0xC00000, true, phys, m.reader()));
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 36, 0xC01234, true, phys, m.reader()));
  EXPECT_EQ(phys, 0x347234u);
}

TEST(VmxGuestPaging, ARefusedTableReadFailsTheWalk) {
  // The VMM's reader refuses page tables outside the guest's memory.
  GuestMemory m;
  m.write32(0x11000, 0x00000087);
  uint64_t phys = 0;
  auto refuse_all = [](uint64_t, uint32_t*) { return false; };
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x1000, false, phys, refuse_all));
}

TEST(VmxGuestPaging, Pse36BitsMapAbove4GiBUpToMaxPhyAddr) {
  GuestMemory m;
  m.write32(0x11000, 0x00002087);  // PDE 0: bit 13 = physical bit 32
  m.write32(0x11004, 0x001FE087);  // PDE 1: bits 20:13 all set: bits 39:32
  m.write32(0x11008, 0x00200087);  // PDE 2: bit 21, reserved on every CPU
  uint64_t phys = 0;
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x10123, false, phys, m.reader()));
  EXPECT_EQ(phys, 0x100010123ull) << "not the guest's header at 0x10123";
  // MAXPHYADDR 36: bits 16:13 are address bits 35:32, bits 20:17 reserved.
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 36, 0x400000, false, phys, m.reader()));
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 40, 0x400010, false, phys, m.reader()));
  EXPECT_EQ(phys, 0xFF00000010ull);
  // Beyond 40 bits PSE-36 still stops at bit 39.
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 52, 0x400010, false, phys, m.reader()));
  EXPECT_EQ(phys, 0xFF00000010ull);
  for (unsigned bits : {32u, 36u, 40u, 46u, 52u}) {
    EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, bits, 0x800000, false, phys,
                                               m.reader()))
        << bits;
  }
  // MAXPHYADDR 32: no PSE-36 bits at all.
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 32, 0x10, false, phys, m.reader()));
  // Without CR4.PSE the PS bit is ignored: PDE 0 points to a page table at
  // 0x2000 and its bit 13 is address bit 13 of that table.
  m.write32(0x2000 + 0x10 * 4, 0x00345007);
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, false, 36, 0x10123, false, phys, m.reader()));
  EXPECT_EQ(phys, 0x345123u);
}

TEST(VmxGuestPaging, PsePageBaseForEveryWidth) {
  uint64_t base = 0;
  for (unsigned bits = 32; bits <= 52; ++bits) {
    const unsigned usable = bits > 40 ? 8 : bits - 32;
    for (unsigned bit = 13; bit <= 21; ++bit) {
      const bool ok = vmx::pse_page_base(0xFFC00087u | (1u << bit), bits, base);
      EXPECT_EQ(ok, bit - 13 < usable) << bits << " " << bit;
      if (ok) {
        EXPECT_EQ(base, 0xFFC00000ull | (1ull << (bit - 13 + 32)));
      }
    }
  }
}

}  // namespace
