#include "devices/pci_ecam.h"

#include "devices/pci_address.h"

namespace devices {

namespace {

constexpr uint64_t identity_map_limit = 4ull << 30;  // the VMM's identity map

// The configuration space of one window as the mediation reads and sizes
// it (pci::ConfigSpace), through the device's access.
struct WindowSpace {
  const EcamAccess* access;
  const acpi::McfgWindow* window;
  uint64_t at(pci::Function f, uint16_t offset) const {
    return pci::ecam_address(*window, f, offset & 0xFFCu);  // the dword's
  }
};

uint32_t space_read(void* context, pci::Function f, uint16_t offset) {
  const WindowSpace& s = *static_cast<const WindowSpace*>(context);
  return s.access->read(s.access->context, s.at(f, offset), 4);
}

void space_write(void* context, pci::Function f, uint16_t offset, uint32_t value) {
  const WindowSpace& s = *static_cast<const WindowSpace*>(context);
  s.access->write(s.access->context, s.at(f, offset), 4, value);
}

}  // namespace

acpi::McfgWindow decodable_window(const acpi::McfgWindow& w, const layout::E820Entry* map,
                                  uint32_t count, bool& trimmed) {
  trimmed = false;
  const uint64_t first = pci::ecam_first(w);
  if (first >= ecam_interrupt_range || pci::ecam_end(w) <= ecam_interrupt_range) return w;
  if (count > layout::E820_MAX_ENTRIES) count = layout::E820_MAX_ENTRIES;
  for (uint32_t i = 0; i < count; ++i) {
    const layout::E820Entry& e = map[i];
    // In arithmetic that cannot wrap: the firmware's numbers are not trusted.
    if (e.type != layout::E820_RESERVED || first < e.base || first - e.base >= e.length) continue;
    uint64_t covered = e.length - (first - e.base);
    if (covered > ecam_interrupt_range - first) covered = ecam_interrupt_range - first;
    const uint64_t buses = covered >> 20;
    if (buses < 16) continue;
    acpi::McfgWindow cut = w;
    cut.last_bus = static_cast<uint8_t>(w.first_bus + buses - 1);  // below the listed last bus
    trimmed = true;
    return cut;
  }
  return w;
}

const char* ecam_unkeepable(const acpi::Mcfg& mcfg) {
  if (mcfg.count > ecam_max_windows) return "more ECAM windows than the VMM keeps";
  for (unsigned i = 0; i < mcfg.count; ++i) {
    const acpi::McfgWindow& w = mcfg.windows[i];
    // parse_mcfg checked that the window's end lies within 64 bits.
    if (pci::ecam_end(w) > identity_map_limit) {
      return "an ECAM window at or above 4 GiB";
    }
  }
  return nullptr;
}

bool attach_pci_ecam(PciEcam& e, MmioDevice& device, MmioMap& mmio, PciConfig& pci,
                     const acpi::Mcfg& mcfg, EcamAccess access) {
  e = PciEcam{};
  e.pci = &pci;
  e.access = access;
  device = {"PCI ECAM", write_ecam, &e};
  if (ecam_unkeepable(mcfg) != nullptr) return false;
  for (unsigned i = 0; i < mcfg.count; ++i) {
    const acpi::McfgWindow& w = mcfg.windows[i];
    if (mmio.claim(pci::ecam_first(w), pci::ecam_end(w) - pci::ecam_first(w), device, "pci-ecam",
                   true) == 0) {
      return false;
    }
    e.windows[e.count++] = w;
  }
  return true;
}

MmioVerdict write_ecam(void* state, MmioWrite& w, vmx::GuestEnd&) {
  PciEcam& e = *static_cast<PciEcam*>(state);
  const acpi::McfgWindow* window = nullptr;
  pci::ConfigTarget t{};
  for (unsigned i = 0; i < e.count && !t.valid; ++i) {
    t = pci::ecam_target(e.windows[i], w.address, w.bytes);
    window = &e.windows[i];
  }
  if (!t.valid) {
    ++e.misshapen_writes;
    return MmioVerdict::deny;
  }
  if (w.exchange) w.old = e.access.read(e.access.context, w.address, w.bytes);
  WindowSpace ws{&e.access, window};
  const pci::ConfigSpace space{&ws, space_read, space_write};
  const pci::Decision d =
      decide_config_write(*e.pci, space, t, static_cast<uint32_t>(w.value));
  if (!d.refused) e.access.write(e.access.context, w.address, w.bytes, d.value);
  return MmioVerdict::done;
}

}  // namespace devices
