// Which device keeps which guest-physical memory range: the port map's
// counterpart for memory-mapped registers (devices/port_map.h). A device
// claims whole 4 KiB pages; while its range is active the guest reads
// them directly but cannot write or execute there (the core makes the
// EPT say so, vmx/mmio_ept.h), so every store of the guest's into the
// range is an EPT violation that the core decodes (vmx/store_decoder.h)
// and hands to the device as one MmioWrite; the device says what becomes
// of it, as a port device does. A range moves with its device (the local
// APIC's page follows IA32_APIC_BASE) and can be inactive (the registers
// are not decoded there at the moment: the page is the guest's then).
// Pure: the VMM and the tests fill and ask the same map.
//
// For a device that claims a range: a MmioDevice with its write function
// and state, `claim` once when the profile attaches its devices (before
// the EPT is built), `move` when the guest moves the registers (the caller
// then changes the EPT: vmx/mmio_ept.h). Reads are the guest's own: a
// device whose reads must be seen needs more than this map gives.
#pragma once

#include <stdint.h>

#include "vmx/guest_end.h"

namespace devices {

// One store of the guest's into a claimed range, decoded.
struct MmioWrite {
  uint64_t address;  // guest-physical (the identity EPT: also host-physical)
  uint8_t bytes;     // 1, 2, 4 or 8
  uint64_t value;    // what the guest stores, its size's bits
  bool exchange;     // XCHG: the register gets `old`, which the device sets
  uint64_t old;
};

enum class MmioVerdict : uint8_t {
  done,  // carried out (on the hardware or by the device itself)
  deny,  // not carried out: nothing written, an exchange reads all ones;
         // the VMM counts it and the guest goes on
  end,   // the guest ended itself by it (the GuestEnd says how)
  nmi,   // carried out as an NMI to the guest's own CPU: the core delivers
         // it to the guest (sent from the VMM it would interrupt the VMM)
};

struct MmioDevice {
  const char* name;
  MmioVerdict (*write)(void* state, MmioWrite& write, vmx::GuestEnd& end);
  void* state;
};

class MmioMap {
 public:
  // Ranges any profile may claim, slot 0 meaning none.
  static constexpr unsigned max_ranges = 23;
  static constexpr uint64_t page_bytes = 4096;

  struct Range {
    uint64_t first;
    uint64_t bytes;
    const MmioDevice* device;
    const char* name;  // for the run's report
    bool active;       // the device decodes the range now
  };

  void reset();

  // [first, first + bytes) for `device`: the slot, or 0 (nothing claimed)
  // when the range is not whole pages, wraps, the map is full, or it is
  // active and overlaps another active range.
  uint8_t claim(uint64_t first, uint64_t bytes, const MmioDevice& device, const char* name,
                bool active);

  // The range in `slot` at `first` (its size kept), active or not: false
  // (nothing changed) when that is not a whole page, wraps, or overlaps
  // another active range while active.
  bool move(uint8_t slot, uint64_t first, bool active);

  // Whether [first, first + bytes) may be the active range in `slot`: it
  // overlaps no other active range.
  bool free_for(uint8_t slot, uint64_t first, uint64_t bytes) const {
    return !overlaps_active(first, bytes, slot);
  }

  // The active range holding `address` (0: none).
  uint8_t slot_of(uint64_t address) const;
  // Whether [address, address + bytes) touches an active range.
  bool touches(uint64_t address, uint64_t bytes) const;

  const Range& range(uint8_t slot) const { return ranges_[slot]; }
  unsigned ranges() const { return count_; }

 private:
  bool overlaps_active(uint64_t first, uint64_t bytes, uint8_t except) const;

  Range ranges_[max_ranges + 1];
  uint8_t count_;
};

}  // namespace devices
