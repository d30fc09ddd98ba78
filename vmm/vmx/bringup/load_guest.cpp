// Phase 4: the guest's header, copied once from guest memory and checked
// (vmx/guest_header_check.h) before the VMM uses any of it; after the check
// nothing reads the header in guest memory again for a decision.
#include "vmx/bringup/phases.h"

#include "common/console.h"
#include "common/end_run.h"
#include "vmx/fault_cases.h"
#include "vmx/guest_header_check.h"

namespace vmx::bringup {

namespace {
layout::GuestHeader guest_header;  // the VMM's checked copy
}  // namespace

layout::GuestHeader& load_guest(const layout::BootInfo& boot_info) {
  const layout::LoadedPayload& payload = boot_info.payloads[layout::PAYLOAD_GUEST];
  if (payload.load_addr != layout::GUEST_ADDR) {
    end_run("guest-invalid", "field=load_addr load-addr=0x%x", payload.load_addr);
  }
  fault_cases::before_guest_check();
  auto* guest = reinterpret_cast<volatile uint8_t*>(uintptr_t{layout::GUEST_ADDR});
  const GuestHeaderProblem problem = copy_guest_header(guest, payload.size, guest_header);
  if (!problem.ok()) {
    console::printf("vmx: guest header: %s: %s\n", problem.field, problem.problem);
    fault_cases::guest_refused(problem.field);
    end_run("guest-invalid", "field=%s problem=\"%s\"", problem.field, problem.problem);
  }
  // The tail: the page directory and the stacks, then PDE 0 as the header
  // says (all within memory_bytes, checked in 64 bits). A chain loader has
  // no paging of its own: its tail is its stack.
  auto* tail = reinterpret_cast<uint8_t*>(uintptr_t{layout::GUEST_ADDR} + guest_header.image_bytes);
  __builtin_memset(tail, 0, guest_header.memory_bytes - guest_header.image_bytes);
  if (guest_header.kind == layout::GUEST_KIND_CHAIN) return guest_header;
  *reinterpret_cast<volatile uint32_t*>(guest + guest_header.page_directory_offset) =
      guest_header.pde0;
  return guest_header;
}

}  // namespace vmx::bringup
