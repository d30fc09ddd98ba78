#include "fake_pci_bus.h"

#include "fake_port_io.h"

namespace fake_pci {

namespace {

constexpr uint16_t smram = 0x72;

uint8_t smram_write(uint8_t old, uint8_t value) {
  value = static_cast<uint8_t>((value & 0x78) | 0x02);  // as iodev/pci.cc: reserved bits
  if ((old & 0x10) != 0) value = static_cast<uint8_t>((value & ~0x40) | 0x10);
  return value;
}

}  // namespace

Bus::Bus() {
  fake_port_io::device.in = [this](uint16_t port, unsigned bytes, uint32_t& value) {
    if (port == 0xCF8 && bytes == 4) {
      value = config_address;
      return true;
    }
    if (port >= 0xCFC && port <= 0xCFF) {
      value = 0xFFFFFFFF;
      if ((config_address & 0x80000000u) != 0) {
        const Function f{static_cast<uint8_t>(config_address >> 16),
                         static_cast<uint8_t>(config_address >> 11 & 31),
                         static_cast<uint8_t>(config_address >> 8 & 7)};
        if (const FakeFunction* fn = find(f)) {
          value = 0;
          const unsigned reg = (config_address & 0xFC) + (port & 3);
          for (unsigned i = 0; i < bytes && reg + i < 256; ++i) value |= uint32_t{fn->bytes[reg + i]} << (8 * i);
        }
      }
      if (bytes < 4) value &= (1u << (8 * bytes)) - 1;
      return true;
    }
    const uint16_t base = pm_base();
    if (base != 0 && port >= base && port < base + 64) {
      value = 0;
      for (unsigned i = 0; i < bytes; ++i) value |= uint32_t{pm_io[port - base + i]} << (8 * i);
      return true;
    }
    return false;
  };
  fake_port_io::device.out = [this](uint16_t port, unsigned bytes, uint32_t value) {
    if (port == 0xCF8 && bytes == 4) {
      config_address = value;
    } else if (port >= 0xCFC && port <= 0xCFF && (config_address & 0x80000000u) != 0) {
      const Function f{static_cast<uint8_t>(config_address >> 16),
                       static_cast<uint8_t>(config_address >> 11 & 31),
                       static_cast<uint8_t>(config_address >> 8 & 7)};
      write(f, static_cast<uint16_t>((config_address & 0xFC) + (port & 3)), bytes, value);
    } else if (const uint16_t base = pm_base(); base != 0 && port >= base && port < base + 64) {
      for (unsigned i = 0; i < bytes; ++i) pm_io[port - base + i] = static_cast<uint8_t>(value >> (8 * i));
    }
  };
}

Bus::~Bus() { fake_port_io::device = {}; }

FakeFunction* Bus::find(Function f) {
  const auto it = functions_.find(key(f));
  return it == functions_.end() ? nullptr : &it->second;
}
const FakeFunction* Bus::find(Function f) const {
  const auto it = functions_.find(key(f));
  return it == functions_.end() ? nullptr : &it->second;
}

FakeFunction& Bus::add(Function f, uint32_t ids, uint8_t header_type) {
  FakeFunction& fn = functions_[key(f)];
  for (unsigned i = 0; i < 4; ++i) fn.bytes[i] = static_cast<uint8_t>(ids >> (8 * i));
  fn.bytes[0x0E] = header_type;
  // The command register and everything from 0x40 on: the function's to
  // define; plain read-write here unless a test says otherwise.
  fn.writable[4] = fn.writable[5] = 0xFF;
  for (unsigned i = 0x40; i < 256; ++i) fn.writable[i] = 0xFF;
  return fn;
}

void Bus::set(Function f, uint16_t offset, uint32_t value, uint32_t writable) {
  FakeFunction* fn = find(f);
  for (unsigned i = 0; i < 4; ++i) {
    fn->bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
    fn->writable[offset + i] = static_cast<uint8_t>(writable >> (8 * i));
  }
}

uint32_t Bus::read(Function f, uint16_t offset) const {
  const FakeFunction* fn = find(f);
  if (fn == nullptr) return 0xFFFFFFFF;
  uint32_t v = 0;
  for (unsigned i = 0; i < 4; ++i) v |= uint32_t{fn->bytes[offset + i]} << (8 * i);
  return v;
}

void Bus::write(Function f, uint16_t offset, unsigned bytes, uint32_t value) {
  FakeFunction* fn = find(f);
  if (fn == nullptr) return;
  for (unsigned i = 0; i < bytes && offset + i < 256; ++i) {
    const unsigned at = offset + i;
    const uint8_t b = static_cast<uint8_t>(value >> (8 * i));
    if (f == host && at == smram) {
      fn->bytes[at] = smram_write(fn->bytes[at], b);
      continue;
    }
    fn->bytes[at] = static_cast<uint8_t>((fn->bytes[at] & ~fn->writable[at]) | (b & fn->writable[at]));
  }
}

uint16_t Bus::pm_base() const {
  const FakeFunction* fn = find(pm);
  if (fn == nullptr || (fn->bytes[0x80] & 1) == 0) return 0;
  return static_cast<uint16_t>((fn->bytes[0x40] | fn->bytes[0x41] << 8) & 0xFFC0);
}

void Bus::bochs_platform(uint8_t smram_value) {
  FakeFunction& h = add(host, 0x12378086, 0x00);
  h.bytes[smram] = smram_value;
  add({0, 1, 0}, 0x70008086, 0x80);  // PIIX3 ISA bridge, multi-function
  add(ide, 0x70108086, 0x00);
  set(ide, 0x08, 0x01018000, 0);  // IDE, bus master (the class code devices/bus_master.h looks for)
  set(ide, 0x20, 0xC001, 0xFFF0);
  add(pm, 0x71138086, 0x00);
  set(pm, 0x40, 0xB001, 0xFFC0);
  find(pm)->bytes[0x80] = 0x01;
  set(pm, 0x58, 1u << 25, 0xFFFFFFFF);
  add(vga, 0x11111234, 0x00);
  set(vga, 0x10, 0xE0000008, 0xFF000000);
  set(vga, 0x30, 0x000C0000, 0xFFFF0001);
}

devices::pci::ConfigSpace Bus::ecam() {
  return {this,
          [](void* bus, Function f, uint16_t offset) { return static_cast<Bus*>(bus)->read(f, offset); },
          [](void* bus, Function f, uint16_t offset, uint32_t value) {
            static_cast<Bus*>(bus)->write(f, offset, 4, value);
          }};
}

}  // namespace fake_pci
