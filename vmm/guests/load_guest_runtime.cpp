// The guest's header, copied once from guest memory into the Machine and
// checked (guests/guest_header_check.h) before the VMM uses any of it; after
// the check nothing reads the header in guest memory again for a decision.
// The kind it names picks the guest's profile.
#include "guests/load_guest.h"

#include "common/console.h"
#include "common/end_run.h"
#include "guests/guest_header_check.h"
#include "vmx/fault_cases.h"

namespace guests {

const layout::GuestHeader& load_guest(const layout::BootInfo& boot_info,
                                      layout::GuestHeader& header) {
  const layout::LoadedPayload& payload = boot_info.payloads[layout::PAYLOAD_GUEST];
  if (payload.load_addr != layout::GUEST_ADDR) {
    end_run("guest-invalid", "field=load_addr load-addr=0x%x", payload.load_addr);
  }
  vmx::fault_cases::before_guest_check();
  auto* guest = reinterpret_cast<volatile uint8_t*>(uintptr_t{layout::GUEST_ADDR});
  const GuestHeaderProblem problem = copy_guest_header(guest, payload.size, header);
  if (!problem.ok()) {
    console::printf("vmx: guest header: %s: %s\n", problem.field, problem.problem);
    vmx::fault_cases::guest_refused(problem.field);
    end_run("guest-invalid", "field=%s problem=\"%s\"", problem.field, problem.problem);
  }
  // The tail (the V86 guest's page directory and stacks, the chain
  // loader's stack), all within memory_bytes (checked in 64 bits).
  auto* tail = reinterpret_cast<uint8_t*>(uintptr_t{layout::GUEST_ADDR} + header.image_bytes);
  __builtin_memset(tail, 0, header.memory_bytes - header.image_bytes);
  return header;
}

}  // namespace guests
