#include "devices/io_apic.h"

#include "devices/apic_io.h"

namespace devices {

MmioVerdict write_io_apic(void* state, MmioWrite& w, vmx::GuestEnd&) {
  IoApics& a = *static_cast<IoApics*>(state);
  const uint64_t page = w.address & ~(MmioMap::page_bytes - 1);
  const uint64_t offset = w.address - page;
  if (w.bytes != 4 || offset % 4 != 0) {
    ++a.misshapen_writes;
    return MmioVerdict::deny;
  }
  if (w.exchange) w.old = apic_mmio_read(w.address);
  if (offset == io_apic::window_offset) {
    const uint32_t select = apic_mmio_read(page + io_apic::select_offset);
    const uint32_t value = static_cast<uint32_t>(w.value);
    if (io_apic::refused_delivery(select, value) != nullptr) {
      ++(((value >> 8) & 7) == io_apic::delivery_smi ? a.refused_smi : a.refused_init);
      a.last_refused_at = page;
      a.last_refused_entry = ((select & 0xFF) - io_apic::first_redirection) / 2;
      a.last_refused_value = value;
      return MmioVerdict::done;  // dropped: the entry keeps what it held
    }
  }
  ++a.writes;
  apic_mmio_write(w.address, static_cast<uint32_t>(w.value));
  return MmioVerdict::done;
}

}  // namespace devices
