// The bus-master IDE controller as the VMM mediates it (vmm/devices/bus_master.h):
// the guest's PRD table copied and checked when it sets the start bit, the
// controller pointed at the copy or left stopped with an error status, the
// guest's own registers read back, the block found through PCI
// configuration space and moved with its BAR; over a faked bus and a faked
// guest memory.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "devices/bus_master.h"
#include "dma_test_memory.h"
#include "fake_guest_physical.h"
#include "fake_port_io.h"

namespace {

using devices::PortAccess;
using devices::PortMap;
using devices::PortVerdict;
using devices::PrdEntry;
using fake_port_io::Out;

constexpr uint16_t base = 0xC000;
constexpr uint16_t command = base, status = base + 2, prd = base + 4;
constexpr uint16_t eot = devices::prd_end_of_table;

struct BusMasterTest : testing::Test {
  std::unique_ptr<devices::DmaRam> ram = dma_test::bochs_ram();
  std::unique_ptr<devices::BusMaster> state = std::make_unique<devices::BusMaster>();
  devices::PortDevice device{};
  vmx::GuestEnd end{};
  void SetUp() override {
    fake_port_io::reset();
    fake_guest_physical::reset();
    fake_port_io::inputs[command] = 0x00;
    fake_port_io::inputs[prd] = 0x0009F001;  // the firmware's last table
    fake_port_io::inputs[status] = 0x20;     // drive 0 DMA capable
    fake_port_io::inputs[base + 8] = 0x00;   // the secondary channel's command
    device = make(base);
  }
  devices::PortDevice make(uint16_t at) {
    return devices::bus_master_device(*state, 0x09, at, *ram, dma_test::vmm_first,
                                      dma_test::vmm_end);
  }
  PortVerdict access(uint16_t port, unsigned bytes, bool in, uint32_t value,
                     uint32_t* read = nullptr) {
    PortAccess a{port, static_cast<uint8_t>(bytes), in, value};
    const PortVerdict v = device.access(device.state, a, end);
    if (read != nullptr) *read = a.value;
    return v;
  }
  uint32_t in(uint16_t port, unsigned bytes = 1) {
    uint32_t value = 0;
    EXPECT_EQ(access(port, bytes, true, 0, &value), PortVerdict::done) << port;
    return value;
  }
  void guest_table(uint32_t at, const std::vector<PrdEntry>& entries) {
    for (size_t i = 0; i < entries.size(); ++i) fake_guest_physical::write(at + 8 * i, entries[i]);
  }
  uint32_t copy_address(unsigned channel = 0) {
    return static_cast<uint32_t>(fake_guest_physical::vmm_address_of(state->tables[channel]));
  }
};

TEST_F(BusMasterTest, TheGuestReadsBackTheFirmwaresRegistersAndItsOwn) {
  EXPECT_EQ(in(prd, 4), 0x0009F000u) << "bits 1:0 read 0";
  EXPECT_EQ(in(command), 0x00u);
  EXPECT_TRUE(fake_port_io::outs.empty()) << "an engine the firmware left stopped is left alone";
  EXPECT_EQ(access(prd, 4, false, 0x7E03), PortVerdict::done);
  EXPECT_EQ(in(prd, 4), 0x7E00u);
  EXPECT_EQ(access(prd + 2, 2, false, 0x1234), PortVerdict::done) << "the high word alone";
  EXPECT_EQ(in(prd, 4), 0x12347E00u);
  EXPECT_EQ(in(prd + 1, 1), 0x7Eu);
  EXPECT_EQ(in(prd + 2, 2), 0x1234u);
  EXPECT_TRUE(fake_port_io::outs.empty()) << "the controller never gets the guest's address";
}

TEST_F(BusMasterTest, AnEngineTheFirmwareLeftStartedIsStopped) {
  fake_port_io::inputs[base + 8] = 0x09;
  device = make(base);
  EXPECT_EQ(fake_port_io::outs, (std::vector<Out>{{base + 8, 1, 0x08}}));
  EXPECT_EQ(in(base + 8), 0x09u) << "the guest reads what the firmware wrote";
  fake_port_io::outs.clear();
  EXPECT_EQ(access(base + 8, 1, false, 0x09), PortVerdict::done);
  EXPECT_EQ(fake_port_io::outs, (std::vector<Out>{{base + 8, 1, 0x08}}))
      << "set again: no rise, nothing starts from the firmware's table";
  EXPECT_EQ(state->channel[1].started, 0u);
}

TEST_F(BusMasterTest, AStartCopiesTheTableAndStartsTheControllerFromTheCopy) {
  guest_table(0x7E00, {{0x8000, 512, eot}});
  access(prd, 4, false, 0x7E00);
  EXPECT_EQ(access(command, 1, false, 0x09), PortVerdict::done);
  EXPECT_EQ(fake_port_io::outs, (std::vector<Out>{{prd, 4, copy_address()}, {command, 1, 0x09}}));
  EXPECT_EQ(state->channel[0].started, 1u);
  EXPECT_EQ(state->tables[0][0].address, 0x8000u);
  EXPECT_EQ(in(command), 0x09u);
  EXPECT_EQ(in(prd, 4), 0x7E00u) << "its own table's address, not the copy's";
  // The guest rewrites its table while the transfer runs: the controller
  // reads the copy.
  guest_table(0x7E00, {{layout::VMM_ADDR, 512, eot}});
  EXPECT_EQ(state->tables[0][0].address, 0x8000u);
  // Start set again while running: no copy, the engine keeps running.
  const size_t reads = fake_guest_physical::reads.size();
  fake_port_io::outs.clear();
  access(command, 1, false, 0x09);
  EXPECT_EQ(fake_guest_physical::reads.size(), reads);
  EXPECT_EQ(fake_port_io::outs, (std::vector<Out>{{command, 1, 0x09}}));
  // Stopped, started again: the table as it is now, refused.
  fake_port_io::outs.clear();
  access(command, 1, false, 0x08);
  access(command, 1, false, 0x09);
  EXPECT_EQ(fake_port_io::outs, (std::vector<Out>{{command, 1, 0x08}, {command, 1, 0x08}}));
  EXPECT_EQ(state->channel[0].refused, 1u);
}

TEST_F(BusMasterTest, ARefusedTableLeavesTheEngineStoppedWithAnErrorTheGuestReads) {
  guest_table(0x7E00, {{layout::VMM_ADDR, 512, eot}});
  access(prd, 4, false, 0x7E00);
  EXPECT_EQ(access(command, 1, false, 0x09), PortVerdict::done);
  EXPECT_EQ(fake_port_io::outs, (std::vector<Out>{{command, 1, 0x08}}))
      << "direction kept, start clear, no table given";
  const devices::BusMasterChannel& c = state->channel[0];
  EXPECT_EQ(c.refused, 1u);
  EXPECT_EQ(c.last_refusal.problem, devices::PrdProblem::region_in_vmm);
  EXPECT_EQ(c.last_refusal.address, layout::VMM_ADDR);
  // Error and interrupt, not active, with the controller's own bits.
  EXPECT_EQ(in(status), 0x26u);
  EXPECT_EQ(in(command), 0x09u) << "the guest reads the command it wrote";
  // Set again: still no rise, nothing starts.
  fake_port_io::outs.clear();
  access(command, 1, false, 0x09);
  EXPECT_EQ(fake_port_io::outs, (std::vector<Out>{{command, 1, 0x08}}));
  // The guest clears the interrupt bit, then the error bit (write one to clear).
  EXPECT_EQ(access(status, 1, false, 0x24), PortVerdict::pass) << "to the controller too";
  EXPECT_EQ(in(status), 0x22u);
  EXPECT_EQ(access(status, 1, false, 0x22), PortVerdict::pass);
  EXPECT_EQ(in(status), 0x20u);
}

TEST_F(BusMasterTest, TheSecondaryChannelIsItsOwn) {
  guest_table(0x7E00, {{0x8000, 512, eot}});
  guest_table(0x7F00, {{layout::VMM_ADDR, 512, eot}});
  access(prd, 4, false, 0x7E00);
  access(base + 12, 4, false, 0x7F00);
  access(base + 8, 1, false, 0x01);
  access(command, 1, false, 0x01);
  EXPECT_EQ(state->channel[1].refused, 1u);
  EXPECT_EQ(state->channel[0].started, 1u);
  EXPECT_EQ(fake_port_io::outs,
            (std::vector<Out>{{base + 8, 1, 0x00}, {prd, 4, copy_address()}, {command, 1, 0x01}}));
}

TEST_F(BusMasterTest, AccessesThatSpanTwoRegistersAreDenied) {
  EXPECT_EQ(access(command, 2, false, 0x0909), PortVerdict::deny) << "command and the byte after";
  EXPECT_EQ(access(command, 4, false, 0x01), PortVerdict::deny);
  EXPECT_EQ(access(command, 4, true, 0), PortVerdict::deny);
  EXPECT_EQ(access(status, 2, false, 0), PortVerdict::deny);
  EXPECT_EQ(access(base + 3, 2, false, 0), PortVerdict::deny) << "into the PRD address";
  EXPECT_EQ(access(base + 6, 4, false, 0), PortVerdict::deny) << "into the secondary channel";
  EXPECT_EQ(access(base + 14, 4, false, 0), PortVerdict::deny) << "past the block";
  EXPECT_EQ(access(base - 1, 2, false, 0x0100), PortVerdict::deny) << "from the port below";
  EXPECT_EQ(access(base + 1, 1, false, 0), PortVerdict::pass) << "a reserved byte";
  EXPECT_TRUE(fake_port_io::outs.empty());
  EXPECT_EQ(state->channel[0].started, 0u);
}

TEST_F(BusMasterTest, TheBlockIsClaimedAndMovesWithItsBar) {
  auto ports = std::make_unique<PortMap>();
  ports->reset(PortMap::Unclaimed::guests);
  const devices::PortDevice other{"other", nullptr, nullptr, devices::passes::none};
  ASSERT_TRUE(ports->claim(0x3F8, 8, other, "", ""));
  ASSERT_TRUE(devices::claim_bus_master(*ports, *state, device));
  const uint8_t slot = ports->slot_of(base);
  EXPECT_EQ(ports->range(slot).device, &device);
  EXPECT_EQ(ports->slot_of(base + 15), slot);
  EXPECT_FALSE(devices::move_bus_master_block(*ports, *state, device, 0x3F0)) << "onto COM1";
  EXPECT_EQ(state->base, base) << "nothing moved";
  ASSERT_TRUE(devices::move_bus_master_block(*ports, *state, device, 0xD00F)) << "bits 3:0 ignored";
  EXPECT_EQ(ports->slot_of(base), 0);
  EXPECT_EQ(ports->slot_of(0xD000), slot);
  guest_table(0x7E00, {{0x8000, 512, eot}});
  access(0xD004, 4, false, 0x7E00);
  access(0xD000, 1, false, 0x01);
  EXPECT_EQ(fake_port_io::outs.back(), (Out{0xD000, 1, 0x01})) << "at the new place";
  // Unassigned: the old ports stay kept, every access denied there.
  ASSERT_TRUE(devices::move_bus_master_block(*ports, *state, device, 0));
  EXPECT_EQ(ports->slot_of(0xD000), slot);
  EXPECT_EQ(access(0xD000, 1, false, 0x00), PortVerdict::deny);
  ASSERT_TRUE(devices::move_bus_master_block(*ports, *state, device, 0xE000));
  EXPECT_EQ(ports->slot_of(0xE000), slot);
}

TEST_F(BusMasterTest, ABlockUnassignedAtFirstIsClaimedWhenTheGuestAssignsIt) {
  fake_port_io::outs.clear();
  device = make(0);
  EXPECT_TRUE(fake_port_io::outs.empty()) << "no block: no port touched";
  auto ports = std::make_unique<PortMap>();
  ports->reset(PortMap::Unclaimed::guests);
  ASSERT_TRUE(devices::claim_bus_master(*ports, *state, device));
  EXPECT_EQ(ports->ranges(), 0u);
  EXPECT_EQ(access(base, 1, false, 0x01), PortVerdict::deny);
  ASSERT_TRUE(devices::move_bus_master_block(*ports, *state, device, 0xC040));
  EXPECT_EQ(ports->range(ports->slot_of(0xC04F)).device, &device);
  EXPECT_EQ(in(0xC040), 0x00u);
}

// PCI configuration space behind 0xCF8/0xCFC: dwords by function and
// offset, the address register as the last write to 0xCF8 left it.
struct FakePci {
  std::map<std::pair<uint32_t, uint8_t>, uint32_t> config;
  void install() {
    fake_port_io::device.in = [this](uint16_t port, unsigned, uint32_t& value) {
      uint32_t address = 0x12345678;  // what the firmware left in 0xCF8
      for (const Out& o : fake_port_io::outs) {
        if (o.port == 0xCF8) address = o.value;
      }
      if (port == 0xCF8) {
        value = address;
        return true;
      }
      if (port != 0xCFC) return false;
      const auto it = config.find({address >> 8 & 0xFFFF, static_cast<uint8_t>(address & 0xFC)});
      value = it != config.end() ? it->second : 0xFFFFFFFFu;
      return true;
    };
  }
  void function(uint32_t f, uint32_t id, uint32_t class_reg, uint32_t header, uint32_t bar4) {
    config[{f, 0x00}] = id;
    config[{f, 0x08}] = class_reg;
    config[{f, 0x0C}] = header << 16;
    config[{f, 0x20}] = bar4;
  }
};

TEST(BusMasterFind, ThePiixIdeFunctionThroughConfigurationSpace) {
  fake_port_io::reset();
  FakePci pci;
  pci.function(0x00, 0x12378086, 0x06000002, 0x00, 0);           // host bridge
  pci.function(0x08, 0x70008086, 0x06010000, 0x80, 0);           // ISA bridge, multi-function
  pci.function(0x09, 0x70108086, 0x01018000, 0x00, 0x0000C001);  // IDE, bus master
  pci.install();
  uint32_t function = 0;
  uint16_t block = 0;
  ASSERT_TRUE(devices::find_bus_master_ide(function, block));
  EXPECT_EQ(function, 0x09u) << "0:1.1";
  EXPECT_EQ(block, 0xC000);
  EXPECT_EQ(fake_port_io::outs.back(), (Out{0xCF8, 4, 0x12345678})) << "the address put back";
}

TEST(BusMasterFind, AnIdeFunctionThatCannotMasterTheBusOrHidesBehindASingleFunction) {
  fake_port_io::reset();
  FakePci pci;
  pci.function(0x08, 0x70008086, 0x06010000, 0x00, 0);           // single-function device 1
  pci.function(0x09, 0x70108086, 0x01018000, 0x00, 0x0000C001);  // never asked
  pci.function(0x10, 0x12348086, 0x01010000, 0x00, 0x0000D001);  // no bus mastering
  pci.function(0x18, 0x12358086, 0x01018000, 0x00, 0x00000000);  // BAR4 not I/O
  pci.install();
  uint32_t function = 0;
  uint16_t block = 0;
  EXPECT_FALSE(devices::find_bus_master_ide(function, block));
  for (const Out& o : fake_port_io::outs) {
    ASSERT_NE(o.value & 0xFFFF00, 0x000900u) << "function 1 of a single-function device";
  }
}

}  // namespace
