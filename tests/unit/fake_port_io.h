// The hardware the devices reach (vmm/devices/port_io.h), faked for the
// host tests: every OUT recorded, every IN answered from a table (all ones
// where nothing is set, as a bus with nothing on it), and a TSC that
// advances by one at each read.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
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
// Where set, answers every IN first (a device behind an address register,
// such as PCI configuration space); returning nothing falls back to `inputs`.
extern std::function<std::optional<uint32_t>(uint16_t port, unsigned bytes)> in_hook;

void reset();
// The bytes written to `port`, in order.
std::vector<uint8_t> bytes_out_to(uint16_t port);

}  // namespace fake_port_io
