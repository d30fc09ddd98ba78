// PCI configuration through ECAM (devices/pci_ecam.h) and the registers
// the VMM keeps in memory (devices/kept_registers.h): which windows the
// VMM can keep, the guest's stores into a window decided as a write to
// 0xCFC is (over the faked i440FX bus of fake_pci_bus.h, reached by
// address), carried out with the guest's size, and the chain guest's EPT
// with both read-only.
#include <gtest/gtest.h>

#include <memory>
#include <tuple>
#include <vector>

#include "bochs_vmx_msrs.h"
#include "devices/kept_registers.h"
#include "devices/pci_chipset.h"
#include "devices/pci_ecam.h"
#include "fake_pci_bus.h"
#include "fake_port_io.h"
#include "guests/bios_chain/devices.h"
#include "layout.h"
#include "vmm_plan.h"
#include "vmx/identity_ept.h"
#include "vmx/mmio_ept.h"

namespace {

using devices::MmioVerdict;
using devices::MmioWrite;
using devices::pci::Function;

acpi::Mcfg mcfg_of(std::vector<acpi::McfgWindow> windows) {
  acpi::Mcfg m{};
  for (const acpi::McfgWindow& w : windows) m.windows[m.count++] = w;
  return m;
}

constexpr acpi::McfgWindow q35{0xB0000000, 0, 0, 255};

TEST(PciEcamWindows, KeptBelow4GiBAtMostTwo) {
  EXPECT_EQ(devices::ecam_unkeepable(mcfg_of({})), nullptr);
  EXPECT_EQ(devices::ecam_unkeepable(mcfg_of({q35})), nullptr);
  EXPECT_EQ(devices::ecam_unkeepable(mcfg_of({{0xF0000000, 0, 0, 255}})), nullptr)
      << "its last bus ends at 4 GiB";
  EXPECT_STREQ(devices::ecam_unkeepable(mcfg_of({{0xF8000000, 0, 0, 255}})),
               "an ECAM window at or above 4 GiB")
      << "buses 128-255 lie above 4 GiB";
  EXPECT_STREQ(devices::ecam_unkeepable(mcfg_of({{0x4000000000, 0, 0, 63}})),
               "an ECAM window at or above 4 GiB");
  EXPECT_EQ(devices::ecam_unkeepable(mcfg_of({{0xF0000000, 0, 0, 255}, {0xE0000000, 1, 0, 15}})),
            nullptr);
  EXPECT_STREQ(devices::ecam_unkeepable(
                   mcfg_of({q35, {0xE0000000, 1, 0, 15}, {0xD0000000, 2, 0, 15}})),
               "more ECAM windows than the VMM keeps");
}

// Firmware that lists more buses than its chipset decodes: the window cut,
// as Linux cuts it, to what E820 reserves from its start, or left as listed.
TEST(PciEcamWindows, AnOverstatedWindowIsCutToWhatE820Reserves) {
  const layout::E820Entry pc[] = {{0, 0x9F000, 1, 0},
                                  {0x100000, 0xDFF00000, 1, 0},
                                  {0xF8000000, 0x4000000, 2, 0},  // 64 buses reserved
                                  {0xFEC00000, 0x1000, 2, 0},
                                  {0xFEE00000, 0x1000, 2, 0}};
  bool trimmed = true;
  acpi::McfgWindow w = devices::decodable_window({0xF8000000, 0, 0, 255}, pc, 5, trimmed);
  EXPECT_TRUE(trimmed);
  EXPECT_EQ(w.base, 0xF8000000u);
  EXPECT_EQ(w.last_bus, 63);
  EXPECT_EQ(devices::ecam_unkeepable(mcfg_of({w})), nullptr) << "below the APICs now";
  // Listed where no APIC is: as listed, reserved or not.
  w = devices::decodable_window(q35, pc, 5, trimmed);
  EXPECT_FALSE(trimmed);
  EXPECT_EQ(w.last_bus, 255);
  // No reserved entry at its start, or one of less than 16 buses: as listed.
  w = devices::decodable_window({0xF8000000, 0, 0, 255}, pc, 2, trimmed);
  EXPECT_FALSE(trimmed);
  EXPECT_EQ(w.last_bus, 255);
  const layout::E820Entry small[] = {{0xF8000000, 0xF00000, 2, 0}};
  EXPECT_EQ(devices::decodable_window({0xF8000000, 0, 0, 255}, small, 1, trimmed).last_bus, 255);
  EXPECT_FALSE(trimmed);
  // A reserved entry that runs on past the APICs: cut at 0xFEC00000, buses
  // from the window's first.
  const layout::E820Entry wide[] = {{0xF0000000, ~0ull, 2, 0}};
  w = devices::decodable_window({0xF0000000, 0, 16, 255}, wide, 1, trimmed);
  EXPECT_TRUE(trimmed);
  EXPECT_EQ(w.first_bus, 16);
  EXPECT_EQ(w.last_bus, 235) << "0xF1000000 up to 0xFEC00000: 220 whole buses";
  // A window that starts past the APICs' range is the memory map's to refuse.
  w = devices::decodable_window({0x4000000000, 0, 0, 63}, wide, 1, trimmed);
  EXPECT_FALSE(trimmed);
}

// The chain guest's devices over the faked bus, its ECAM window at q35's
// address: the ports the tests of pci_test.cpp reach, the window by
// address.
struct ChainEcam : testing::Test {
  std::unique_ptr<guests::bios_chain::State> s = std::make_unique<guests::bios_chain::State>();
  std::unique_ptr<devices::PortMap> ports = std::make_unique<devices::PortMap>();
  std::unique_ptr<devices::MmioMap> mmio = std::make_unique<devices::MmioMap>();
  std::unique_ptr<fake_pci::Bus> bus;
  std::vector<unsigned> store_sizes;  // each store the device carried out
  uint16_t power_off = 0xB004;
  vmx::GuestEnd end{};
  acpi::Mcfg mcfg = mcfg_of({q35});
  PhysRange units[2] = {{0xFED90000, 0xFED91000}, {0xFED91000, 0xFED92000}};

  static Function function_at(uint64_t a) {
    return {static_cast<uint8_t>(a >> 20), static_cast<uint8_t>(a >> 15 & 31),
            static_cast<uint8_t>(a >> 12 & 7)};
  }
  static uint32_t read(void* context, uint64_t physical, unsigned bytes) {
    auto& t = *static_cast<ChainEcam*>(context);
    const uint64_t a = physical - q35.base;
    const uint32_t dword = t.bus->read(function_at(a), a & 0xFFC);
    const uint32_t v = dword >> (8 * (a & 3));
    return bytes == 4 ? v : v & ((1u << (8 * bytes)) - 1);
  }
  static void write(void* context, uint64_t physical, unsigned bytes, uint32_t value) {
    auto& t = *static_cast<ChainEcam*>(context);
    const uint64_t a = physical - q35.base;
    t.store_sizes.push_back(bytes);
    t.bus->write(function_at(a), a & 0xFFF, bytes, value);
  }

  void SetUp() override {
    fake_port_io::reset();
    bus = std::make_unique<fake_pci::Bus>();
    bus->bochs_platform();
    const layout::E820Entry e820[] = {{0, 0x9F000, 1, 0}, {0x100000, 0x3F00000, 1, 0}};
    ASSERT_TRUE(guests::bios_chain::attach_devices(
        *ports, *mmio, *s, 100, {power_off, 0xB2, 0xF1, 0xF0, &power_off}, true,
        {e820, 2, layout::VMM_ADDR, layout::VMM_MEMORY_END}, {},
        {nullptr, 0, &mcfg, {this, read, write}, units, 2}));
  }
  void TearDown() override {
    bus.reset();
    fake_port_io::reset();
  }
  static uint64_t at(Function f, uint16_t offset) {
    return devices::pci::ecam_address(q35, f, offset);
  }
  // The guest's store, as the EPT violation handler hands it on.
  MmioVerdict store(uint64_t address, uint8_t bytes, uint64_t value, uint64_t* old = nullptr) {
    const uint8_t slot = mmio->slot_of(address);
    EXPECT_NE(slot, 0) << std::hex << address << " is in no claimed range";
    if (slot == 0) return MmioVerdict::deny;
    MmioWrite w{address, bytes, value, old != nullptr, 0};
    const devices::MmioDevice& d = *mmio->range(slot).device;
    const MmioVerdict v = d.write(d.state, w, end);
    if (old != nullptr) *old = w.old;
    return v;
  }
};

TEST_F(ChainEcam, TheWindowAndTheUnitsAreClaimedActive) {
  const devices::MmioMap::Range& window = mmio->range(mmio->slot_of(q35.base));
  EXPECT_EQ(window.first, q35.base);
  EXPECT_EQ(window.bytes, 256ull << 20);
  EXPECT_TRUE(window.active);
  EXPECT_STREQ(window.name, "pci-ecam");
  EXPECT_EQ(mmio->slot_of(q35.base + (256ull << 20)), 0) << "past bus 255";
  EXPECT_STREQ(mmio->range(mmio->slot_of(0xFED90FFC)).name, "vtd-unit");
  EXPECT_STREQ(mmio->range(mmio->slot_of(0xFED91000)).name, "vtd-unit");
  EXPECT_EQ(mmio->slot_of(0xFED92000), 0);
}

TEST_F(ChainEcam, ABarOverTheVmmIsRefusedAsThroughThePorts) {
  // The VGA's expansion ROM (64 KiB) enabled at the VMM's first page.
  const uint32_t before = bus->read(fake_pci::vga, 0x30);
  EXPECT_EQ(store(at(fake_pci::vga, 0x30), 4, layout::VMM_ADDR | 1), MmioVerdict::done);
  EXPECT_EQ(bus->read(fake_pci::vga, 0x30), before) << "the sizing put it back, nothing written";
  EXPECT_EQ(s->pci.writes, 1u);
  EXPECT_EQ(s->pci.refused, 1u);
  EXPECT_EQ(s->pci.log[0].function, fake_pci::vga);
  EXPECT_EQ(s->pci.log[0].offset, 0x30);
  EXPECT_TRUE(s->pci.log[0].refused);
  EXPECT_NE(s->pci.log[0].why, nullptr);
  // Elsewhere it goes where the guest puts it.
  EXPECT_EQ(store(at(fake_pci::vga, 0x30), 4, 0xE2000001), MmioVerdict::done);
  EXPECT_EQ(bus->read(fake_pci::vga, 0x30), 0xE2000001u);
  EXPECT_EQ(s->pci.refused, 1u);
}

TEST_F(ChainEcam, SmramControlStaysLockedByteOrDword) {
  EXPECT_EQ(bus->read(fake_pci::host, 0x70) >> 16 & 0xFF, 0x1Au) << "locked by the attach";
  EXPECT_EQ(store(at(fake_pci::host, 0x72), 1, 0x4A), MmioVerdict::done);  // D_OPEN
  EXPECT_EQ(bus->read(fake_pci::host, 0x70) >> 16 & 0xFF, 0x1Au);
  EXPECT_EQ(s->pci.kept, 1u);
}

TEST_F(ChainEcam, AStoreIsCarriedOutWithTheGuestsSize) {
  store_sizes.clear();
  EXPECT_EQ(store(at(fake_pci::vga, 0x3C), 1, 0x0B), MmioVerdict::done);  // interrupt line
  EXPECT_EQ(store(at(fake_pci::vga, 0x04), 2, 0x0007), MmioVerdict::done);  // command
  EXPECT_EQ(store_sizes, (std::vector<unsigned>{1, 2}))
      << "no dword read-modify-write over the status register";
}

TEST_F(ChainEcam, StoresNoChipsetDefinesAreDropped) {
  const uint32_t before = bus->read(fake_pci::vga, 0x10);
  EXPECT_EQ(store(at(fake_pci::vga, 0x10), 8, layout::VMM_ADDR), MmioVerdict::deny);
  EXPECT_EQ(store(at(fake_pci::vga, 0x12), 4, layout::VMM_ADDR), MmioVerdict::deny);
  EXPECT_EQ(store(at(fake_pci::vga, 0x13), 2, 0xFFFF), MmioVerdict::deny);
  EXPECT_EQ(bus->read(fake_pci::vga, 0x10), before);
  EXPECT_EQ(s->ecam.misshapen_writes, 3u);
  EXPECT_EQ(s->pci.writes, 0u) << "none reached the decision";
}

TEST_F(ChainEcam, AnExchangeReadsTheRegisterBeforeTheStore) {
  uint64_t old = 0;
  EXPECT_EQ(store(at(fake_pci::vga, 0x10), 4, 0xE2000008, &old), MmioVerdict::done);
  EXPECT_EQ(old, 0xE0000008u);
  EXPECT_EQ(bus->read(fake_pci::vga, 0x10), 0xE2000008u);
}

TEST_F(ChainEcam, TheRemappingUnitsStoresAreDropped) {
  uint64_t old = 0;
  EXPECT_EQ(store(0xFED90018, 4, 0), MmioVerdict::deny);  // GCMD: translation off
  EXPECT_EQ(store(0xFED91020, 8, 0x1234000, &old), MmioVerdict::deny);  // RTADDR
  EXPECT_EQ(s->remapping_registers.writes_dropped, 2u);
  EXPECT_EQ(s->remapping_registers.last_address, 0xFED91020u);
}

TEST_F(ChainEcam, AWindowTheVmmCannotKeepIsNotAttached) {
  acpi::Mcfg high = mcfg_of({{0x4000000000, 0, 0, 15}});
  auto other = std::make_unique<devices::MmioMap>();
  other->reset();
  devices::PciEcam ecam{};
  devices::MmioDevice device{};
  EXPECT_FALSE(devices::attach_pci_ecam(ecam, device, *other, s->pci, high, {this, read, write}));
  EXPECT_EQ(other->ranges(), 0u);
}

TEST(PciEcamWindows, Q35sPcieXBarIsKept) {
  EXPECT_EQ(devices::pci::ecam_base_offset(0x29C08086), 0x60) << "QEMU q35's MCH";
  EXPECT_EQ(devices::pci::ecam_base_offset(0x12378086), 0) << "the i440FX has no ECAM";
  fake_port_io::reset();
  fake_pci::Bus bus;
  bus.bochs_platform();
  bus.set(fake_pci::host, 0x60, 0xB0000001, 0xFFFFFFFF);  // PCIEXBAR as q35's firmware sets it
  auto ports = std::make_unique<devices::PortMap>();
  ports->reset(devices::PortMap::Unclaimed::guests);
  devices::pci::Platform p{};
  p.ecam_base = 0x60;
  const devices::pci::Movers none{};
  for (const auto& [offset, bytes, value] :
       std::vector<std::tuple<uint16_t, unsigned, uint32_t>>{
           {0x60, 4, 0x00400001}, {0x60, 1, 0x00}, {0x63, 1, 0x00}, {0x64, 4, 0x1}}) {
    const auto t = devices::pci::ecam_target(q35, q35.base + offset, bytes);
    const auto d = devices::pci::decide_write(p, bus.ecam(), *ports, none, t, value);
    EXPECT_FALSE(d.refused);
    const uint32_t current = bus.read(fake_pci::host, offset & ~3u) >> (8 * (offset & 3));
    EXPECT_EQ(d.value, bytes == 4 ? current : current & 0xFF) << std::hex << offset;
    EXPECT_STREQ(d.why, "PCIEXBAR (the ECAM window the VMM keeps)");
  }
  auto t = devices::pci::ecam_target(q35, q35.base + 0x60, 4);
  p.ecam_base = 0;
  EXPECT_EQ(devices::pci::decide_write(p, bus.ecam(), *ports, none, t, 0x00400001).value,
            0x00400001u)
      << "a host bridge the VMM does not know: its 0x60 is not PCIEXBAR";
  fake_port_io::reset();
}

// The EPT the plan builds: the window and the units' pages read-only, the
// memory around them the guest's.
TEST(ChainEcamEpt, TheWindowAndTheUnitsAreReadOnlyInThePlansEpt) {
  const acpi::Mcfg mcfg = mcfg_of({q35});
  const PhysRange units[] = {{0xFED90000, 0xFED91000}};
  fake_port_io::reset();
  fake_pci::Bus bus;
  bus.bochs_platform();
  const vmm_plan::Planned p = vmm_plan::plan_chain_as_the_vmm_does(
      bochs_vmx::model("corei7_skylake_x").msrs, 636,
      {nullptr, 0, &mcfg, {nullptr, [](void*, uint64_t, unsigned) { return 0u; },
               [](void*, uint64_t, unsigned, uint32_t) {}},
       units, 1});
  ASSERT_EQ(p.plan.error, vmx::PlanError::none);
  const vmx::IdentityEptTables& t = p.memory->chain_ept;
  constexpr uint64_t all = vmx::ept_read | vmx::ept_write | vmx::ept_execute;
  EXPECT_EQ(vmx::identity_ept_access(t, q35.base), vmx::mmio_guest_access);
  EXPECT_EQ(vmx::identity_ept_access(t, q35.base + (256ull << 20) - 4), vmx::mmio_guest_access);
  EXPECT_EQ(vmx::identity_ept_access(t, q35.base - 4), all);
  EXPECT_EQ(vmx::identity_ept_access(t, q35.base + (256ull << 20)), all);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFED90000), vmx::mmio_guest_access);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFED8F000), all);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFED91000), all);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEE00000), vmx::mmio_guest_access) << "the APIC's";
  fake_port_io::reset();
}

}  // namespace
