// The VMM's accesses to guest memory on the guest's behalf (vmx/guest_memory.h).
#include "vmx/guest_memory.h"

#include "ia32/instructions.h"
#include "layout.h"
#include "vmx/ept.h"
#include "vmx/guest_paging.h"

namespace vmx {

namespace {

constexpr uint64_t no_ept_guest_limit = 4ull << 20;
static_assert(no_ept_guest_limit <= layout::VMM_ADDR);

// Whether the guest has guest-physical [address, address + bytes).
bool guest_owns(const GuestMemory& memory, uint64_t address, unsigned bytes) {
  switch (memory.kind) {
    case GuestMemory::Kind::ept:
      return ept_maps(*memory.ept, address) && ept_maps(*memory.ept, address + bytes - 1);
    case GuestMemory::Kind::first_4mib:
      return address + bytes <= no_ept_guest_limit;
    case GuestMemory::Kind::none:
      break;
  }
  return false;
}

// One byte of guest-linear memory as the guest at CPL 3 sees it.
// Guest-physical = host-physical (identity EPT, or none) = host-virtual
// below 4 GiB (the VMM's identity map). With EPT the guest's tables must lie
// in its memory; without, the walk starts at the page directory the VMM
// holds for it (MOV to CR3 exits), which the guest cannot write.
GuestAccess guest_byte(GuestMemory& memory, const GuestPaging& paging, uint64_t linear,
                       bool write, volatile uint8_t*& byte) {
  if (memory.kind == GuestMemory::Kind::none) return GuestAccess::not_guest_memory;
  auto read_physical32 = [&memory](uint64_t address, uint32_t* value) {
    if (memory.kind == GuestMemory::Kind::ept ? !guest_owns(memory, address, 4)
                                              : address > 0xFFFFFFFCull) {
      return false;
    }
    *value = *reinterpret_cast<const volatile uint32_t*>(address);
    return true;
  };
  uint64_t physical;
  if (linear > 0xFFFFFFFFull ||
      !guest_linear_to_physical(paging.cr3, paging.pse, memory.physical_address_bits,
                                static_cast<uint32_t>(linear), write, physical,
                                read_physical32)) {
    return GuestAccess::denied_at_cpl3;
  }
  if (!guest_owns(memory, physical, 1)) {
    memory.refused = physical;
    memory.refused_valid = true;
    return GuestAccess::not_guest_memory;
  }
  byte = reinterpret_cast<volatile uint8_t*>(physical);
  return GuestAccess::ok;
}

}  // namespace

GuestMemory guest_memory(GuestMemory::Kind kind, const EptTables* ept) {
  return {kind, ept, physical_address_bits(), false, 0};
}

GuestAccess read_guest_linear(GuestMemory& memory, const GuestPaging& paging, uint64_t linear,
                              unsigned bytes, uint32_t* value) {
  uint32_t result = 0;
  for (unsigned i = 0; i < bytes; ++i) {
    volatile uint8_t* byte;
    const GuestAccess access = guest_byte(memory, paging, linear + i, false, byte);
    if (access != GuestAccess::ok) return access;
    result |= static_cast<uint32_t>(*byte) << (8 * i);
  }
  *value = result;
  return GuestAccess::ok;
}

// All bytes are checked before any is written: a failed INS writes nothing.
GuestAccess write_guest_linear(GuestMemory& memory, const GuestPaging& paging, uint64_t linear,
                               unsigned bytes, uint32_t value) {
  volatile uint8_t* targets[4];
  for (unsigned i = 0; i < bytes; ++i) {
    const GuestAccess access = guest_byte(memory, paging, linear + i, true, targets[i]);
    if (access != GuestAccess::ok) return access;
  }
  for (unsigned i = 0; i < bytes; ++i) *targets[i] = static_cast<uint8_t>(value >> (8 * i));
  return GuestAccess::ok;
}

}  // namespace vmx
