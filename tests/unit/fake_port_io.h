// The hardware the devices reach (vmm/devices/port_io.h), faked for the
// host tests: every OUT recorded, every IN answered from a table (all ones
// where nothing is set, as a bus with nothing on it), and a TSC that
// advances by one at each read. A test may put a device model behind the
// ports (`device`, e.g. fake_pci_bus.h's): it sees every access first.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace fake_port_io {

struct Out {
  uint16_t port;
  unsigned bytes;
  uint32_t value;
  bool operator==(const Out&) const = default;
};

// What the fake holds: cleared by reset().
extern std::vector<Out> outs;
extern std::map<uint16_t, uint32_t> inputs;
extern uint64_t tsc;
// A model of hardware behind some ports: in() true when it answered
// (value set); out() sees every write (recorded all the same).
struct Device {
  std::function<bool(uint16_t port, unsigned bytes, uint32_t& value)> in;
  std::function<void(uint16_t port, unsigned bytes, uint32_t value)> out;
};
extern Device device;

void reset();
// The bytes written to `port`, in order.
std::vector<uint8_t> bytes_out_to(uint16_t port);

}  // namespace fake_port_io
