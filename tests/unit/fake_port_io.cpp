#include "fake_port_io.h"

#include "devices/port_device.h"
#include "devices/port_io.h"

namespace fake_port_io {

std::vector<Out> outs;
std::map<uint16_t, uint32_t> inputs;
uint64_t tsc;
Device device;

void reset() {
  outs.clear();
  inputs.clear();
  tsc = 0;
  device = {};
}

std::vector<uint8_t> bytes_out_to(uint16_t port) {
  std::vector<uint8_t> bytes;
  for (const Out& o : outs) {
    if (o.port == port) bytes.push_back(static_cast<uint8_t>(o.value));
  }
  return bytes;
}

}  // namespace fake_port_io

namespace devices {

uint32_t port_in(uint16_t port, unsigned bytes) {
  uint32_t value = 0;
  if (fake_port_io::device.in && fake_port_io::device.in(port, bytes, value)) return value;
  const auto it = fake_port_io::inputs.find(port);
  return it != fake_port_io::inputs.end() ? it->second : size_mask(bytes);
}

void port_out(uint16_t port, unsigned bytes, uint32_t value) {
  if (fake_port_io::device.out) fake_port_io::device.out(port, bytes, value);
  fake_port_io::outs.push_back({port, bytes, value});
}

uint64_t read_tsc() { return fake_port_io::tsc++; }

}  // namespace devices
