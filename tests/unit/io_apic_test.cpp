// The I/O APIC device (devices/io_apic.h) over the faked APIC registers
// (fake_apic_io.h): which redirection writes it refuses, what it carries
// out, and the chain guest's attach and EPT with its page read-only.
#include <gtest/gtest.h>

#include <memory>

#include "bochs_vmx_msrs.h"
#include "devices/io_apic.h"
#include "fake_apic_io.h"
#include "fake_port_io.h"
#include "guests/bios_chain/devices.h"
#include "layout.h"
#include "vmm_plan.h"
#include "vmx/identity_ept.h"
#include "vmx/mmio_ept.h"

namespace {

using devices::MmioVerdict;
using devices::io_apic::refused_delivery;

constexpr uint64_t base = 0xFEC00000;

TEST(IoApicDecision, SmiAndInitRedirectionsAreRefused) {
  // Entry 2's low dword (IOREGSEL 0x14), delivery mode in bits 10:8.
  EXPECT_STREQ(refused_delivery(0x14, 0x0200 | 0x30), "smi");
  EXPECT_STREQ(refused_delivery(0x14, 0x0500), "init");
  EXPECT_STREQ(refused_delivery(0x3E, 0x10200), "smi") << "masked too: unmasking is one write";
  EXPECT_STREQ(refused_delivery(0x114, 0x0200), "smi") << "IOREGSEL's bits 7:0 select";
  EXPECT_EQ(refused_delivery(0x14, 0x0000 | 0x30), nullptr) << "fixed";
  EXPECT_EQ(refused_delivery(0x14, 0x0100), nullptr) << "lowest priority";
  EXPECT_EQ(refused_delivery(0x14, 0x0400), nullptr) << "NMI: the VMM delivers it to the guest";
  EXPECT_EQ(refused_delivery(0x14, 0x0700), nullptr) << "ExtINT";
  EXPECT_EQ(refused_delivery(0x15, 0x0200), nullptr) << "the high dword holds the destination";
  EXPECT_EQ(refused_delivery(0x00, 0x0200), nullptr) << "the ID register";
  EXPECT_EQ(refused_delivery(0x01, 0x0500), nullptr) << "the version register";
}

struct IoApicDevice : testing::Test {
  devices::IoApics apics{};
  devices::MmioDevice device = devices::io_apic_device(apics);
  vmx::GuestEnd end{};
  void SetUp() override { fake_apic_io::reset(); }
  void TearDown() override { fake_apic_io::reset(); }
  MmioVerdict store(uint64_t address, uint8_t bytes, uint64_t value, bool exchange = false,
                    uint64_t* old = nullptr) {
    devices::MmioWrite w{address, bytes, value, exchange, 0};
    const MmioVerdict v = device.write(device.state, w, end);
    if (old != nullptr) *old = w.old;
    return v;
  }
  uint32_t reg(uint64_t address) { return fake_apic_io::registers[address]; }
};

TEST_F(IoApicDevice, AnSmiEntryIsDroppedTheEntryKeepsWhatItHeld) {
  fake_apic_io::registers[base + 0x10] = 0x10000;  // IOWIN reads entry 2, masked
  EXPECT_EQ(store(base, 4, 0x14), MmioVerdict::done);  // IOREGSEL: entry 2's low dword
  EXPECT_EQ(reg(base), 0x14u) << "IOREGSEL carried out";
  EXPECT_EQ(store(base + 0x10, 4, 0x0230), MmioVerdict::done);
  EXPECT_EQ(reg(base + 0x10), 0x10000u) << "not written";
  EXPECT_EQ(store(base + 0x10, 4, 0x0500), MmioVerdict::done);
  EXPECT_EQ(reg(base + 0x10), 0x10000u);
  EXPECT_EQ(apics.refused_smi, 1u);
  EXPECT_EQ(apics.refused_init, 1u);
  EXPECT_EQ(apics.last_refused_at, base);
  EXPECT_EQ(apics.last_refused_entry, 2u);
  EXPECT_EQ(apics.last_refused_value, 0x0500u);
  EXPECT_EQ(apics.writes, 1u) << "IOREGSEL";
}

TEST_F(IoApicDevice, OtherWritesAreCarriedOut) {
  store(base, 4, 0x14);
  EXPECT_EQ(store(base + 0x10, 4, 0x0430), MmioVerdict::done);  // NMI
  EXPECT_EQ(reg(base + 0x10), 0x0430u);
  store(base, 4, 0x15);
  EXPECT_EQ(store(base + 0x10, 4, 0x0200), MmioVerdict::done) << "a destination, not a mode";
  EXPECT_EQ(reg(base + 0x10), 0x0200u);
  EXPECT_EQ(store(base + 0x40, 4, 0x30), MmioVerdict::done) << "the EOI register";
  EXPECT_EQ(reg(base + 0x40), 0x30u);
  EXPECT_EQ(apics.refused_smi + apics.refused_init, 0u);
  EXPECT_EQ(apics.writes, 5u);
}

TEST_F(IoApicDevice, TheStoresPageIsTheIoApicItReaches) {
  constexpr uint64_t second = base + 0x1000;
  fake_apic_io::registers[base] = 0x10;        // the first selects a redirection entry
  fake_apic_io::registers[second] = 0x01;      // the second its version register
  EXPECT_EQ(store(second + 0x10, 4, 0x0200), MmioVerdict::done);
  EXPECT_EQ(apics.refused_smi, 0u) << "the second's IOREGSEL counts, not the first's";
  EXPECT_EQ(store(base + 0x10, 4, 0x0200), MmioVerdict::done);
  EXPECT_EQ(apics.refused_smi, 1u);
}

TEST_F(IoApicDevice, StoresThatAreNot32BitsAreDropped) {
  EXPECT_EQ(store(base + 0x10, 1, 0x02), MmioVerdict::deny);
  EXPECT_EQ(store(base + 0x10, 8, 0x0200), MmioVerdict::deny);
  EXPECT_EQ(store(base + 0x12, 4, 0x0200), MmioVerdict::deny);
  EXPECT_EQ(apics.misshapen_writes, 3u);
  EXPECT_TRUE(fake_apic_io::writes.empty());
}

TEST_F(IoApicDevice, AnExchangeReadsTheRegisterFirst) {
  fake_apic_io::registers[base] = 0x12;
  uint64_t old = 0;
  EXPECT_EQ(store(base, 4, 0x14, true, &old), MmioVerdict::done);
  EXPECT_EQ(old, 0x12u);
}

// The chain guest's devices claim each I/O APIC's page (two in one page
// once) and the plan's EPT has it read-only.
TEST(ChainIoApic, ThePagesAreClaimedAndReadOnlyInThePlansEpt) {
  const madt::IoApic listed[] = {{1, 0xFEC00000, 0}, {2, 0xFEC00040, 24}, {3, 0xFEC10000, 48}};
  fake_port_io::reset();
  const vmm_plan::Planned p = vmm_plan::plan_chain_as_the_vmm_does(
      bochs_vmx::model("corei7_skylake_x").msrs, 636, {listed, 3, nullptr, {}, nullptr, 0});
  ASSERT_EQ(p.plan.error, vmx::PlanError::none);
  const devices::MmioMap& mmio = p.memory->mmio;
  EXPECT_STREQ(mmio.range(mmio.slot_of(0xFEC00010)).name, "io-apic");
  EXPECT_STREQ(mmio.range(mmio.slot_of(0xFEC10010)).name, "io-apic");
  EXPECT_EQ(mmio.slot_of(0xFEC01000), 0);
  const vmx::IdentityEptTables& t = p.memory->chain_ept;
  constexpr uint64_t all = vmx::ept_read | vmx::ept_write | vmx::ept_execute;
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEC00000), vmx::mmio_guest_access);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEC10000), vmx::mmio_guest_access);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEC01000), all);
  fake_port_io::reset();
}

}  // namespace
