#include "guests/v86_demo/devices.h"

#include "layout.h"
#include "devices/platform_ports.h"

namespace guests::v86_demo {

bool attach_devices(devices::PortMap& ports, State& s, uint64_t byte_wait_ticks) {
  ports.reset(devices::PortMap::Unclaimed::denied);
  s.com1_device = devices::com1_device(s.com1, byte_wait_ticks);
  s.bench_device = devices::bench_port_device();
  return devices::claim_com1(ports, s.com1_device) &&
         ports.claim(layout::BENCH_PORT, 1, s.bench_device, "benchmark", "benchmark");
}

}  // namespace guests::v86_demo
