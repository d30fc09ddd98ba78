#include "fake_port_io.h"

#include "devices/port_device.h"
#include "devices/port_io.h"

namespace fake_port_io {

std::vector<Out> outs;
std::map<uint16_t, uint32_t> inputs;
uint64_t tsc;
std::function<std::optional<uint32_t>(uint16_t, unsigned)> in_hook;

void reset() {
  outs.clear();
  inputs.clear();
  tsc = 0;
  in_hook = nullptr;
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
  if (fake_port_io::in_hook) {
    if (const auto value = fake_port_io::in_hook(port, bytes)) return *value;
  }
  const auto it = fake_port_io::inputs.find(port);
  return it != fake_port_io::inputs.end() ? it->second : size_mask(bytes);
}

void port_out(uint16_t port, unsigned bytes, uint32_t value) {
  fake_port_io::outs.push_back({port, bytes, value});
}

uint64_t read_tsc() { return fake_port_io::tsc++; }

}  // namespace devices
