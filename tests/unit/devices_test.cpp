// The device layer (vmm/devices/): the port map that fills the I/O bitmaps
// and finds a port's device in one look, the guest's COM1 and the platform
// ports' devices, each decision over a faked bus (fake_port_io.h); and what
// each guest profile attaches.
#include <gtest/gtest.h>

#include <memory>

#include "common/uart16550_registers.h"
#include "devices/com1.h"
#include "devices/mmio_map.h"
#include "devices/platform_ports.h"
#include "devices/port_map.h"
#include "devices/system_control.h"
#include "fake_port_io.h"
#include "guests/bios_chain/devices.h"
#include "guests/v86_demo/devices.h"
#include "layout.h"
#include "vmx/guest_timer.h"

namespace {

using devices::PortAccess;
using devices::PortMap;
using devices::PortVerdict;

constexpr uint16_t com1 = layout::COM1_PORT;

devices::PortVerdict nothing(void*, PortAccess&, vmx::GuestEnd&) { return PortVerdict::done; }
const devices::PortDevice dev_a{"a", nothing, nullptr, devices::passes::none},
    dev_b{"b", nothing, nullptr, devices::passes::none};

std::unique_ptr<PortMap> map(PortMap::Unclaimed unclaimed) {
  auto m = std::make_unique<PortMap>();
  m->reset(unclaimed);
  return m;
}

// ---------------------------------------------------------------- port map

TEST(PortMap, ClaimsRangesThatDoNotOverlapAndFinds) {
  auto m = map(PortMap::Unclaimed::guests);
  ASSERT_TRUE(m->claim(0x100, 4, dev_a, "in", "out"));
  ASSERT_TRUE(m->claim(0x104, 1, dev_b, "in", "out"));
  EXPECT_FALSE(m->claim(0x103, 2, dev_b, "", "")) << "overlaps";
  EXPECT_FALSE(m->claim(0x200, 0, dev_b, "", "")) << "empty";
  EXPECT_FALSE(m->claim(0xFFFF, 2, dev_b, "", "")) << "passes 0xFFFF";
  EXPECT_TRUE(m->claim(0xFFFF, 1, dev_b, "", ""));
  EXPECT_EQ(m->ranges(), 3u);
  const uint8_t a = m->decider(0x100, 1);
  EXPECT_NE(a, 0);
  EXPECT_EQ(m->range(a).device, &dev_a);
  EXPECT_EQ(m->decider(0x103, 1), a);
  EXPECT_EQ(m->range(m->decider(0x104, 1)).device, &dev_b);
  EXPECT_EQ(m->decider(0x105, 1), 0) << "unclaimed";
}

TEST(PortMap, IsFullAtItsLimit) {
  auto m = map(PortMap::Unclaimed::guests);
  for (unsigned i = 0; i < PortMap::max_ranges; ++i) {
    ASSERT_TRUE(m->claim(static_cast<uint16_t>(0x1000 + 2 * i), 1, dev_a, "", "")) << i;
  }
  EXPECT_FALSE(m->claim(0x2000, 1, dev_a, "", ""));
}

TEST(PortMap, AWideAccessIsDecidedByTheOneRangeItLiesIn) {
  auto m = map(PortMap::Unclaimed::denied);
  ASSERT_TRUE(m->claim(0x100, 4, dev_a, "", ""));
  ASSERT_TRUE(m->claim(0x104, 1, dev_b, "", ""));
  EXPECT_NE(m->decider(0x100, 4), 0);
  EXPECT_EQ(m->decider(0x102, 4), 0) << "two ranges";
  EXPECT_EQ(m->decider(0xFE, 4), 0) << "an unclaimed port, denied";
  EXPECT_EQ(m->decider(0xFFFF, 2), 0) << "no port 0 after 0xffff";
}

TEST(PortMap, WhereUnclaimedPortsAreTheGuestsTheRangeAnAccessTouchesDecides) {
  auto m = map(PortMap::Unclaimed::guests);
  ASSERT_TRUE(m->claim(0xB2, 1, dev_a, "", ""));
  ASSERT_TRUE(m->claim(0xB4, 1, dev_b, "", ""));
  EXPECT_EQ(m->range(m->decider(0xB1, 2)).device, &dev_a) << "a word from the port below";
  EXPECT_EQ(m->range(m->decider(0xB0, 4)).device, &dev_a);
  EXPECT_EQ(m->decider(0xB2, 4), 0) << "two devices: none decides";
  EXPECT_EQ(m->decider(0xB5, 2), 0);
}

TEST(PortMap, FillsTheIoBitmaps) {
  std::vector<uint8_t> a(4096), b(4096);
  auto m = map(PortMap::Unclaimed::guests);
  ASSERT_TRUE(m->claim(com1, 8, dev_a, "", ""));
  ASSERT_TRUE(m->claim(0x8001, 1, dev_b, "", ""));
  m->fill_io_bitmaps(a.data(), b.data());
  unsigned trapped = 0;
  for (uint32_t port = 0; port < 0x10000; ++port) {
    trapped += devices::io_bitmap_traps(a.data(), b.data(), static_cast<uint16_t>(port));
  }
  EXPECT_EQ(trapped, 9u);
  EXPECT_TRUE(devices::io_bitmap_traps(a.data(), b.data(), 0x3FF));
  EXPECT_FALSE(devices::io_bitmap_traps(a.data(), b.data(), 0x400));
  EXPECT_EQ(b[0], 0x02) << "port 0x8001 in bitmap B";
  m->reset(PortMap::Unclaimed::denied);
  m->fill_io_bitmaps(a.data(), b.data());
  for (size_t i = 0; i < 4096; ++i) ASSERT_EQ(a[i] & b[i], 0xFF) << i;
}

// ---------------------------------------------------------------- COM1

struct Com1Test : testing::Test {
  devices::Com1 state{};
  devices::PortDevice device = devices::com1_device(state, 100);
  vmx::GuestEnd end{};
  void SetUp() override {
    fake_port_io::reset();
    fake_port_io::inputs[com1 + uart16550::LSR] = uart16550::LSR_THR_EMPTY;
  }
  PortVerdict access(uint16_t port, unsigned bytes, bool in, uint32_t value, uint32_t* read = nullptr) {
    PortAccess a{port, static_cast<uint8_t>(bytes), in, value};
    const PortVerdict v = device.access(device.state, a, end);
    if (read != nullptr) *read = a.value;
    return v;
  }
};

TEST_F(Com1Test, RegistersAsTheVmmHasThem) {
  using devices::Com1Register;
  using devices::com1_register_rule;
  EXPECT_EQ(com1_register_rule(0, false), Com1Register::shadow);  // THR, or the divisor
  EXPECT_EQ(com1_register_rule(2, true), Com1Register::real);     // IIR
  EXPECT_EQ(com1_register_rule(2, false), Com1Register::shadow);  // FCR
  EXPECT_EQ(com1_register_rule(5, true), Com1Register::real);     // LSR
  EXPECT_EQ(com1_register_rule(5, false), Com1Register::deny);
  EXPECT_EQ(com1_register_rule(6, true), Com1Register::real);     // MSR
  EXPECT_EQ(com1_register_rule(6, false), Com1Register::deny);
  EXPECT_EQ(com1_register_rule(7, false), Com1Register::shadow);  // SCR
}

TEST_F(Com1Test, DataGoesToTheRealTransmitterEachLineMarked) {
  for (char c : std::string("hi\r\nyo")) ASSERT_EQ(access(com1, 1, false, uint8_t(c)), PortVerdict::done);
  const std::vector<uint8_t> sent = fake_port_io::bytes_out_to(com1);
  EXPECT_EQ(std::string(sent.begin(), sent.end()), "guest| hi\r\nguest| yo");
  EXPECT_EQ(state.bytes_out, 6u);
  EXPECT_FALSE(state.guest_line_start);
}

TEST_F(Com1Test, ASetupWriteReachesOnlyTheShadow) {
  EXPECT_EQ(access(com1 + uart16550::LCR, 1, false, uart16550::LCR_DLAB | 0x1A), PortVerdict::done);
  EXPECT_EQ(access(com1 + uart16550::DLL, 1, false, 0x0C), PortVerdict::done);
  uint32_t read = 0;
  EXPECT_EQ(access(com1 + uart16550::DLL, 1, true, 0, &read), PortVerdict::done);
  EXPECT_EQ(read, 0x0Cu);
  EXPECT_TRUE(fake_port_io::outs.empty()) << "the real UART keeps the VMM's setup";
  EXPECT_EQ(state.guest_uart.dll, 0x0C);
}

TEST_F(Com1Test, StatusComesFromTheRealUart) {
  fake_port_io::inputs[com1 + uart16550::LSR] = 0x61;
  uint32_t read = 0;
  EXPECT_EQ(access(com1 + uart16550::LSR, 1, true, 0, &read), PortVerdict::done);
  EXPECT_EQ(read, 0x61u);
}

TEST_F(Com1Test, WideAccessesAndStatusWritesAreDenied) {
  EXPECT_EQ(access(com1, 2, false, 0x4141), PortVerdict::deny);
  EXPECT_EQ(access(com1, 4, true, 0), PortVerdict::deny);
  EXPECT_EQ(access(com1 + uart16550::LSR, 1, false, 0), PortVerdict::deny);
  EXPECT_EQ(access(com1 + uart16550::MSR, 1, false, 0), PortVerdict::deny);
  EXPECT_TRUE(fake_port_io::outs.empty());
}

TEST_F(Com1Test, ATransmitterThatNeverEmptiesIsWaitedForABoundedTime) {
  fake_port_io::inputs[com1 + uart16550::LSR] = 0x00;
  EXPECT_EQ(access(com1, 1, false, 'x'), PortVerdict::done);
  EXPECT_LE(fake_port_io::tsc, 8u * (100 + 3)) << "each byte waits at most its bound";
  EXPECT_EQ(fake_port_io::bytes_out_to(com1).back(), 'x');
}

// ---------------------------------------------------------------- platform ports

PortVerdict decide(const devices::PortDevice& d, uint16_t port, unsigned bytes, bool in,
                   uint32_t value, vmx::GuestEnd& end) {
  PortAccess a{port, static_cast<uint8_t>(bytes), in, value};
  return d.access(d.state, a, end);
}

TEST(PlatformPorts, SlpEnAtPm1aCntIsThePowerOff) {
  devices::AcpiPm1 pm1{0xB004};
  const devices::PortDevice d = devices::acpi_pm1_device(pm1);
  vmx::GuestEnd end{};
  EXPECT_EQ(decide(d, 0xB004, 2, false, 0x0001, end), PortVerdict::pass) << "SCI_EN only";
  EXPECT_EQ(decide(d, 0xB004, 2, true, 0, end), PortVerdict::pass);
  ASSERT_EQ(decide(d, 0xB004, 2, false, 0x2000, end), PortVerdict::end);
  EXPECT_EQ(end.how, vmx::guest_end::poweroff);
  EXPECT_EQ(end.detail, 0x2000u);
  end = {};
  EXPECT_EQ(decide(d, 0xB005, 1, false, 0x20, end), PortVerdict::end) << "the high byte alone";
  EXPECT_EQ(end.detail, 0x2000u);
  EXPECT_EQ(decide(d, 0xB003, 4, false, 0x00200000u, end), PortVerdict::end) << "a dword from below";
  EXPECT_EQ(decide(d, 0xB003, 2, false, 0x2000, end), PortVerdict::pass)
      << "SLP_EN lands on 0xB004's bit 5, not 13";
}

TEST(PlatformPorts, TheResetControlRegister) {
  const devices::PortDevice d = devices::reset_device();
  vmx::GuestEnd end{};
  EXPECT_EQ(decide(d, 0xCF9, 1, false, 0x02, end), PortVerdict::pass) << "no RST";
  EXPECT_EQ(decide(d, 0xCF9, 1, false, 0x06, end), PortVerdict::end);
  EXPECT_EQ(end.how, vmx::guest_end::reset);
  EXPECT_EQ(end.detail, 0xCF9u);
  EXPECT_EQ(end.detail2, 0x06u);
  EXPECT_EQ(decide(d, 0xCF9, 1, true, 0, end), PortVerdict::pass);
}

// ---------------------------------------------------------------- A20 and the KBC's resets

struct SystemControlTest : testing::Test {
  devices::SystemControl state{};
  devices::PortDevice device = devices::system_control_device(state);
  vmx::GuestEnd end{};
  void SetUp() override { fake_port_io::reset(); }
  PortVerdict access(uint16_t port, bool in, uint32_t value, uint32_t* read = nullptr,
                     unsigned bytes = 1) {
    PortAccess a{port, static_cast<uint8_t>(bytes), in, value};
    const PortVerdict v = device.access(device.state, a, end);
    if (read != nullptr) *read = a.value;
    return v;
  }
};

TEST_F(SystemControlTest, Port92KeepsA20OnTheGuestReadsBackWhatItWrote) {
  fake_port_io::inputs[0x92] = 0x02;  // the real port: A20 on
  uint32_t read = 0;
  EXPECT_EQ(access(0x92, true, 0, &read), PortVerdict::done);
  EXPECT_EQ(read, 0x02u) << "as the firmware left it";
  EXPECT_EQ(access(0x92, false, 0x00), PortVerdict::done) << "A20 off";
  EXPECT_EQ(fake_port_io::bytes_out_to(0x92), (std::vector<uint8_t>{0x02})) << "kept on";
  EXPECT_EQ(access(0x92, true, 0, &read), PortVerdict::done);
  EXPECT_EQ(read, 0x00u) << "the guest reads its own A20 bit";
  EXPECT_EQ(state.a20_writes_kept, 1u);
  EXPECT_EQ(access(0x92, false, 0x01), PortVerdict::end) << "the fast reset";
  EXPECT_EQ(end.how, vmx::guest_end::reset);
  EXPECT_EQ(end.detail, 0x92u);
  EXPECT_EQ(access(0x91, false, 0x0000, nullptr, 2), PortVerdict::deny)
      << "a word that reaches port 0x92 from below does not pass";
}

TEST_F(SystemControlTest, TheKeyboardControllersOutputPort) {
  EXPECT_EQ(access(0x64, false, 0xD1), PortVerdict::pass) << "the command reaches the controller";
  EXPECT_EQ(access(0x60, false, 0xDD), PortVerdict::done) << "the output port, A20 off";
  EXPECT_EQ(fake_port_io::bytes_out_to(0x60), (std::vector<uint8_t>{0xDF})) << "A20 kept on";
  EXPECT_EQ(access(0x60, false, 0x41), PortVerdict::pass) << "the next byte is keyboard data";
  fake_port_io::inputs[0x60] = 0xDF;
  uint32_t read = 0;
  EXPECT_EQ(access(0x64, false, 0xD0), PortVerdict::pass);
  EXPECT_EQ(access(0x60, true, 0, &read), PortVerdict::done);
  EXPECT_EQ(read, 0xDDu) << "the output port as the guest wrote it";
  EXPECT_EQ(access(0x60, true, 0, &read), PortVerdict::pass) << "then keyboard data again";
  EXPECT_EQ(access(0x64, false, 0xDD), PortVerdict::done) << "A20 off by command: dropped";
  EXPECT_EQ(state.a20_writes_kept, 2u);
  EXPECT_EQ(access(0x64, false, 0xD1), PortVerdict::pass);
  EXPECT_EQ(access(0x60, false, 0xDE), PortVerdict::end) << "bit 0 clear: the reset line";
  EXPECT_EQ(end.how, vmx::guest_end::reset);
  EXPECT_EQ(end.detail, 0x60u);
  EXPECT_EQ(access(0x64, false, 0xFE), PortVerdict::end) << "the pulse";
  EXPECT_EQ(end.detail, 0x64u);
  EXPECT_EQ(access(0x64, true, 0), PortVerdict::pass) << "status reads are the controller's";
}

TEST(PlatformPorts, BochsShutdownAndDebuggerPortsEndTheRun) {
  vmx::GuestEnd end{};
  const devices::PortDevice d = devices::emulator_shutdown_device();
  EXPECT_EQ(decide(d, 0x8900, 1, false, 'S', end), PortVerdict::end);
  EXPECT_EQ(end.how, devices::emulator_shutdown);
  EXPECT_EQ(decide(d, 0x8A00, 2, false, 0x8AE0, end), PortVerdict::end);
  EXPECT_EQ(end.detail2, 0x8AE0u);
  EXPECT_EQ(decide(d, 0x8900, 1, true, 0, end), PortVerdict::pass);
}

TEST(PlatformPorts, ApmControlWritesAreDroppedPanicPortsEndTheRunBenchTakesByteOuts) {
  vmx::GuestEnd end{};
  devices::ApmControl apm{};
  EXPECT_EQ(decide(devices::apm_control_device(apm), 0xB2, 1, false, 0xF0, end), PortVerdict::done);
  EXPECT_EQ(decide(devices::apm_control_device(apm), 0xB2, 1, true, 0, end), PortVerdict::pass);
  EXPECT_EQ(apm.writes_dropped, 1u);
  EXPECT_EQ(decide(devices::emulator_panic_device(), 0x401, 2, false, 1234, end), PortVerdict::end);
  EXPECT_EQ(end.how, vmx::guest_end::bios_panic);
  EXPECT_EQ(end.detail2, 1234u);
  EXPECT_EQ(decide(devices::bench_port_device(), 0xE9, 1, false, 'x', end), PortVerdict::pass);
  EXPECT_EQ(decide(devices::bench_port_device(), 0xE9, 1, true, 0, end), PortVerdict::deny);
  EXPECT_EQ(decide(devices::bench_port_device(), 0xE9, 2, false, 0, end), PortVerdict::deny);
}

// ---------------------------------------------------------------- what the profiles attach

TEST(ProfileDevices, TheDemoReachesCom1AndTheBenchmarkPortOnly) {
  auto state = std::make_unique<guests::v86_demo::State>();
  auto m = map(PortMap::Unclaimed::guests);
  ASSERT_TRUE(guests::v86_demo::attach_devices(*m, *state, 100));
  EXPECT_EQ(m->unclaimed(), PortMap::Unclaimed::denied);
  for (unsigned r = 0; r < 8; ++r) {
    EXPECT_EQ(m->range(m->decider(static_cast<uint16_t>(com1 + r), 1)).device, &state->com1_device);
  }
  EXPECT_EQ(m->range(m->decider(0xE9, 1)).device, &state->bench_device);
  EXPECT_EQ(m->decider(0x64, 1), 0);
  EXPECT_EQ(m->decider(com1, 2), 0) << "COM1's registers are byte-wide: a word spans two";
  EXPECT_EQ(m->decider(0x3FF, 2), 0) << "a word at COM1+7 reaches 0x400";
  EXPECT_EQ(m->decider(0xE8, 2), 0) << "a word at 0xe8 reaches 0xe9";
}

// The Bochs boot CPU's IA32_APIC_BASE: 0xFEE00000, enabled, BSP; the
// Bochs BIOS's ACPI ports (PM1a_CNT, SMI_CMD and its values).
constexpr guests::bios_chain::ApicFound bochs_apic{true, 0xFEE00900, 40, true};
const guests::bios_chain::AcpiPorts bochs_acpi{0xB004, 0xB2, 0xF1, 0xF0, nullptr};

// The chain guest's DMA inputs: a 64 MiB machine's map (the Bochs BIOS's).
const layout::E820Entry chain_e820[] = {{0, 0x9F000, 1, 0}, {0x100000, 0x3F00000, 1, 0}};
const guests::bios_chain::DmaInputs chain_dma{chain_e820, 2, layout::VMM_ADDR,
                                              layout::VMM_MEMORY_END};

TEST(ProfileDevices, TheChainGuestKeepsItsFewPortsThePanicPortsUnderAnEmulatorOnly) {
  fake_port_io::reset();
  auto state = std::make_unique<guests::bios_chain::State>();
  auto m = map(PortMap::Unclaimed::denied);
  uint16_t power_off = 0xB004;
  devices::MmioMap mmio{};
  ASSERT_TRUE(guests::bios_chain::attach_devices(*m, mmio, *state, 100,
                                                 {0xB004, 0xB2, 0xF1, 0xF0, &power_off}, true,
                                                 chain_dma, bochs_apic));
  EXPECT_EQ(m->unclaimed(), PortMap::Unclaimed::guests);
  // 0xCF9 (reset control) lies in CONFIG_ADDRESS's range: its device keeps both.
  EXPECT_EQ(m->range(m->decider(0xCF9, 1)).device, &state->pci_address_device);
  EXPECT_EQ(m->range(m->decider(0xCFC, 4)).device, &state->pci_data_device);
  for (uint16_t port : {0x60, 0x64, 0x92}) {
    EXPECT_EQ(m->range(m->decider(port, 1)).device, &state->system_control_device) << port;
  }
  EXPECT_EQ(m->range(m->decider(0x8900, 1)).device, &state->shutdown_device);
  EXPECT_EQ(m->range(m->decider(0x8A00, 1)).device, &state->shutdown_device);
  EXPECT_EQ(m->range(m->decider(0xB2, 1)).device, &state->apm_device);
  EXPECT_EQ(m->range(m->decider(0xB005, 1)).device, &state->pm1_device);
  EXPECT_EQ(m->range(m->decider(0x401, 1)).device, &state->panic_device);
  EXPECT_EQ(m->decider(0x61, 1), 0);
  // The ISA DMA controllers, their page registers and the ports that
  // repeat them; no bus-master IDE controller on this (faked) PCI bus.
  for (uint16_t port : {0x00, 0x0F, 0x10, 0x1F, 0xC0, 0xDF}) {
    EXPECT_EQ(m->range(m->decider(port, 1)).device, &state->isa_dma_device) << port;
  }
  for (uint16_t port : {0x81, 0x87, 0x8F, 0x90, 0x91, 0x93, 0x9F}) {
    EXPECT_EQ(m->range(m->decider(port, 1)).device, &state->isa_dma_page_device) << port;
  }
  EXPECT_EQ(m->decider(0x80, 1), 0) << "the POST code port is the guest's";
  EXPECT_EQ(m->decider(0x20, 1), 0);
  EXPECT_EQ(state->bus_master.pci_function, devices::no_pci_function);
  EXPECT_EQ(state->dma_ram.count, 3u) << "below 640 KiB; 1 MiB to the VMM; the VMM's end to 64 MiB";
  ASSERT_TRUE(guests::bios_chain::attach_devices(*m, mmio, *state, 100, {}, false, chain_dma,
                                                 bochs_apic));
  EXPECT_EQ(m->decider(0x400, 1), 0) << "on a PC the chipset's";
  EXPECT_EQ(m->decider(0x8900, 1), 0);
  EXPECT_EQ(m->decider(0xB004, 1), 0) << "no PM1a_CNT found: none kept";
}

TEST(ProfileDevices, TheChainGuestsApicPageIsItsOnlyMemoryRangeWhileTheXapicDecodesIt) {
  auto state = std::make_unique<guests::bios_chain::State>();
  auto m = map(PortMap::Unclaimed::denied);
  devices::MmioMap mmio{};
  ASSERT_TRUE(guests::bios_chain::attach_devices(*m, mmio, *state, 100, bochs_acpi, true,
                                                 chain_dma, bochs_apic));
  ASSERT_EQ(mmio.ranges(), 1u);
  const uint8_t slot = mmio.slot_of(0xFEE00300);
  ASSERT_NE(slot, 0);
  EXPECT_EQ(mmio.range(slot).device, &state->apic_device);
  EXPECT_EQ(mmio.range(slot).bytes, 4096u);
  EXPECT_EQ(mmio.slot_of(0xFEE01000), 0);
  // In x2APIC mode, or disabled, no page is decoded: claimed, not active.
  for (uint64_t msr : {0xFEE00D00ull, 0xFEE00100ull}) {
    ASSERT_TRUE(guests::bios_chain::attach_devices(*m, mmio, *state, 100, bochs_acpi, true,
                                                   chain_dma, {true, msr, 40, true}));
    EXPECT_EQ(mmio.slot_of(0xFEE00300), 0) << std::hex << msr;
  }
  // No APIC (CPUID.1:EDX.APIC clear): nothing claimed.
  ASSERT_TRUE(guests::bios_chain::attach_devices(*m, mmio, *state, 100, bochs_acpi, true,
                                                 chain_dma, {}));
  EXPECT_EQ(mmio.ranges(), 0u);
}

}  // namespace

#include "devices/uart_shadow.h"

namespace {

TEST(UartShadow, TheGuestSeesTheVmmsSetupThenWhatItWrote) {
  devices::UartShadow uart = devices::UartShadow::as_the_vmm_set_it_up();
  using namespace uart16550;
  EXPECT_EQ(*uart.register_for(LCR, true), LCR_8N1);
  EXPECT_EQ(*uart.register_for(MCR, true), MCR_DTR_RTS);
  EXPECT_EQ(*uart.register_for(IER, true), 0);
  // Data, IIR, LSR and MSR are the real UART's.
  EXPECT_EQ(uart.register_for(THR, false), nullptr);
  EXPECT_EQ(uart.register_for(THR, true), nullptr);
  EXPECT_EQ(uart.register_for(IIR, true), nullptr);
  EXPECT_EQ(uart.register_for(LSR, true), nullptr);
  EXPECT_EQ(uart.register_for(MSR, true), nullptr);
  // Loopback, 7E1: kept, read back.
  *uart.register_for(MCR, false) = 0x10;
  *uart.register_for(FCR, false) = 0x00;
  EXPECT_EQ(*uart.register_for(MCR, true), 0x10);
  EXPECT_EQ(uart.fcr, 0x00);
  // DLAB: offsets 0 and 1 are the divisor latch, and virtual.
  *uart.register_for(LCR, false) = LCR_DLAB | 0x1A;
  EXPECT_TRUE(uart.dlab());
  *uart.register_for(DLL, false) = 0x0C;
  *uart.register_for(DLM, false) = 0x00;
  EXPECT_EQ(uart.dll, 0x0C);
  EXPECT_EQ(*uart.register_for(DLL, true), 0x0C);
  *uart.register_for(LCR, false) = 0x1A;
  EXPECT_FALSE(uart.dlab());
  EXPECT_EQ(uart.register_for(THR, false), nullptr) << "data again";
  *uart.register_for(IER, false) = 0x0F;
  EXPECT_EQ(uart.ier, 0x0F);
  EXPECT_EQ(uart.dlm, 0x00) << "IER and DLM are apart";
  EXPECT_EQ(*uart.register_for(SCR, true), 0);
}

TEST(GuestTimer, PreemptionTimerRestartsWithWhatIsLeft) {
  using vmx::guest_timer::preemption_timer_value_until;
  EXPECT_EQ(preemption_timer_value_until(8000000, 1000000, 0), 7000000u);
  EXPECT_EQ(preemption_timer_value_until(8000000, 1000000, 5), 7000000u >> 5);
  EXPECT_EQ(preemption_timer_value_until(8000000, 8000000, 0), 0u);
  EXPECT_EQ(preemption_timer_value_until(8000000, 9000000, 0), 0u) << "past: no wrap";
}

TEST(GuestTimer, Com1ByteWaitIsTwoCharacterTimesAtTheVmmsBaudRate) {
  using vmx::guest_timer::uart_byte_wait_ticks;
  // Bochs: 4 million TSC ticks an emulated second, 2 s in the limit; one
  // byte at 115200 8N1 is 86.8 us: 347 ticks, twice that 694.
  EXPECT_EQ(uart_byte_wait_ticks(8000000), 695u);
  // A 3 GHz TSC: 86.8 us = 260416 ticks, twice that 520833.
  EXPECT_EQ(uart_byte_wait_ticks(6000000000ull), 520834u);
  EXPECT_EQ(uart_byte_wait_ticks(0), 1u);
}

}  // namespace

namespace {

TEST(PortMap, WhatADeviceLetsThroughUnseenIsCodedAsTheQualificationCodesIt) {
  // SDM 28.2.1: bits 2:0 the size less one, bit 3 IN.
  EXPECT_EQ(devices::pass_bit(false, 1), 0u);
  EXPECT_EQ(devices::pass_bit(true, 1), 8u);
  EXPECT_EQ(devices::pass_bit(true, 4), 11u);
  const devices::PortDevice bench = devices::bench_port_device();
  auto m = std::make_unique<PortMap>();
  m->reset(PortMap::Unclaimed::denied);
  ASSERT_TRUE(m->claim(0xE9, 1, bench, "", ""));
  const uint8_t slot = m->slot_of(0xE9);
  EXPECT_TRUE(m->passes(slot, false, 1)) << "the benchmark's byte OUTs need no look";
  EXPECT_TRUE(m->passes_coded(slot, 0x00E90000u & 15));
  EXPECT_FALSE(m->passes(slot, true, 1));
  EXPECT_FALSE(m->passes(slot, false, 2));
  EXPECT_FALSE(m->passes(0, false, 1)) << "nothing passes where no device is";
  const devices::PortDevice reset = devices::reset_device();
  ASSERT_TRUE(m->claim(0xCF9, 1, reset, "", ""));
  EXPECT_TRUE(m->passes(m->slot_of(0xCF9), true, 1)) << "reads of the reset port pass";
  EXPECT_FALSE(m->passes(m->slot_of(0xCF9), false, 1)) << "writes are looked at";
}

}  // namespace

namespace {

TEST(PortMap, ARangeMovesWithItsDevice) {
  auto m = map(PortMap::Unclaimed::guests);
  ASSERT_TRUE(m->claim(0xB004, 2, dev_a, "", ""));
  ASSERT_TRUE(m->claim(0xC000, 1, dev_b, "", ""));
  const uint8_t slot = m->slot_of(0xB004);
  EXPECT_FALSE(m->move(slot, 0xBFFF)) << "onto another range";
  EXPECT_FALSE(m->move(slot, 0xFFFF)) << "past 0xffff";
  EXPECT_FALSE(m->move(0, 0x600)) << "slot 0 is no range";
  EXPECT_EQ(m->slot_of(0xB004), slot) << "a refused move changes nothing";
  ASSERT_TRUE(m->move(slot, 0x604));
  EXPECT_EQ(m->slot_of(0xB004), 0);
  EXPECT_EQ(m->slot_of(0x605), slot);
  EXPECT_EQ(m->range(slot).first, 0x604);
  ASSERT_TRUE(m->move(slot, 0x605)) << "overlapping its own old place";
  EXPECT_EQ(m->slot_of(0x604), 0);
  EXPECT_EQ(m->slot_of(0x606), slot);
}

}  // namespace

namespace {

TEST(PortMap, TheIoBitmapsItFilledMoveWithARange) {
  std::vector<uint8_t> a(4096), b(4096);
  auto m = map(PortMap::Unclaimed::guests);
  ASSERT_TRUE(m->claim(0xB004, 2, dev_a, "", ""));
  m->fill_io_bitmaps(a.data(), b.data());
  ASSERT_TRUE(m->move(m->slot_of(0xB004), 0x8004));
  EXPECT_FALSE(devices::io_bitmap_traps(a.data(), b.data(), 0xB004)) << "the guest's again";
  EXPECT_FALSE(devices::io_bitmap_traps(a.data(), b.data(), 0xB005));
  EXPECT_TRUE(devices::io_bitmap_traps(a.data(), b.data(), 0x8004));
  EXPECT_TRUE(devices::io_bitmap_traps(a.data(), b.data(), 0x8005));
  EXPECT_FALSE(devices::io_bitmap_traps(a.data(), b.data(), 0x8006));
  ASSERT_TRUE(m->move(m->slot_of(0x8004), 0x7FFF)) << "across bitmaps A and B";
  EXPECT_TRUE(devices::io_bitmap_traps(a.data(), b.data(), 0x7FFF));
  EXPECT_TRUE(devices::io_bitmap_traps(a.data(), b.data(), 0x8000));
  EXPECT_FALSE(devices::io_bitmap_traps(a.data(), b.data(), 0x8004));
  // Where unclaimed ports are denied, a port a range leaves stays trapped.
  m->reset(PortMap::Unclaimed::denied);
  ASSERT_TRUE(m->claim(0x100, 1, dev_a, "", ""));
  m->fill_io_bitmaps(a.data(), b.data());
  ASSERT_TRUE(m->move(m->slot_of(0x100), 0x200));
  EXPECT_TRUE(devices::io_bitmap_traps(a.data(), b.data(), 0x100));
}

TEST(PlatformPorts, TheAcpiEnableHandshakeIsAnsweredWithoutAnSmi) {
  fake_port_io::reset();
  devices::ApmControl apm{0xB004, 0xF1, 0xF0, 0};
  const devices::PortDevice d = devices::apm_control_device(apm);
  vmx::GuestEnd end{};
  fake_port_io::inputs[0xB004] = 0x0000;
  EXPECT_EQ(decide(d, 0xB2, 1, false, 0xF1, end), PortVerdict::done) << "ACPI_ENABLE";
  ASSERT_EQ(fake_port_io::outs.size(), 1u);
  EXPECT_EQ(fake_port_io::outs[0], (fake_port_io::Out{0xB004, 2, devices::pm1_sci_en}))
      << "SCI_EN set, as the firmware's SMI handler would";
  fake_port_io::inputs[0xB004] = 0x2401;
  EXPECT_EQ(decide(d, 0xB2, 1, false, 0xF0, end), PortVerdict::done) << "ACPI_DISABLE";
  EXPECT_EQ(fake_port_io::outs[1], (fake_port_io::Out{0xB004, 2, 0x2400u}));
  EXPECT_EQ(decide(d, 0xB2, 1, false, 0x42, end), PortVerdict::done) << "anything else: dropped";
  EXPECT_EQ(fake_port_io::outs.size(), 2u) << "no SMI, nothing written";
  EXPECT_EQ(apm.writes_dropped, 1u);
  devices::ApmControl none{0, 0, 0, 0};
  const devices::PortDevice no_acpi = devices::apm_control_device(none);
  EXPECT_EQ(decide(no_acpi, 0xB2, 1, false, 0, end), PortVerdict::done) << "a 0 command is none";
  EXPECT_EQ(fake_port_io::outs.size(), 2u);
}

TEST_F(Com1Test, AnInterruptDrivenGuestsEnablesReachTheRealUart) {
  devices::Com1 carrying{};
  devices::PortDevice dev = devices::com1_device(carrying, 100, true);
  auto write = [&](unsigned reg, uint8_t v) {
    PortAccess a{static_cast<uint16_t>(com1 + reg), 1, false, v};
    return dev.access(dev.state, a, end);
  };
  EXPECT_EQ(write(uart16550::IER, 0x0F), PortVerdict::done);
  EXPECT_EQ(write(uart16550::FCR, 0xC7), PortVerdict::done);
  EXPECT_EQ(write(uart16550::MCR, 0x1B), PortVerdict::done) << "loopback, OUT2, DTR, RTS";
  EXPECT_EQ(write(uart16550::LCR, 0x83), PortVerdict::done) << "DLAB";
  EXPECT_EQ(write(uart16550::DLM, 0x00), PortVerdict::done) << "the divisor: not the IER";
  EXPECT_EQ(fake_port_io::outs,
            (std::vector<fake_port_io::Out>{{com1 + uart16550::IER, 1, 0x0F},
                                            {com1 + uart16550::FCR, 1, 0xC7},
                                            {com1 + uart16550::MCR, 1, 0x0B}}))
      << "OUT2 carried, loopback not; the line's format and speed stay the VMM's";
  EXPECT_EQ(carrying.guest_uart.mcr, 0x1B) << "the guest reads back what it wrote";
}

TEST_F(Com1Test, TheDemosEnablesStayInTheShadow) {
  EXPECT_EQ(access(com1 + uart16550::IER, 1, false, 0x0F), PortVerdict::done);
  EXPECT_EQ(access(com1 + uart16550::MCR, 1, false, 0x0B), PortVerdict::done);
  EXPECT_TRUE(fake_port_io::outs.empty());
}

}  // namespace
