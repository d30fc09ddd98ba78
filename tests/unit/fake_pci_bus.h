// A PCI bus behind the faked ports (fake_port_io.h), as Bochs 2.7's
// i440FX has it where the tests need it: configuration mechanism #1 at
// 0xCF8/0xCFC-0xCFF (CONFIG_ADDRESS kept whole, a data-port access at the
// register plus the port's offset, any size), each function's 256 bytes
// with the bits a write may change (the rest read-only, so that writing all
// ones reads back a BAR's size), the i440FX SMRAM control's lock (D_LCK set
// makes D_OPEN 0 and read-only, iodev/pci.cc) and the PIIX4 PM block's
// GLBCTL port behind PMBA. The same functions reached as ECAM (ecam())
// are the ECAM path's configuration space.
#pragma once

#include <cstdint>
#include <map>

#include "devices/pci_mediation.h"

namespace fake_pci {

using devices::pci::Function;

struct FakeFunction {
  uint8_t bytes[256] = {};
  uint8_t writable[256] = {};  // per byte, the bits a write changes
};

class Bus {
 public:
  // Puts the bus behind fake_port_io (which the test resets first).
  Bus();
  ~Bus();

  FakeFunction& add(Function f, uint32_t ids, uint8_t header_type);
  // A BAR at `offset` whose value is `value` and whose writable bits are
  // `writable` (for a 64-bit BAR, the call for each dword).
  void set(Function f, uint16_t offset, uint32_t value, uint32_t writable);
  uint32_t read(Function f, uint16_t offset) const;  // a dword, aligned
  // As the chipset carries a data-port access out.
  void write(Function f, uint16_t offset, unsigned bytes, uint32_t value);

  // The Bochs BIOS's platform: i440FX at 0:0.0 with SMRAM 0x0A, PIIX3 IDE
  // at 0:1.1 (BAR4 0xC001, 16 ports), PIIX4 PM at 0:1.3 (PMBA 0xB001,
  // PMIOSE, APMC_EN set as that BIOS sets it), a VGA at 0:2.0 (BAR0: 16 MiB
  // prefetchable at 0xE0000000, ROM BAR: 64 KiB at 0xC0000 off).
  void bochs_platform(uint8_t smram = 0x0A);

  uint32_t config_address = 0;
  std::map<uint16_t, uint8_t> pm_io;  // the PM block's ports, by offset
  devices::pci::ConfigSpace ecam();   // the functions without CONFIG_ADDRESS

 private:
  static uint32_t key(Function f) { return uint32_t{f.bus} << 8 | f.device << 3 | f.function; }
  FakeFunction* find(Function f);
  const FakeFunction* find(Function f) const;
  uint16_t pm_base() const;
  std::map<uint32_t, FakeFunction> functions_;
};

inline constexpr Function host{0, 0, 0}, ide{0, 1, 1}, pm{0, 1, 3}, vga{0, 2, 0};

}  // namespace fake_pci
