// A device the VMM keeps on the guest's I/O ports (after BitVisor's
// drivers, which register their port handlers with the core): the VMM's
// virtual COM1, the power-off and reset paths it watches, ports it drops.
// A device claims port ranges in the port map (devices/port_map.h); an I/O
// exit at one of them is handed to the device with the access decoded, and
// the device says what becomes of it. The devices' decisions are pure and
// unit-tested; where one touches the real hardware it does so through
// devices/port_io.h, which the tests replace.
#pragma once

#include <stdint.h>

#include "vmx/guest_end.h"

namespace devices {

// One element of a trapped IN or OUT, as the guest made it.
struct PortAccess {
  uint16_t port;   // the first port it touches
  uint8_t bytes;   // 1, 2 or 4
  bool in;
  uint32_t value;  // OUT: what the guest writes (its size's bits);
                   // IN: what the guest reads, set by the device (done)
};

// What becomes of an access.
enum class PortVerdict : uint8_t {
  done,  // carried out or answered by the device itself
  pass,  // carried out on the real port, as the guest made it
  deny,  // not the guest's: an IN reads all ones (a bus with nothing on
         // it), an OUT goes nowhere; the VMM logs it
  end,   // the guest ended itself by it (the GuestEnd says how)
};

// The accesses a device lets through to the hardware unseen, by direction
// and size: bit (in ? 8 : 0) + (bytes - 1), which is the I/O exit
// qualification's bits 3:0 (SDM 28.2.1: size - 1 in 2:0, IN in bit 3).
// The exit handler carries those out on the real port without asking the
// device (its only per-access cost is this bit).
namespace passes {
inline constexpr uint16_t none = 0;
inline constexpr uint16_t out_byte = 1u << 0;
inline constexpr uint16_t in_any = 1u << 8 | 1u << 9 | 1u << 11;
}  // namespace passes
constexpr unsigned pass_bit(bool in, unsigned bytes) { return (in ? 8u : 0u) + bytes - 1; }

struct PortDevice {
  const char* name;
  PortVerdict (*access)(void* state, PortAccess& access, vmx::GuestEnd& end);
  void* state;
  uint16_t passes;  // passes::... : what it lets through unseen
};

// The mask of an access's size: the bits of the value it moves.
constexpr uint32_t size_mask(unsigned bytes) {
  return bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * bytes)) - 1;
}

// Whether an access of `bytes` at `port` touches [first, first + count):
// port numbers as the address decoder sees them, without wrapping at
// 0xFFFF (an access at 0xFFFF reaches no port 0).
constexpr bool touches(uint16_t port, unsigned bytes, uint16_t first, unsigned count) {
  return uint32_t{port} < uint32_t{first} + count && uint32_t{first} < uint32_t{port} + bytes;
}

// The bytes of an OUT that land on [first, first + 2), as the 16-bit
// value those two ports see (the rest of what they hold unknown: 0).
constexpr uint32_t bytes_at_word(uint16_t port, uint32_t value, uint16_t first) {
  return port >= first ? (value << (8 * (port - first))) & 0xFFFF
                       : (value >> (8 * (first - port))) & 0xFFFF;
}

}  // namespace devices
