// Which device keeps which I/O port: the one map that both fills the VMX
// I/O bitmaps (SDM 25.6.4: a set bit makes the port's accesses exit) and
// answers the exit handler's question "whose port is this?" in constant
// time, by a table of every port. A device claims ranges of ports
// (devices/port_device.h); a port no device claims is either the guest's
// own (not trapped: what the hardware does is what the guest gets) or, for
// a guest that may reach no hardware at all, denied (every port trapped).
// Pure: the VMM and the tests fill and ask the same map.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devices/port_device.h"

namespace devices {

class PortMap {
 public:
  // Ranges any profile may claim, slot 0 meaning none.
  static constexpr unsigned max_ranges = 31;

  enum class Unclaimed : uint8_t {
    guests,  // not trapped: the guest reaches the port itself
    denied,  // trapped and denied (PortVerdict::deny)
  };

  struct Range {
    uint16_t first;
    uint16_t count;
    const PortDevice* device;
    const char* in_name;   // for the run's report: what the guest reads there
    const char* out_name;  // and what it writes
  };

  // Empty: every port unclaimed, as `unclaimed` says.
  void reset(Unclaimed unclaimed);

  // [first, first + count) for `device`; false (nothing claimed) when the
  // range is empty, passes port 0xFFFF, overlaps a claimed one or the map
  // is full. A claim after fill_io_bitmaps traps its ports there too.
  bool claim(uint16_t first, uint16_t count, const PortDevice& device, const char* in_name,
             const char* out_name);

  // Moves the range in `slot` to start at `first` (a device whose ports a
  // guest moved, e.g. through a PCI BAR): false (nothing moved) when the
  // new range passes 0xFFFF or overlaps another range. The I/O bitmaps the
  // map filled (fill_io_bitmaps) move with it: the old ports trap no more
  // (unless unclaimed ones are denied), the new ones do.
  bool move(uint8_t slot, uint16_t first);

  // The slot of a single port (0: none claims it).
  [[gnu::always_inline]] uint8_t slot_of(uint16_t port) const { return slot_of_[port]; }

  // The slot that decides an access of `bytes` at `port`: the one range
  // every byte it touches lies in; else, where unclaimed ports are the
  // guest's, the one range some of its bytes touch (the device sees the
  // whole access and decides, e.g. a word OUT that reaches a kept port from
  // the one below); 0 for an access that touches no range, or that two
  // ranges share, or (denied unclaimed ports) any unclaimed port at all.
  [[gnu::always_inline]] uint8_t decider(uint16_t port, unsigned bytes) const {
    const uint8_t first = slot_of_[port];
    if (bytes == 1) return first;
    return wide_decider(port, bytes, first);
  }
  uint8_t wide_decider(uint16_t port, unsigned bytes, uint8_t first) const;

  const Range& range(uint8_t slot) const { return ranges_[slot]; }
  // Whether the slot's device lets this access through unseen (slot 0,
  // none, lets nothing through: it is denied).
  [[gnu::always_inline]] bool passes(uint8_t slot, bool in, unsigned bytes) const {
    return passes_coded(slot, devices::pass_bit(in, bytes));
  }
  // The same by the I/O exit qualification's bits 3:0 (pass_bit's coding).
  [[gnu::always_inline]] bool passes_coded(uint8_t slot, unsigned size_and_direction) const {
    return (passes_[slot] >> (size_and_direction & 15) & 1) != 0;
  }
  unsigned ranges() const { return count_; }
  Unclaimed unclaimed() const { return unclaimed_; }

  // The two 4 KiB VMX I/O bitmaps (A: ports 0x0000-0x7FFF, B: 0x8000-0xFFFF)
  // for this map: every port when unclaimed ones are denied, else the
  // claimed ones. The map keeps them in step from then on (move).
  void fill_io_bitmaps(uint8_t* bitmap_a, uint8_t* bitmap_b);

 private:
  uint8_t slot_of_[65536];
  uint16_t passes_[max_ranges + 1];  // each range's device's (one load on the exit path)
  Range ranges_[max_ranges + 1];
  uint8_t count_;
  Unclaimed unclaimed_;
  uint8_t* bitmap_a_;  // the bitmaps fill_io_bitmaps filled, or nullptr
  uint8_t* bitmap_b_;
};

// Whether the VMX I/O bitmaps trap `port`.
bool io_bitmap_traps(const uint8_t* bitmap_a, const uint8_t* bitmap_b, uint16_t port);
// Sets or clears `port`'s bit in them.
void set_io_bitmap_trap(uint8_t* bitmap_a, uint8_t* bitmap_b, uint16_t port, bool trap);

}  // namespace devices
