// PCI configuration space for a guest that owns the machine
// (vmm/devices/pci_*.h, piix4_pm.h): the configuration address as both
// mechanisms decode it, BAR windows and the memory no device may decode
// over, and the chain guest's devices over a faked i440FX bus
// (fake_pci_bus.h) as the guest's own IN/OUT reach them: SMRAM locked
// before the guest and kept so, the PIIX4's SMIs closed, memory, ROM and
// I/O BARs over what the VMM keeps refused with the BAR's size found by the
// VMM, the PM block's and the bus-master block's moves followed, and every
// decision's work bounded.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "devices/mmio_map.h"
#include "devices/pci_address.h"
#include "devices/pci_bar.h"
#include "devices/pci_chipset.h"
#include "devices/pci_config.h"
#include "devices/pci_mediation.h"
#include "devices/port_io.h"
#include "devices/port_map.h"
#include "fake_pci_bus.h"
#include "fake_port_io.h"
#include "guests/bios_chain/devices.h"
#include "layout.h"

namespace {

using devices::PortAccess;
using devices::PortMap;
using devices::PortVerdict;
using devices::pci::Function;
namespace pci = devices::pci;

// ---------------------------------------------------------------- addresses

TEST(PciAddress, Mechanism1DecodesTheRegisterAndTheDataPortsOffset) {
  // Bus 1, device 1, function 2, register 0x3C.
  const uint32_t address = 0x80010A3C;
  auto t = pci::mechanism1_target(address, 0xCFC, 4);
  ASSERT_TRUE(t.valid);
  EXPECT_EQ(t.function, (Function{1, 1, 2}));
  EXPECT_EQ(t.offset, 0x3C);
  EXPECT_EQ(t.segment, 0);
  EXPECT_EQ(pci::mechanism1_target(address, 0xCFE, 2).offset, 0x3E);
  EXPECT_EQ(pci::mechanism1_target(address, 0xCFF, 1).offset, 0x3F);
  EXPECT_EQ(pci::mechanism1_target(address, 0xCFD, 1).bytes, 1);
  // Bits 30:24 and 1:0 are not decoded.
  t = pci::mechanism1_target(0xFF010A3F, 0xCFD, 2);
  ASSERT_TRUE(t.valid);
  EXPECT_EQ(t.function, (Function{1, 1, 2}));
  EXPECT_EQ(t.offset, 0x3D);
  EXPECT_EQ(pci::config_address(Function{1, 1, 2}, 0x3F), 0x80010A3Cu);
}

TEST(PciAddress, NoConfigurationAccessWithoutBit31OrPastTheDataPorts) {
  EXPECT_FALSE(pci::mechanism1_target(0x00010A3C, 0xCFC, 4).valid);
  EXPECT_FALSE(pci::mechanism1_target(0x80010A3C, 0xCFD, 4).valid) << "a dword past 0xCFF";
  EXPECT_FALSE(pci::mechanism1_target(0x80010A3C, 0xCFF, 2).valid);
  EXPECT_FALSE(pci::mechanism1_target(0x80010A3C, 0xCFE, 4).valid);
  EXPECT_FALSE(pci::mechanism1_target(0x80010A3C, 0xCFB, 1).valid) << "not a data port";
  EXPECT_FALSE(pci::mechanism1_target(0x80010A3C, 0xD00, 1).valid);
  EXPECT_FALSE(pci::mechanism1_target(0x80010A3C, 0xCFC, 3).valid);
}

// ---------------------------------------------------------------- BARs

TEST(PciBar, LayoutAndKindFromTheReadOnlyBits) {
  EXPECT_EQ(pci::bar_layout(0x00).bars, 6);
  EXPECT_EQ(pci::bar_layout(0x80).rom, 0x30) << "the multi-function bit aside";
  EXPECT_EQ(pci::bar_layout(0x01).bars, 2);
  EXPECT_EQ(pci::bar_layout(0x01).rom, 0x38);
  EXPECT_EQ(pci::bar_layout(0x02).bars, 0);
  EXPECT_EQ(pci::bar_kind(0xC001), pci::BarKind::io);
  EXPECT_EQ(pci::bar_kind(0xE0000008), pci::BarKind::memory32);
  EXPECT_EQ(pci::bar_kind(0x0000000C), pci::BarKind::memory64);
  EXPECT_EQ(pci::bar_kind(0x00000002), pci::BarKind::memory32) << "type 01b, below 1 MiB";
  EXPECT_EQ(pci::bar_kind(0x00000006), pci::BarKind::memory32) << "reserved 11b";
}

TEST(PciBar, AWindowIsItsBaseOverItsSizeAndCannotWrap) {
  auto w = pci::window(0xE0000008, 0xFF000000);
  ASSERT_TRUE(w.decodes);
  EXPECT_EQ(w.first, 0xE0000000u);
  EXPECT_EQ(w.last, 0xE0FFFFFFu);
  EXPECT_FALSE(pci::window(0xE0000000, 0).decodes) << "no writable bits: no BAR";
  EXPECT_FALSE(pci::window(0x00F00000, 0xFF000000).decodes) << "base 0: unassigned";
  w = pci::window(~uint64_t{0}, ~uint64_t{0xFFFFF});
  ASSERT_TRUE(w.decodes);
  EXPECT_EQ(w.last, ~uint64_t{0}) << "all ones in a 64-bit BAR ends at 2^64 - 1";
  EXPECT_GT(w.last, w.first);
}

TEST(PciBar, ProtectedMemoryIsTheVmmsAndTheLowMegabyteAndABit) {
  const uint64_t vmm = layout::VMM_ADDR, end = layout::VMM_MEMORY_END;
  auto at = [](uint64_t first, uint64_t size) {
    return pci::over_protected_memory({true, first, first + size - 1});
  };
  EXPECT_TRUE(at(vmm, 0x1000));
  EXPECT_TRUE(at(vmm - 0x1000, 0x2000)) << "reaching into it from below";
  EXPECT_TRUE(at(end - 0x1000, 0x1000));
  EXPECT_FALSE(at(end, 0x1000));
  EXPECT_FALSE(at(vmm - 0x1000, 0x1000));
  EXPECT_TRUE(at(0xB8000, 0x1000)) << "the VGA text page";
  EXPECT_TRUE(at(0x10F000, 0x1000)) << "where real mode's ES:DI reaches";
  EXPECT_FALSE(at(0x110000, 0x1000));
  EXPECT_FALSE(pci::over_protected_memory({false, 0, ~uint64_t{0}}));
}

TEST(PciBar, AllOnesDecodesNowhereProtectedForEverySize) {
  // The guest's own sizing writes must pass: a 32-bit memory BAR of any
  // size, a ROM BAR of any size, a 64-bit BAR's either half.
  for (unsigned bit = 4; bit < 32; ++bit) {
    const uint32_t mask = ~((1u << bit) - 1);
    const auto w = pci::window(0xFFFFFFFF, mask);
    ASSERT_TRUE(w.decodes) << bit;
    EXPECT_GE(w.first, pci::all_ones_window_floor) << bit;
    EXPECT_FALSE(pci::over_protected_memory(w)) << bit;
    if (bit >= 11) {
      EXPECT_FALSE(pci::over_protected_memory(pci::window(pci::rom_address_bits, mask))) << bit;
    }
  }
  for (unsigned bit = 4; bit < 64; ++bit) {
    const uint64_t mask = ~((uint64_t{1} << bit) - 1);
    // Low half all ones over a high half of 1 (a BAR above 4 GiB), high
    // half all ones over any low half.
    EXPECT_FALSE(pci::over_protected_memory(pci::window(uint64_t{1} << 32 | 0xFFFFFFFF, mask)));
    EXPECT_FALSE(pci::over_protected_memory(pci::window(0xFFFFFFFF00400000, mask)));
  }
}

// ---------------------------------------------------------------- the chain guest's devices

constexpr uint16_t kept_power_off = 0xB004;
// A 64 MiB machine's map, for the DMA engines the chain guest's devices keep too.
const layout::E820Entry e820[] = {{0, 0x9F000, 1, 0}, {0x100000, 0x3F00000, 1, 0}};
const guests::bios_chain::DmaInputs dma{e820, 2, layout::VMM_ADDR, layout::VMM_MEMORY_END};
constexpr uint32_t guest_address = 0x80000858;  // as the firmware left CONFIG_ADDRESS

struct ChainPci : testing::Test {
  std::unique_ptr<guests::bios_chain::State> s = std::make_unique<guests::bios_chain::State>();
  std::unique_ptr<PortMap> ports = std::make_unique<PortMap>();
  std::unique_ptr<devices::MmioMap> mmio = std::make_unique<devices::MmioMap>();
  std::unique_ptr<fake_pci::Bus> bus;
  std::vector<uint8_t> bitmap_a = std::vector<uint8_t>(4096), bitmap_b = std::vector<uint8_t>(4096);
  uint16_t power_off = kept_power_off;
  vmx::GuestEnd end{};

  void SetUp() override {
    bus.reset();  // (its destructor takes the fake's hooks away)
    fake_port_io::reset();
    bus = std::make_unique<fake_pci::Bus>();
    bus->bochs_platform();
    bus->config_address = guest_address;
  }
  void TearDown() override {
    bus.reset();
    fake_port_io::reset();
  }
  void attach(uint16_t* kept = nullptr) {
    uint16_t* port = kept != nullptr ? kept : &power_off;
    ASSERT_TRUE(guests::bios_chain::attach_devices(*ports, *mmio, *s, 100,
                                                   {*port, 0xB2, 0xF1, 0xF0, port}, true, dma,
                                                   {}));
    ports->fill_io_bitmaps(bitmap_a.data(), bitmap_b.data());
  }
  // The guest's OUT, as the I/O exit handler carries it out: a port no
  // device keeps is the guest's own, a device decides the others.
  PortVerdict out(uint16_t port, unsigned bytes, uint32_t value) {
    const uint8_t slot = ports->decider(port, bytes);
    PortAccess a{port, static_cast<uint8_t>(bytes), false, value};
    PortVerdict v = PortVerdict::pass;
    if (slot != 0) v = ports->range(slot).device->access(ports->range(slot).device->state, a, end);
    if (v == PortVerdict::pass) devices::port_out(port, bytes, a.value);
    return v;
  }
  PortVerdict config_write(Function f, uint16_t offset, unsigned bytes, uint32_t value) {
    EXPECT_EQ(out(0xCF8, 4, pci::config_address(f, offset)), PortVerdict::pass);
    return out(static_cast<uint16_t>(0xCFC + (offset & 3)), bytes, value);
  }
  uint8_t smram() const { return static_cast<uint8_t>(bus->read(fake_pci::host, 0x70) >> 16); }
  const devices::PciConfig& pci_state() const { return s->pci; }
  const PortMap::Range& range_of(uint16_t port) const { return ports->range(ports->slot_of(port)); }
};

TEST_F(ChainPci, BeforeTheGuestSmramIsLockedAndThePiix4sSmisClosed) {
  bus->pm_io[0x28] = 0x01;  // GLBCTL.SMI_EN as firmware might leave it
  attach();
  EXPECT_EQ(smram(), 0x1A) << "0x0A (the Bochs BIOS's) closed and locked";
  EXPECT_EQ(s->pci_platform.smram_before, 0x0A);
  EXPECT_EQ(s->pci_platform.smram_after, 0x1A);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x58) & pci::piix4_devactb_apmc_en, 0u);
  EXPECT_TRUE(s->pci_platform.apmc_en_cleared);
  EXPECT_EQ(bus->pm_io[0x28], 0);
  EXPECT_TRUE(s->pci_platform.smi_en_cleared);
  EXPECT_EQ(bus->config_address, guest_address) << "CONFIG_ADDRESS as the firmware left it";
  EXPECT_EQ(s->pci.address, guest_address);
  const pci::Platform& p = s->pci.platform;
  EXPECT_EQ(p.smram, 0x72);
  EXPECT_TRUE(p.has_pm);
  EXPECT_EQ(p.pm, fake_pci::pm);
  EXPECT_TRUE(p.pm_power_off);
  EXPECT_EQ(p.pm_home, 0xB000);
  EXPECT_EQ(s->pm_block.base, 0xB000);
  EXPECT_TRUE(p.has_ide);
  EXPECT_EQ(p.ide, fake_pci::ide);
  EXPECT_EQ(s->pci.bus_master_base, 0xC000);
}

// A function with an MSI capability at 0x50 behind a power-management one
// at 0x40 (`wide`: a 64-bit Message Address, Data at 0x5C; else Data at
// 0x58).
void add_msi_function(fake_pci::Bus& bus, Function f, bool wide) {
  fake_pci::FakeFunction& fn = bus.add(f, 0x29228086, 0x00);
  fn.bytes[0x06] = 0x10;  // Status: a capability list
  fn.bytes[0x34] = 0x40;
  fn.bytes[0x40] = 0x01;  // power management, next 0x50
  fn.bytes[0x41] = 0x50;
  fn.bytes[0x50] = 0x05;  // MSI, the last
  fn.bytes[0x52] = wide ? 0x80 : 0x00;
}

TEST_F(ChainPci, AnMsiThatWouldSendAnSmiOrInitOrWriteTheVmmIsRefused) {
  constexpr Function ahci{0, 3, 0}, hda{0, 4, 0};
  add_msi_function(*bus, ahci, true);
  add_msi_function(*bus, hda, false);
  attach();
  EXPECT_EQ(config_write(ahci, 0x54, 4, 0xFEE00000), PortVerdict::done);
  EXPECT_EQ(config_write(ahci, 0x5C, 2, 0x0030), PortVerdict::done);
  EXPECT_EQ(bus->read(ahci, 0x54), 0xFEE00000u) << "an interrupt's address: carried out";
  EXPECT_EQ(bus->read(ahci, 0x5C), 0x0030u) << "fixed delivery: carried out";
  EXPECT_EQ(pci_state().refused, 0u);
  EXPECT_EQ(config_write(ahci, 0x5C, 2, 0x0230), PortVerdict::done);  // SMI
  EXPECT_EQ(config_write(ahci, 0x5C, 4, 0x0530), PortVerdict::done);  // INIT
  EXPECT_EQ(config_write(ahci, 0x5D, 1, 0x02), PortVerdict::done);    // SMI by its byte
  EXPECT_EQ(bus->read(ahci, 0x5C), 0x0030u);
  EXPECT_EQ(config_write(ahci, 0x54, 4, layout::VMM_ADDR + 0x100), PortVerdict::done);
  EXPECT_EQ(bus->read(ahci, 0x54), 0xFEE00000u) << "a DMA into the VMM: refused";
  EXPECT_EQ(config_write(ahci, 0x58, 4, 1), PortVerdict::done);
  EXPECT_EQ(bus->read(ahci, 0x58), 1u) << "0x1FEE00000: no memory the VMM keeps";
  EXPECT_EQ(config_write(ahci, 0x58, 4, 0), PortVerdict::done);
  EXPECT_EQ(pci_state().refused, 4u);
  EXPECT_STREQ(pci_state().log[0].why, "MSI with delivery mode SMI or INIT");
  EXPECT_STREQ(pci_state().log[3].why,
               "MSI address on the VMM's memory or the low memory it uses");
  // 32-bit Message Address: Data at 0x58.
  EXPECT_EQ(config_write(hda, 0x58, 2, 0x0230), PortVerdict::done);
  EXPECT_EQ(bus->read(hda, 0x58), 0u);
  EXPECT_EQ(config_write(hda, 0x54, 4, 0x500), PortVerdict::done);
  EXPECT_EQ(bus->read(hda, 0x54), 0u) << "the BDA";
  EXPECT_EQ(pci_state().refused, 6u);
  // Elsewhere in the device-specific space nothing is judged.
  EXPECT_EQ(config_write(ahci, 0x44, 4, 0x0200), PortVerdict::done);
  EXPECT_EQ(bus->read(ahci, 0x44), 0x0200u);
  EXPECT_EQ(pci_state().refused, 6u);
}

TEST_F(ChainPci, ACapabilityListThatLoopsIsWalkedABoundedWay) {
  constexpr Function looped{0, 3, 0};
  fake_pci::FakeFunction& fn = bus->add(looped, 0x29228086, 0x00);
  fn.bytes[0x06] = 0x10;
  fn.bytes[0x34] = 0x40;
  fn.bytes[0x40] = 0x01;
  fn.bytes[0x41] = 0x40;  // itself
  attach();
  EXPECT_EQ(config_write(looped, 0x48, 4, 0x0200), PortVerdict::done);
  EXPECT_EQ(bus->read(looped, 0x48), 0x0200u) << "no MSI: carried out";
}

TEST_F(ChainPci, SmramWithoutFirmwaresSetUpIsLockedToo) {
  bus->bochs_platform(0x02);  // SeaBIOS in Bochs: G_SMRAME clear
  attach();
  EXPECT_EQ(smram(), 0x12);
  EXPECT_FALSE(pci::smram_set_up(s->pci_platform.smram_before));
}

TEST_F(ChainPci, TheGuestCannotOpenOrChangeSmram) {
  attach();
  // D_OPEN with G_SMRAME: the guest's SMI handler at 0xA8000 would be one write away.
  EXPECT_EQ(config_write(fake_pci::host, 0x72, 1, 0x4A), PortVerdict::done);
  EXPECT_EQ(smram(), 0x1A);
  // G_SMRAME off (which Bochs' lock does not stop), from a word and a dword.
  config_write(fake_pci::host, 0x72, 2, 0x0002);
  EXPECT_EQ(smram(), 0x1A);
  bus->set(fake_pci::host, 0x70, 0x001A0000, 0x0000FFFF);  // 0x70/0x71 the guest's
  config_write(fake_pci::host, 0x70, 4, 0x00421234);
  EXPECT_EQ(bus->read(fake_pci::host, 0x70), 0x001A1234u) << "its other bytes carried out";
  EXPECT_EQ(pci_state().kept, 3u);
  EXPECT_EQ(pci_state().refused, 0u);
  EXPECT_STREQ(pci_state().log[0].why, "SMRAM control (locked by the VMM)");
  EXPECT_EQ(pci_state().log[0].value, 0x4Au);
  EXPECT_EQ(bus->config_address, pci::config_address(fake_pci::host, 0x70));
}

TEST_F(ChainPci, ThePiix4sSmiEnablesStayClear) {
  attach();
  config_write(fake_pci::pm, 0x58, 4, pci::piix4_devactb_apmc_en | 0x1);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x58), 0x1u) << "APMC_EN dropped, the rest written";
  config_write(fake_pci::pm, 0x5B, 1, 0x02);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x58), 0x1u);
  config_write(fake_pci::pm, 0x5A, 2, 0x0300);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x58), 0x01000001u) << "bit 24 is not APMC_EN";
  // GLBCTL's SMI_EN, from a dword, a word reaching it from below, a byte.
  EXPECT_EQ(out(0xB028, 4, 0x00000101), PortVerdict::done);
  EXPECT_EQ(bus->pm_io[0x28], 0);
  EXPECT_EQ(bus->pm_io[0x29], 1);
  EXPECT_EQ(out(0xB027, 2, 0x0100), PortVerdict::done);
  EXPECT_EQ(bus->pm_io[0x28], 0);
  EXPECT_EQ(out(0xB028, 1, 0x03), PortVerdict::done);
  EXPECT_EQ(bus->pm_io[0x28], 0x02);
  EXPECT_EQ(out(0xB029, 1, 0x01), PortVerdict::pass) << "not SMI_EN";
  EXPECT_EQ(s->pm_block.smi_enables_kept, 3u);
}

TEST_F(ChainPci, PmioseStaysSetWhileTheVmmPowersOffThroughTheBlock) {
  attach();
  config_write(fake_pci::pm, 0x80, 1, 0x00);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x80) & 1, 1u);
  // A VMM that powers off elsewhere leaves the guest its PM block.
  uint16_t elsewhere = 0x604;
  SetUp();
  s = std::make_unique<guests::bios_chain::State>();
  attach(&elsewhere);
  EXPECT_FALSE(s->pci.platform.pm_power_off);
  config_write(fake_pci::pm, 0x80, 1, 0x00);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x80) & 1, 0u);
}

// A device with a 128 KiB memory BAR at 0x40400000 (1 GiB + 4 MiB).
constexpr Function nic{0, 3, 0};
void add_nic(fake_pci::Bus& bus) {
  bus.add(nic, 0x100E8086, 0x00);
  bus.set(nic, 0x10, 0x40400000, 0xFFFE0000);
}

TEST_F(ChainPci, AMemoryBarOverTheVmmOrLowMemoryIsRefused) {
  add_nic(*bus);
  attach();
  EXPECT_EQ(config_write(nic, 0x10, 4, layout::VMM_ADDR), PortVerdict::done);
  EXPECT_EQ(bus->read(nic, 0x10), 0x40400000u) << "dropped";
  // A byte at the BAR's top: 0x40400000 -> 0x00400000.
  config_write(nic, 0x13, 1, 0x00);
  EXPECT_EQ(bus->read(nic, 0x10), 0x40400000u);
  config_write(nic, 0x10, 4, 0x000A0000);
  EXPECT_EQ(bus->read(nic, 0x10), 0x40400000u) << "low memory";
  config_write(nic, 0x10, 4, 0x00600000);
  EXPECT_EQ(bus->read(nic, 0x10), 0x40400000u) << "0x600000-0x61FFFF reaches the VMM's end";
  EXPECT_EQ(pci_state().refused, 4u);
  EXPECT_TRUE(pci_state().log[0].refused);
  EXPECT_STREQ(pci_state().log[0].why, "memory BAR over the VMM's memory or the low memory it uses");
  EXPECT_EQ(pci_state().log[1].offset, 0x13);
  EXPECT_EQ(pci_state().log[1].bytes, 1);
  // Past the VMM, unassigned, and the guest's own sizing: carried out.
  config_write(nic, 0x10, 4, 0x00620000);
  EXPECT_EQ(bus->read(nic, 0x10), 0x00620000u);
  config_write(nic, 0x10, 4, 0xFFFFFFFF);
  EXPECT_EQ(bus->read(nic, 0x10), 0xFFFE0000u) << "the guest reads its size";
  config_write(nic, 0x10, 4, 0);
  EXPECT_EQ(bus->read(nic, 0x10), 0u);
  EXPECT_EQ(pci_state().refused, 4u);
  EXPECT_EQ(bus->config_address, pci::config_address(nic, 0x10)) << "the guest's, after the sizing";
}

TEST_F(ChainPci, A64BitBarIsTakenWhole) {
  constexpr Function wide{0, 4, 0};
  bus->add(wide, 0x10008086, 0x00);
  bus->set(wide, 0x10, 0x0040000C, 0xFFF00000);  // 1 MiB, 64-bit, at 4 GiB + 4 MiB
  bus->set(wide, 0x14, 0x00000001, 0xFFFFFFFF);
  bus->set(wide, 0x18, 0x00000000, 0xFFFF0000);  // a 32-bit BAR after the pair
  attach();
  config_write(wide, 0x14, 4, 0);  // the high half: now at 4 MiB
  EXPECT_EQ(bus->read(wide, 0x14), 1u);
  config_write(wide, 0x14, 2, 0);
  EXPECT_EQ(bus->read(wide, 0x14), 1u);
  EXPECT_EQ(pci_state().refused, 2u);
  // Its sizing, half by half, and a move above 4 GiB.
  config_write(wide, 0x10, 4, 0xFFFFFFFF);
  config_write(wide, 0x14, 4, 0xFFFFFFFF);
  EXPECT_EQ(bus->read(wide, 0x10), 0xFFF0000Cu);
  config_write(wide, 0x10, 4, 0x0060000C);
  config_write(wide, 0x14, 4, 0x00000002);
  EXPECT_EQ(bus->read(wide, 0x14), 2u);
  EXPECT_EQ(pci_state().refused, 2u);
  // Past the pair, 0x18 is a BAR of its own (64 KiB).
  config_write(wide, 0x18, 4, layout::VMM_ADDR);
  EXPECT_EQ(bus->read(wide, 0x18), 0u);
  EXPECT_EQ(pci_state().refused, 3u);
}

TEST_F(ChainPci, TheVmmSizesA64BitBarHighHalfFirst) {
  constexpr Function wide{0, 4, 0};
  bus->add(wide, 0x10008086, 0x00);
  bus->set(wide, 0x10, 0x0040000C, 0xFFF00000);
  bus->set(wide, 0x14, 0x00000001, 0xFFFFFFFF);
  attach();
  fake_port_io::outs.clear();
  config_write(wide, 0x10, 4, 0x0050000C);
  // The VMM's writes of all ones: 0x14's first, so that the BAR never lies
  // at (0x0:)0xFFF00000 with its high half 0... nor anywhere below 2^63.
  std::vector<uint32_t> all_ones_at;
  uint32_t address = 0;
  for (const auto& o : fake_port_io::outs) {
    if (o.port == 0xCF8) address = o.value;
    if (o.port == 0xCFC && o.value == 0xFFFFFFFF) all_ones_at.push_back(address & 0xFC);
  }
  ASSERT_EQ(all_ones_at, (std::vector<uint32_t>{0x14, 0x10}));
  EXPECT_EQ(bus->read(wide, 0x10), 0x0050000Cu);
  EXPECT_EQ(bus->read(wide, 0x14), 1u) << "put back";
}

TEST_F(ChainPci, AnExpansionRomBarOverTheVmmIsRefusedEnabledOrNot) {
  constexpr Function bridge{0, 5, 0};
  bus->add(bridge, 0x24488086, 0x01);  // a PCI-to-PCI bridge: its ROM at 0x38
  bus->set(bridge, 0x38, 0x00000000, 0xFFFFC001);
  bus->set(bridge, 0x30, 0x00000000, 0xFFFFFFFF);  // I/O base/limit upper 16 bits
  attach();
  EXPECT_EQ(config_write(fake_pci::vga, 0x30, 4, layout::VMM_ADDR | pci::rom_enable), PortVerdict::done);
  EXPECT_EQ(bus->read(fake_pci::vga, 0x30), 0x000C0000u);
  config_write(fake_pci::vga, 0x30, 4, layout::VMM_ADDR);
  EXPECT_EQ(bus->read(fake_pci::vga, 0x30), 0x000C0000u) << "Bochs decodes a disabled ROM BAR too";
  config_write(fake_pci::vga, 0x32, 2, 0x0040);
  EXPECT_EQ(bus->read(fake_pci::vga, 0x30), 0x000C0000u);
  config_write(bridge, 0x38, 4, 0x00404001);
  EXPECT_EQ(bus->read(bridge, 0x38), 0u);
  EXPECT_EQ(pci_state().refused, 4u);
  EXPECT_STREQ(pci_state().log[0].why,
               "expansion ROM BAR over the VMM's memory or the low memory it uses");
  config_write(bridge, 0x30, 4, layout::VMM_ADDR);
  EXPECT_EQ(bus->read(bridge, 0x30), layout::VMM_ADDR) << "0x30 of a bridge is no ROM BAR";
  config_write(fake_pci::vga, 0x30, 4, pci::rom_address_bits);
  EXPECT_EQ(bus->read(fake_pci::vga, 0x30), 0xFFFF0000u) << "sizing";
  config_write(fake_pci::vga, 0x30, 4, 0xFEBF0001);
  EXPECT_EQ(bus->read(fake_pci::vga, 0x30), 0xFEBF0001u);
  EXPECT_EQ(pci_state().refused, 4u);
}

TEST_F(ChainPci, AnIoBarOverAPortTheVmmKeepsIsRefused) {
  constexpr Function uhci{0, 6, 0};
  bus->add(uhci, 0x70208086, 0x00);
  bus->set(uhci, 0x20, 0xD001, 0xFFFFFFE0);  // 32 ports, 32-bit decode
  attach();
  for (uint32_t over : {0x3E1u, 0xCE1u, 0xB001u, 0x103E1u}) {  // COM1, 0xCF8-0xCFF, PM1a_CNT; COM1 in 16 bits
    config_write(uhci, 0x20, 4, over);
    EXPECT_EQ(bus->read(uhci, 0x20), 0xD001u) << std::hex << over;
  }
  EXPECT_EQ(pci_state().refused, 4u);
  config_write(uhci, 0x20, 4, 0xE001);
  EXPECT_EQ(bus->read(uhci, 0x20), 0xE001u);
}

TEST_F(ChainPci, ThePmBlockMovesWithItsTrapsAndTheVmmsPowerOff) {
  attach();
  ASSERT_TRUE(devices::io_bitmap_traps(bitmap_a.data(), bitmap_b.data(), 0xB004));
  EXPECT_EQ(config_write(fake_pci::pm, 0x40, 4, 0xB041), PortVerdict::done);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x40), 0xB041u);
  EXPECT_EQ(s->pm_block.base, 0xB040);
  EXPECT_EQ(power_off, 0xB044) << "the VMM's own power-off follows";
  EXPECT_EQ(s->pm1.pm1a_cnt, 0xB044);
  EXPECT_EQ(s->apm.pm1a_cnt, 0xB044) << "the ACPI enable handshake's SCI_EN too";
  EXPECT_EQ(range_of(0xB044).device, &s->pm1_device);
  EXPECT_EQ(range_of(0xB068).device, &s->glbctl_device);
  EXPECT_EQ(ports->slot_of(0xB004), 0);
  EXPECT_FALSE(devices::io_bitmap_traps(bitmap_a.data(), bitmap_b.data(), 0xB004));
  EXPECT_TRUE(devices::io_bitmap_traps(bitmap_a.data(), bitmap_b.data(), 0xB045));
  EXPECT_TRUE(devices::io_bitmap_traps(bitmap_a.data(), bitmap_b.data(), 0xB068));
  EXPECT_EQ(pci_state().moves, 1u);
  // The guest's power-off at the new port is seen.
  EXPECT_EQ(out(0xB044, 2, 0x2000), PortVerdict::end);
  EXPECT_STREQ(end.how, vmx::guest_end::poweroff);
  // A byte moves it too: 0xB041 -> 0xC041.
  config_write(fake_pci::pm, 0x41, 1, 0xC0);
  EXPECT_EQ(s->pm_block.base, 0xC040);
  EXPECT_EQ(power_off, 0xC044);
  EXPECT_EQ(range_of(0xC044).device, &s->pm1_device);
}

TEST_F(ChainPci, APmBlockOverWhatTheVmmKeepsIsRefused) {
  attach();
  // COM1, 0xCF8-0xCFF, the PC's fixed ports, 0 (none), 0xFFC0 (Bochs would
  // not move it), past 0xFFFF, the emulator's panic ports.
  for (uint32_t pmba : {0x3C1u, 0xCC1u, 0x41u, 0x1u, 0xFFC1u, 0x1B041u, 0x401u}) {
    config_write(fake_pci::pm, 0x40, 4, pmba);
    EXPECT_EQ(bus->read(fake_pci::pm, 0x40), 0xB001u) << std::hex << pmba;
  }
  EXPECT_EQ(pci_state().refused, 7u);
  EXPECT_EQ(s->pm_block.base, 0xB000);
  EXPECT_EQ(power_off, kept_power_off);
  EXPECT_EQ(range_of(0xB004).device, &s->pm1_device);
  config_write(fake_pci::pm, 0x40, 1, 0x01);  // the same block: nothing moves
  EXPECT_EQ(pci_state().moves, 0u);
}

TEST_F(ChainPci, ThePmBlocksHomeStaysFreeForTheVmmsLastPowerOff) {
  constexpr Function uhci{0, 6, 0};
  bus->add(uhci, 0x70208086, 0x00);
  bus->set(uhci, 0x20, 0xD001, 0xFFFFFFE0);
  attach();
  config_write(fake_pci::pm, 0x40, 4, 0x4001);
  ASSERT_EQ(s->pm_block.base, 0x4000);
  // Its old ports are the guest's again, but no device may take them: the
  // VMM puts the block back there if a power-off at 0x4004 does nothing.
  EXPECT_EQ(ports->slot_of(0xB004), 0);
  config_write(uhci, 0x20, 4, 0xB001);
  EXPECT_EQ(bus->read(uhci, 0x20), 0xD001u);
  config_write(fake_pci::ide, 0x20, 4, 0xB031);
  EXPECT_EQ(bus->read(fake_pci::ide, 0x20), 0xC001u);
  // Nor the PIIX4's own SMBus block (16 ports at config 0x90).
  bus->set(fake_pci::pm, 0x90, 0xB101, 0xFFF0);
  config_write(fake_pci::pm, 0x90, 4, 0xB011);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x90), 0xB101u);
  config_write(fake_pci::pm, 0x90, 4, 0x3F1);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x90), 0xB101u) << "over COM1";
  EXPECT_EQ(pci_state().refused, 4u);
  config_write(fake_pci::pm, 0x90, 4, 0xB201);
  EXPECT_EQ(bus->read(fake_pci::pm, 0x90), 0xB201u);
  // The block itself may go home.
  config_write(fake_pci::pm, 0x40, 4, 0xB001);
  EXPECT_EQ(s->pm_block.base, 0xB000);
  EXPECT_EQ(power_off, kept_power_off);
}

TEST_F(ChainPci, APmBlockMovesWithoutThePowerOffWhereThatIsElsewhere) {
  uint16_t elsewhere = 0x604;
  attach(&elsewhere);
  config_write(fake_pci::pm, 0x40, 4, 0xB041);
  EXPECT_EQ(s->pm_block.base, 0xB040);
  EXPECT_EQ(range_of(0xB068).device, &s->glbctl_device);
  EXPECT_EQ(elsewhere, 0x604);
  EXPECT_EQ(range_of(0x604).device, &s->pm1_device);
}

struct HookCalls {
  std::vector<std::pair<uint16_t, uint16_t>> moves;
  bool accept = true;
};

bool record_move(void* state, PortMap&, uint16_t old_base, uint16_t new_base) {
  auto& calls = *static_cast<HookCalls*>(state);
  calls.moves.push_back({old_base, new_base});
  return calls.accept;
}

TEST_F(ChainPci, ABusMasterMoveCallsTheHookFirst) {
  attach();
  HookCalls calls;
  s->pci.bus_master = {&calls, record_move, nullptr};
  config_write(fake_pci::ide, 0x20, 4, 0xD001);
  EXPECT_EQ(bus->read(fake_pci::ide, 0x20), 0xD001u);
  ASSERT_EQ(calls.moves.size(), 1u);
  EXPECT_EQ(calls.moves[0], (std::pair<uint16_t, uint16_t>{0xC000, 0xD000}));
  EXPECT_EQ(s->pci.bus_master_base, 0xD000);
  // The guest's sizing moves nothing; a refusal drops the write.
  config_write(fake_pci::ide, 0x20, 4, 0xFFFFFFFF);
  EXPECT_EQ(calls.moves.size(), 1u);
  config_write(fake_pci::ide, 0x20, 4, 0xD001);
  calls.accept = false;
  config_write(fake_pci::ide, 0x20, 4, 0xE001);
  EXPECT_EQ(bus->read(fake_pci::ide, 0x20), 0xD001u);
  EXPECT_EQ(s->pci.bus_master_base, 0xD000);
  EXPECT_STREQ(pci_state().log[0].why, "the block's device refused the move");
  // Over COM1: refused before the hook is asked.
  calls.accept = true;
  const size_t asked = calls.moves.size();
  config_write(fake_pci::ide, 0x20, 4, 0x3F1);
  EXPECT_EQ(calls.moves.size(), asked);
  EXPECT_EQ(bus->read(fake_pci::ide, 0x20), 0xD001u);
}

TEST_F(ChainPci, TheBusMasterDevicesPortsMoveWithBar4) {
  attach();
  ASSERT_EQ(range_of(0xC000).device, &s->bus_master_device);
  config_write(fake_pci::ide, 0x20, 4, 0xD001);
  EXPECT_EQ(bus->read(fake_pci::ide, 0x20), 0xD001u);
  EXPECT_EQ(s->pci.bus_master_base, 0xD000);
  EXPECT_EQ(s->bus_master.base, 0xD000);
  EXPECT_EQ(range_of(0xD00F).device, &s->bus_master_device);
  EXPECT_EQ(ports->slot_of(0xC000), 0);
  EXPECT_TRUE(devices::io_bitmap_traps(bitmap_a.data(), bitmap_b.data(), 0xD000));
  EXPECT_FALSE(devices::io_bitmap_traps(bitmap_a.data(), bitmap_b.data(), 0xC000));
  // Unassigned (0): the device is told; its old ports stay kept.
  config_write(fake_pci::ide, 0x20, 4, 0x0001);
  EXPECT_EQ(s->bus_master.base, 0);
  EXPECT_EQ(range_of(0xD000).device, &s->bus_master_device);
  // Onto the PM block's home or GLBCTL: refused.
  config_write(fake_pci::ide, 0x20, 4, 0xB021);
  EXPECT_EQ(bus->read(fake_pci::ide, 0x20), 0x0001u);
}

TEST_F(ChainPci, ABusMasterBlockTheFirmwareLeftUnassignedIsClaimedWhereTheGuestPutsIt) {
  bus->set(fake_pci::ide, 0x20, 0x0001, 0xFFF0);
  attach();
  EXPECT_EQ(s->bus_master.base, 0);
  config_write(fake_pci::ide, 0x20, 4, 0xE001);
  EXPECT_EQ(range_of(0xE000).device, &s->bus_master_device);
  EXPECT_TRUE(devices::io_bitmap_traps(bitmap_a.data(), bitmap_b.data(), 0xE000))
      << "claimed after the bitmaps were filled: trapped all the same";
}

TEST_F(ChainPci, ConfigAddressIsKeptAndPassedAndTheResetPortStaysWatched) {
  attach();
  const uint8_t slot = ports->slot_of(0xCF8);
  EXPECT_EQ(ports->slot_of(0xCF9), slot);
  EXPECT_EQ(ports->slot_of(0xCFB), slot);
  EXPECT_TRUE(ports->passes(slot, true, 4)) << "reads unseen";
  EXPECT_TRUE(ports->passes(ports->slot_of(0xCFC), true, 1));
  EXPECT_FALSE(ports->passes(ports->slot_of(0xCFC), false, 1));
  EXPECT_EQ(out(0xCF8, 4, 0x80001000), PortVerdict::pass);
  EXPECT_EQ(s->pci.address, 0x80001000u);
  EXPECT_EQ(out(0xCF9, 1, 0x02), PortVerdict::pass);
  EXPECT_EQ(out(0xCF8, 2, 0x0600), PortVerdict::pass) << "a word at 0xCF8 is no reset";
  EXPECT_EQ(s->pci.address, 0x80001000u) << "nor CONFIG_ADDRESS";
  EXPECT_EQ(out(0xCF9, 1, 0x06), PortVerdict::end);
  EXPECT_STREQ(end.how, vmx::guest_end::reset);
  EXPECT_EQ(end.detail, 0xCF9u);
}

TEST_F(ChainPci, NoConfigurationWriteWithoutBit31AndNoneAcrossTheDataPort) {
  add_nic(*bus);
  attach();
  out(0xCF8, 4, pci::config_address(nic, 0x10) & ~pci::config_enable);
  EXPECT_EQ(out(0xCFC, 4, layout::VMM_ADDR), PortVerdict::pass) << "plain I/O";
  EXPECT_EQ(pci_state().writes, 0u);
  out(0xCF8, 4, pci::config_address(nic, 0x0C));
  EXPECT_EQ(out(0xCFD, 4, 0x00004000), PortVerdict::deny) << "a dword at 0xCFD would reach 0x10";
  EXPECT_EQ(bus->read(nic, 0x10), 0x40400000u);
}

TEST_F(ChainPci, EveryDecisionIsBoundedWork) {
  constexpr Function wide{0, 4, 0};
  bus->add(wide, 0x10008086, 0x00);
  for (uint16_t bar = 0x10; bar < 0x28; bar += 8) {
    bus->set(wide, bar, 0x0040000C, 0xFFF00000);
    bus->set(wide, bar + 4, 0x00000001, 0xFFFFFFFF);
  }
  attach();
  // The costliest writes: the last BAR of a header of 64-bit pairs, a PM
  // block move, a ROM BAR. At most the guest's own CONFIG_ADDRESS, the
  // dword written, the header, six BAR dwords, the pair's other half, a
  // sizing of two halves (two reads, two writes, two reads, two restores)
  // and the guest's CONFIG_ADDRESS put back: 20, whatever the values.
  for (auto [f, offset] : {std::pair{wide, uint16_t{0x24}}, {fake_pci::pm, uint16_t{0x40}},
                           {fake_pci::vga, uint16_t{0x30}}}) {
    fake_port_io::outs.clear();
    config_write(f, offset, 4, 0x0000D041);
    unsigned vmm_config_accesses = 0;
    for (const auto& o : fake_port_io::outs) vmm_config_accesses += o.port == 0xCF8;
    EXPECT_LE(vmm_config_accesses, 20u) << f.device;
  }
}

TEST(PciEcam, AStoreIsDecidedAsAPortWriteIs) {
  fake_port_io::reset();
  fake_pci::Bus bus;
  bus.bochs_platform();
  auto ports = std::make_unique<PortMap>();
  ports->reset(PortMap::Unclaimed::guests);
  pci::Platform p{};
  p.smram = 0x72;
  const acpi::McfgWindow window{0xB0000000, 0, 0, 255};
  auto at = [&](Function f, uint16_t offset) { return pci::ecam_address(window, f, offset); };
  const pci::Movers none{};
  auto t = pci::ecam_target(window, at(fake_pci::vga, 0x30), 4);
  auto d = pci::decide_write(p, bus.ecam(), *ports, none, t, layout::VMM_ADDR | 1);
  EXPECT_TRUE(d.refused);
  EXPECT_EQ(bus.read(fake_pci::vga, 0x30), 0x000C0000u) << "the sizing put it back";
  t = pci::ecam_target(window, at(fake_pci::host, 0x72), 1);
  d = pci::decide_write(p, bus.ecam(), *ports, none, t, 0x4A);
  EXPECT_FALSE(d.refused);
  EXPECT_EQ(d.value, 0x0Au) << "SMRAM control as it is";
  t = pci::ecam_target(window, at(fake_pci::vga, 0x130), 4);
  d = pci::decide_write(p, bus.ecam(), *ports, none, t, layout::VMM_ADDR);
  EXPECT_FALSE(d.refused) << "the extended space holds no BAR";
  EXPECT_EQ(d.value, layout::VMM_ADDR);
  t = pci::ecam_target(window, at(fake_pci::vga, 0x10), 4);
  d = pci::decide_write(p, bus.ecam(), *ports, none, t, 0xE1000008);
  EXPECT_FALSE(d.refused);
  EXPECT_EQ(d.follow, pci::Follow::none);
  fake_port_io::reset();
}

}  // namespace
