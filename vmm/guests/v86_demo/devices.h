// The V86 demo's devices on the machine's port map: COM1 (devices/com1.h)
// and the benchmark's port; every other port is denied (trapped: the guest
// reaches no hardware but these). Pure: the profile and the tests attach
// the same ones.
#pragma once

#include <stdint.h>

#include "devices/port_map.h"
#include "guests/v86_demo/state.h"

namespace guests::v86_demo {

// False when the map refuses a claim. `byte_wait_ticks`: the most one COM1
// byte waits for the transmitter (vmx/guest_timer.h uart_byte_wait_ticks).
bool attach_devices(devices::PortMap& ports, State& state, uint64_t byte_wait_ticks);

}  // namespace guests::v86_demo
