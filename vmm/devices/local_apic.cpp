#include "devices/local_apic.h"

#include "common/format.h"
#include "devices/apic_io.h"

namespace devices {

namespace {

constexpr uint64_t identity_map_limit = 4ull << 30;  // the VMM's identity map

// What decide_icr() said, carried out (forward) or counted; the ends named.
IcrWrite act_on(LocalApic& a, const apic::Icr& icr, const apic::ApicSelf& self,
                void (*send)(uint64_t where, uint64_t value), uint64_t where, uint64_t value,
                vmx::GuestEnd& end) {
  ++a.icr_writes;
  switch (apic::decide_icr(icr, self)) {
    case apic::IcrVerdict::forward:
      ++a.icr_forwarded;
      send(where, value);
      return IcrWrite::done;
    case apic::IcrVerdict::refuse_smi:
      ++a.smi_refused;
      return IcrWrite::done;
    case apic::IcrVerdict::ignore:
      ++a.icr_ignored;
      return IcrWrite::done;
    case apic::IcrVerdict::init_self:
      end = {apic_end::init, icr.low, icr.destination};
      return IcrWrite::end;
    case apic::IcrVerdict::other_cpu:
      end = {apic_end::ipi_other_cpu, icr.low, icr.destination};
      return IcrWrite::end;
    case apic::IcrVerdict::nmi_self:
      ++a.nmis_to_itself;
      return IcrWrite::nmi;
  }
  return IcrWrite::done;
}

void send_xapic(uint64_t where, uint64_t value) {
  apic_mmio_write(where, static_cast<uint32_t>(value));
}
void send_x2apic(uint64_t where, uint64_t value) {
  apic_msr_write(static_cast<uint32_t>(where), value);
}

}  // namespace

bool xapic_page_active(uint64_t base_msr) {
  return apic::mode_of(base_msr) == apic::Mode::xapic &&
         apic::page_of(base_msr) < identity_map_limit;
}

bool attach_local_apic(LocalApic& a, MmioDevice& device, MmioMap& mmio, uint64_t base_msr,
                       unsigned physical_address_bits, bool has_x2apic,
                       const apic::KeptRange* kept, size_t kept_count) {
  a = LocalApic{};
  a.base_msr = base_msr;
  a.physical_address_bits = physical_address_bits;
  a.has_x2apic = has_x2apic;
  a.kept = kept;
  a.kept_count = kept_count;
  device = {"local APIC", write_xapic_register, &a};
  a.mmio_slot = mmio.claim(apic::page_of(base_msr), apic::register_page_bytes, device,
                           "local-apic", xapic_page_active(base_msr));
  return a.mmio_slot != 0;
}

BaseWriteOutcome write_apic_base(LocalApic& a, MmioMap& mmio, uint64_t value) {
  ++a.base_writes;
  apic::BaseDecision decision = apic::decide_base_write(
      a.base_msr, value, a.physical_address_bits, a.has_x2apic, a.kept, a.kept_count);
  // The VMM's own refusal too: a page on another device's registers.
  if (decision.refusal == apic::BaseRefusal::none && xapic_page_active(value) &&
      !mmio.free_for(a.mmio_slot, apic::page_of(value), apic::register_page_bytes)) {
    decision.refusal = apic::BaseRefusal::kept_memory;
  }
  if (decision.refusal != apic::BaseRefusal::none) {
    ++a.base_refused;
    a.last_refusal = decision.refusal;
    a.last_refused_value = value;
    return {true, false, {}};
  }
  apic_msr_write(apic::base_msr, value);
  // The CPU may keep part of it (Bochs ignores every write while the APIC
  // is globally disabled): what it holds is what counts.
  a.base_msr = apic_msr_read(apic::base_msr);
  const MmioMap::Range before = mmio.range(a.mmio_slot);
  const uint64_t page = apic::page_of(a.base_msr);
  const bool active = xapic_page_active(a.base_msr);
  if (before.first == page && before.active == active) return {false, false, before};
  mmio.move(a.mmio_slot, page, active);  // checked free above (or the page it had)
  return {false, true, before};
}

IcrWrite write_x2apic_icr(LocalApic& a, uint64_t value, vmx::GuestEnd& end) {
  if (apic::mode_of(a.base_msr) != apic::Mode::x2apic || (value & apic::x2apic_icr_reserved) != 0) {
    return IcrWrite::fault;
  }
  const apic::ApicSelf self{static_cast<uint32_t>(apic_msr_read(apic::x2apic_id_msr)),
                            static_cast<uint32_t>(apic_msr_read(apic::x2apic_ldr_msr)), 0, true};
  return act_on(a, apic::x2apic_icr(value), self, send_x2apic, apic::x2apic_icr_msr, value, end);
}

MmioVerdict write_xapic_register(void* state, MmioWrite& w, vmx::GuestEnd& end) {
  LocalApic& a = *static_cast<LocalApic*>(state);
  const uint64_t page = apic::page_of(a.base_msr);
  const uint64_t offset = w.address - page;
  if (w.bytes != 4 || offset % 16 != 0 || offset >= apic::register_page_bytes) {
    ++a.misshapen_writes;
    return MmioVerdict::deny;
  }
  if (w.exchange) w.old = apic_mmio_read(w.address);
  if (offset != apic::icr_low_offset) {
    ++a.register_writes;
    apic_mmio_write(w.address, static_cast<uint32_t>(w.value));
    return MmioVerdict::done;
  }
  const apic::Icr icr = apic::xapic_icr(static_cast<uint32_t>(w.value),
                                        apic_mmio_read(page + apic::icr_high_offset));
  const apic::ApicSelf self = apic::xapic_self(apic_mmio_read(page + apic::id_offset),
                                               apic_mmio_read(page + apic::ldr_offset),
                                               apic_mmio_read(page + apic::dfr_offset));
  switch (act_on(a, icr, self, send_xapic, w.address, w.value, end)) {
    case IcrWrite::end: return MmioVerdict::end;
    case IcrWrite::nmi: return MmioVerdict::nmi;
    case IcrWrite::done:
    case IcrWrite::fault: break;
  }
  return MmioVerdict::done;
}

void describe_ipi_destination(uint32_t icr_low, uint32_t destination, char* out, size_t size) {
  const apic::Icr icr{icr_low, destination, false};
  if (const char* shorthand = apic::shorthand_name(icr.shorthand())) {
    format(out, size, "%s", shorthand);
  } else {
    format(out, size, "%s:0x%x", icr.logical() ? "logical" : "physical", destination);
  }
}

}  // namespace devices
