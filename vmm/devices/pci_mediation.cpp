#include "devices/pci_mediation.h"

#include "common/piix4_power.h"
#include "devices/pci_bar.h"
#include "devices/pci_chipset.h"
#include "devices/pci_msi.h"

namespace devices::pci {

namespace {

// The guest's write as the dword it changes.
struct Write {
  Function f;
  uint16_t dword;    // the dword's offset
  unsigned shift;    // of the access within it, in bits
  uint32_t mask;     // the dword's bits the access writes
  uint32_t current;  // the dword before
  uint32_t after;    // and as the write leaves it
};

constexpr uint16_t pc_fixed_ports_end = 0x100;  // PIC, PIT, DMA, KBC, RTC, POST: the PC's own

Decision refuse(const char* why) { return {true, 0, why, Follow::none, 0}; }

bool writes_byte(const Write& w, uint16_t offset) {
  return (offset & ~3u) == w.dword && (w.mask >> ((offset & 3) * 8) & 0xFF) != 0;
}

// The dword bits `bits` of the guest's write set as `as` has them: the
// register keeps what the VMM keeps.
void keep(Decision& d, Write& w, uint32_t bits, uint32_t as, const char* why) {
  const uint32_t b = bits & w.mask;
  const uint32_t value = (d.value & ~(b >> w.shift)) | ((as & b) >> w.shift);
  if (value == d.value) return;
  d.value = value;
  d.why = why;
  w.after = (w.after & ~b) | (as & b);
}

// Lowest set bit, and the ports a window covers (1 to 0x10000) in the low
// 16 bits of its address: Bochs decodes an I/O port by those alone.
uint32_t io_ports(const Window& w, uint32_t first16) {
  const uint64_t size = w.last - w.first + 1;  // a power of two: decodes, so last >= first
  return size >= 0x10000 - first16 ? 0x10000 - first16 : static_cast<uint32_t>(size);
}

// Whether I/O ports [first, first + count) reach a port the VMM keeps (own
// aside) or the PM block's home.
bool over_kept_ports(const Platform& p, const PortMap& ports, uint32_t first, uint32_t count,
                     const PortDevice* const* own, unsigned own_count) {
  const uint32_t home = p.pm_home;
  const bool over_home = p.pm_power_off && home != 0 && first < home + piix4_power::pm_block_ports &&
                         home < first + count;
  return over_home || kept_by_others(ports, first, count, own, own_count);
}

// The writable address bits of the BAR at `low`: all ones written, read
// back, the BAR put back. A 64-bit BAR's high dword goes first and comes
// back last, so that meanwhile the BAR lies above 2^63 (pci_bar.h says why
// all ones in a 32-bit one is harmless).
uint64_t sized_memory_bits(const ConfigSpace& s, Function f, uint16_t low, bool wide) {
  const uint32_t lo = s.read(f, low);
  const uint32_t hi = wide ? s.read(f, low + 4) : 0;
  if (wide) s.write(f, low + 4, ~0u);
  s.write(f, low, ~0u);
  const uint64_t bits = (wide ? uint64_t{s.read(f, low + 4)} << 32 : 0) | s.read(f, low);
  s.write(f, low, lo);
  if (wide) s.write(f, low + 4, hi);
  return bits & ~uint64_t{~memory_address_bits};
}

uint32_t sized_bits(const ConfigSpace& s, Function f, uint16_t at, uint32_t probe,
                    uint32_t address_bits) {
  const uint32_t before = s.read(f, at);
  s.write(f, at, probe);
  const uint32_t bits = s.read(f, at) & address_bits;
  s.write(f, at, before);
  return bits;
}

Decision memory_bar(Decision d, const ConfigSpace& s, const Write& w, uint16_t low, bool wide) {
  const bool high = w.dword != low;
  const uint32_t lo = high ? s.read(w.f, low) : w.after;
  const uint32_t hi = !wide ? 0 : high ? w.after : s.read(w.f, low + 4);
  const uint64_t bits = sized_memory_bits(s, w.f, low, wide);
  if (over_protected_memory(window(uint64_t{hi} << 32 | lo, bits))) {
    return refuse("memory BAR over the VMM's memory or the low memory it uses");
  }
  return d;
}

Decision rom_bar(Decision d, const ConfigSpace& s, const Write& w) {
  // Bochs decodes a ROM BAR whether its enable bit is set or not.
  const uint32_t bits = sized_bits(s, w.f, w.dword, rom_address_bits, rom_address_bits);
  if (over_protected_memory(window(w.after, bits))) {
    return refuse("expansion ROM BAR over the VMM's memory or the low memory it uses");
  }
  return d;
}

Decision io_bar(Decision d, const Platform& p, const ConfigSpace& s, const PortMap& ports,
                const Movers& movers, const Write& w, bool segment0) {
  const uint32_t bits = sized_bits(s, w.f, w.dword, ~0u, io_address_bits);
  const Window now = window(w.after, bits);
  const bool bus_master = segment0 && p.has_ide && w.f == p.ide && w.dword == ide_bar4;
  if (now.decodes) {
    const uint32_t first16 = static_cast<uint32_t>(now.first & 0xFFFF);
    const PortDevice* const own[1] = {bus_master ? movers.bus_master : nullptr};
    if (over_kept_ports(p, ports, first16, io_ports(now, first16), own, 1)) {
      return refuse("I/O BAR over a port the VMM keeps");
    }
  }
  const bool sizing_probe = (w.after & bits) == bits;
  if (!bus_master || bits == 0 || sizing_probe) return d;
  // (Base 0: unassigned, the block decodes nowhere; its device is told so.)
  const uint64_t after = now.decodes ? now.first : 0;
  if (after > 0xFFFF) return refuse("bus-master block past port 0xffff");
  const Window before = window(w.current, bits);
  if ((before.decodes ? before.first : 0) == after) return d;
  d.follow = Follow::bus_master;
  d.new_base = static_cast<uint16_t>(after);
  return d;
}

// The BAR `w` writes (of the header's layout), if it writes one.
Decision bars(Decision d, const Platform& p, const ConfigSpace& s, const PortMap& ports,
              const Movers& movers, const Write& w, bool segment0) {
  const bool bar_area = w.dword >= first_bar && w.dword < first_bar + 6 * 4;
  if (!bar_area && w.dword != 0x30 && w.dword != 0x38) return d;
  const BarLayout layout = bar_layout(static_cast<uint8_t>(s.read(w.f, header_type_dword) >> 16));
  if (layout.rom != 0 && w.dword == layout.rom) return rom_bar(d, s, w);
  for (unsigned i = 0; i < layout.bars;) {
    const uint16_t at = static_cast<uint16_t>(first_bar + 4 * i);
    const BarKind kind = bar_kind(at == w.dword ? w.current : s.read(w.f, at));
    // (A 64-bit BAR in the last slot would have its high half past the BARs: taken as 32-bit.)
    const bool wide = kind == BarKind::memory64 && i + 1 < layout.bars;
    if (w.dword < at + (wide ? 8 : 4)) {
      if (kind == BarKind::io) return io_bar(d, p, s, ports, movers, w, segment0);
      return memory_bar(d, s, w, at, wide);
    }
    i += wide ? 2 : 1;
  }
  return d;
}

// A write to the device-specific space: the MSI capability's Message
// Address or Data (devices/pci_msi.h), if that is what it writes.
Decision msi(Decision d, const ConfigSpace& s, const Write& w) {
  const MsiCapability m = find_msi(s, w.f);
  if (m.cap == 0) return d;
  if (w.dword == m.data() && msi_reaches_past_the_vmm(w.after)) {
    return refuse("MSI with delivery mode SMI or INIT");
  }
  if (w.dword == m.address_low() || (m.wide && w.dword == m.address_high())) {
    const uint64_t low = w.dword == m.address_low() ? w.after : s.read(w.f, m.address_low());
    const uint64_t high = !m.wide                       ? 0
                          : w.dword == m.address_high() ? w.after
                                                        : s.read(w.f, m.address_high());
    const uint64_t address = high << 32 | (low & ~3ull);  // bits 1:0 are reserved
    if (over_protected_memory({true, address, address + 3})) {
      return refuse("MSI address on the VMM's memory or the low memory it uses");
    }
  }
  return d;
}

// The PIIX4's SMBus block (SMBBA, 16 ports at bits 15:4): Bochs hands a
// port to whichever device asks first, and the PM block's home must stay
// the PM block's.
Decision smbus_base(Decision d, const Platform& p, const PortMap& ports, const Write& w) {
  const uint32_t after = w.after & piix4_smbba_base_bits;
  if (after == (w.current & piix4_smbba_base_bits) || after == 0) return d;
  if (over_kept_ports(p, ports, after, piix4_smbus_ports, nullptr, 0)) {
    return refuse("PIIX4 SMBus block over a port the VMM keeps");
  }
  return d;
}

Decision pm_base(Decision d, const PortMap& ports, const Movers& movers, const Write& w) {
  const uint32_t before = w.current & piix4_power::pmba_base_bits;
  const uint32_t after = w.after & piix4_power::pmba_base_bits;
  if ((w.after >> 16) != 0) return refuse("PIIX4 PM block past port 0xffff");
  if (after == before) return d;
  if (after == piix4_power::pmba_base_bits) {
    return refuse("PIIX4 PM block at 0xffc0 (Bochs keeps it where it was)");
  }
  if (after < pc_fixed_ports_end) return refuse("PIIX4 PM block among the PC's fixed ports");
  if (kept_by_others(ports, after, piix4_power::pm_block_ports, movers.pm_block, 2)) {
    return refuse("PIIX4 PM block over a port the VMM keeps");
  }
  d.follow = Follow::pm_block;
  d.new_base = static_cast<uint16_t>(after);
  return d;
}

}  // namespace

bool kept_by_others(const PortMap& ports, uint32_t first, uint32_t count,
                    const PortDevice* const* own, unsigned own_count) {
  for (unsigned slot = 1; slot <= ports.ranges(); ++slot) {
    const PortMap::Range& r = ports.range(static_cast<uint8_t>(slot));
    bool mine = false;
    for (unsigned i = 0; i < own_count; ++i) mine = mine || (own[i] != nullptr && own[i] == r.device);
    if (!mine && first < uint32_t{r.first} + r.count && r.first < first + count) return true;
  }
  return false;
}

Decision decide_write(const Platform& p, const ConfigSpace& s, const PortMap& ports,
                      const Movers& movers, const ConfigTarget& t, uint32_t value) {
  Decision d{false, value & size_mask(t.bytes), nullptr, Follow::none, 0};
  // The extended space (ECAM) holds no BAR and none of the registers below.
  if (!t.valid || t.offset >= config_bytes) return d;
  const uint16_t dword = static_cast<uint16_t>(t.offset & ~3u);
  const unsigned shift = (t.offset & 3u) * 8;
  const uint32_t mask = size_mask(t.bytes) << shift;
  const uint32_t current = s.read(t.function, dword);
  Write w{t.function, dword, shift, mask, current, (current & ~mask) | (d.value << shift)};
  const bool segment0 = t.segment == 0;
  if (segment0 && t.function == host_bridge && p.smram != 0 && writes_byte(w, p.smram)) {
    keep(d, w, 0xFFu << ((p.smram & 3) * 8), current, "SMRAM control (locked by the VMM)");
  }
  if (segment0 && t.function == host_bridge && p.ecam_base != 0 &&
      (dword == p.ecam_base || dword == p.ecam_base + 4)) {
    keep(d, w, ~0u, current, "PCIEXBAR (the ECAM window the VMM keeps)");
  }
  if (segment0 && p.has_pm && t.function == p.pm) {
    if (dword == piix4_devactb) {
      keep(d, w, piix4_devactb_apmc_en, 0, "PIIX4 APMC_EN (an SMI at each write to 0xB2)");
    }
    if (p.pm_power_off && dword == piix4_power::config_pmregmisc) {
      keep(d, w, piix4_power::pmregmisc_pmiose, piix4_power::pmregmisc_pmiose,
           "PIIX4 PMIOSE (the VMM powers off through the PM block)");
    }
    if (dword == piix4_power::config_pmba) return pm_base(d, ports, movers, w);
    if (dword == piix4_smbba) return smbus_base(d, p, ports, w);
  }
  // The device-specific space: the MSI capability's registers are the ones
  // there the VMM judges (the capability list walked only for writes
  // there).
  if (dword >= 0x40) return msi(d, s, w);
  return bars(d, p, s, ports, movers, w, segment0);
}

}  // namespace devices::pci
