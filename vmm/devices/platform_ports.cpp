#include "devices/platform_ports.h"

#include "layout.h"
#include "devices/port_io.h"

namespace devices {

namespace {

constexpr uint8_t cf9_reset = 1u << 2;

PortVerdict end(vmx::GuestEnd& end, const char* how, uint32_t detail, uint32_t detail2) {
  end = {how, detail, detail2};
  return PortVerdict::end;
}

PortVerdict pm1_access(void* state, PortAccess& a, vmx::GuestEnd& e) {
  const uint16_t pm1a_cnt = static_cast<AcpiPm1*>(state)->pm1a_cnt;
  if (a.in) return PortVerdict::pass;
  // The 16-bit register as this write sets it (a byte write to its high
  // half carries SLP_EN in its bit 5).
  const uint32_t written = bytes_at_word(a.port, a.value, pm1a_cnt);
  if ((written & pm1_slp_en) != 0) return end(e, vmx::guest_end::poweroff, written, 0);
  return PortVerdict::pass;
}

PortVerdict reset_access(void*, PortAccess& a, vmx::GuestEnd& e) {
  if (a.in || a.bytes != 1) return PortVerdict::pass;
  const bool reset = a.port == reset_control_port && (a.value & cf9_reset) != 0;
  return reset ? end(e, vmx::guest_end::reset, a.port, a.value) : PortVerdict::pass;
}

PortVerdict apm_access(void* state, PortAccess& a, vmx::GuestEnd&) {
  if (a.in) return PortVerdict::pass;
  ApmControl& s = *static_cast<ApmControl*>(state);
  const uint8_t command = static_cast<uint8_t>(a.value);
  const bool enable = s.acpi_enable != 0 && command == s.acpi_enable;
  const bool disable = s.acpi_disable != 0 && command == s.acpi_disable;
  if (a.bytes == 1 && s.pm1a_cnt != 0 && (enable || disable)) {
    const uint32_t cnt = port_in(s.pm1a_cnt, 2);
    port_out(s.pm1a_cnt, 2, enable ? cnt | pm1_sci_en : cnt & ~pm1_sci_en);
    return PortVerdict::done;
  }
  ++s.writes_dropped;
  return PortVerdict::done;  // no SMI
}

PortVerdict panic_access(void*, PortAccess& a, vmx::GuestEnd& e) {
  return a.in ? PortVerdict::pass : end(e, vmx::guest_end::bios_panic, a.port, a.value);
}

PortVerdict shutdown_access(void*, PortAccess& a, vmx::GuestEnd& e) {
  return a.in ? PortVerdict::pass : end(e, emulator_shutdown, a.port, a.value);
}

PortVerdict bench_access(void*, PortAccess& a, vmx::GuestEnd&) {
  return !a.in && a.bytes == 1 ? PortVerdict::pass : PortVerdict::deny;
}

}  // namespace

PortDevice acpi_pm1_device(AcpiPm1& pm1) {
  return {"ACPI PM1a_CNT", pm1_access, &pm1, passes::in_any};
}
PortDevice reset_device() { return {"reset", reset_access, nullptr, passes::in_any}; }
PortDevice apm_control_device(ApmControl& state) {
  return {"APM control", apm_access, &state, passes::in_any};
}
PortDevice emulator_panic_device() {
  return {"BIOS panic", panic_access, nullptr, passes::in_any};
}
PortDevice emulator_shutdown_device() {
  return {"emulator shutdown", shutdown_access, nullptr, passes::in_any};
}
// Its one kind of access needs no look: every exit of the benchmark's loop
// is decided by the port map alone.
PortDevice bench_port_device() {
  return {"benchmark", bench_access, nullptr, passes::out_byte};
}

}  // namespace devices
