#include "vmx/mmio_ept.h"

namespace vmx {

namespace {

constexpr uint64_t all_access = ept_read | ept_write | ept_execute;

// The part of [first, first + bytes) below the identity EPT's limit, with
// `access`.
EptAccessChange set_below_limit(IdentityEptTables& t, uint64_t first, uint64_t bytes,
                                uint64_t access) {
  if (first >= identity_ept_limit) return EptAccessChange::done;
  if (bytes > identity_ept_limit - first) bytes = identity_ept_limit - first;
  return identity_ept_set_access(t, first, bytes, access);
}

}  // namespace

EptAccessChange protect_mmio_ranges(IdentityEptTables& t, const devices::MmioMap& map) {
  for (uint8_t slot = 1; slot <= map.ranges(); ++slot) {
    const devices::MmioMap::Range& r = map.range(slot);
    if (!r.active) continue;
    const EptAccessChange change = set_below_limit(t, r.first, r.bytes, mmio_guest_access);
    if (change != EptAccessChange::done) return change;
  }
  return EptAccessChange::done;
}

EptAccessChange follow_mmio_move(IdentityEptTables& t, const devices::MmioMap& map,
                                 const devices::MmioMap::Range& before, uint8_t slot) {
  const devices::MmioMap::Range& now = map.range(slot);
  if (now.active) {
    const EptAccessChange change = set_below_limit(t, now.first, now.bytes, mmio_guest_access);
    if (change != EptAccessChange::done) return change;
  }
  if (!before.active) return EptAccessChange::done;
  for (uint64_t page = before.first; page - before.first < before.bytes;
       page += devices::MmioMap::page_bytes) {
    if (map.touches(page, devices::MmioMap::page_bytes)) continue;
    const EptAccessChange change =
        set_below_limit(t, page, devices::MmioMap::page_bytes, all_access);
    if (change != EptAccessChange::done) return change;
  }
  return EptAccessChange::done;
}

}  // namespace vmx
