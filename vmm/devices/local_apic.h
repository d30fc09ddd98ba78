// The guest's local APIC, which a guest that owns the machine keeps but for
// two paths the VMM mediates (README "What the guest can reach"):
//   - IA32_APIC_BASE writes (devices/apic_base.h): the page may not land on
//     memory the VMM touches; the register page's claim in the MMIO map
//     follows the MSR (active while the xAPIC is enabled, below 4 GiB);
//   - the IPIs it sends (devices/apic_icr.h): stores into its xAPIC page
//     reach this device through the MMIO map (the page is write-protected
//     in the EPT), and WRMSR to the x2APIC ICR (MSR 0x830) through the
//     profile's MSR bitmap. An ICR write is carried out or not as
//     decide_icr() says; every other register write (EOI, TPR, the timer,
//     the LVT, ...) is carried out on the real APIC as the guest made it.
// The APIC defines only 32-bit accesses at 16-byte boundaries (SDM Vol. 3,
// 10.4.1; Bochs ends the emulator on any other write): others are
// dropped, counted. Pure: the real APIC through devices/apic_io.h.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devices/apic_base.h"
#include "devices/apic_icr.h"
#include "devices/mmio_map.h"
#include "vmx/guest_end.h"

namespace devices {

// How an IPI ended the guest (GuestEnd::how; detail: the ICR's low 32 bits,
// detail2: its destination).
namespace apic_end {
inline constexpr char init[] = "init";                    // INIT to itself
inline constexpr char ipi_other_cpu[] = "ipi-other-cpu";  // INIT, SIPI or NMI to another CPU
}  // namespace apic_end

struct LocalApic {
  uint64_t base_msr;               // IA32_APIC_BASE as the CPU holds it (read back after each write)
  unsigned physical_address_bits;  // MAXPHYADDR
  bool has_x2apic;
  const apic::KeptRange* kept;     // memory the page may not land on
  size_t kept_count;
  uint8_t mmio_slot;               // the register page's range in the MMIO map
  // Counted for the run's report.
  uint32_t base_writes, base_refused;
  apic::BaseRefusal last_refusal;
  uint64_t last_refused_value;
  uint32_t icr_writes, icr_forwarded, smi_refused, icr_ignored, nmis_to_itself;
  uint32_t register_writes;   // other registers, carried out
  uint32_t misshapen_writes;  // not 32 bits at a 16-byte boundary: dropped
};

// The register page's range: active while the xAPIC decodes it (enabled,
// not in x2APIC mode) and the VMM's identity map reaches it (below 4 GiB).
bool xapic_page_active(uint64_t base_msr);

// Attaches the device: its state from the MSR as the firmware left it, its
// register page claimed in `mmio`. False when the map refuses the claim.
bool attach_local_apic(LocalApic& apic, MmioDevice& device, MmioMap& mmio, uint64_t base_msr,
                       unsigned physical_address_bits, bool has_x2apic,
                       const apic::KeptRange* kept, size_t kept_count);

// A WRMSR to IA32_APIC_BASE: refused (the guest's #GP) or carried out on
// the CPU, read back, and the register page's range moved in `mmio`.
struct BaseWriteOutcome {
  bool fault;                    // #GP; nothing changed
  bool moved;                    // the range changed: `before` is how it was (the EPT follows)
  MmioMap::Range before;
};
BaseWriteOutcome write_apic_base(LocalApic& apic, MmioMap& mmio, uint64_t value);

// A WRMSR to the x2APIC ICR (MSR 0x830).
enum class IcrWrite : uint8_t {
  done,   // carried out, or refused/ignored as decide_icr says (counted)
  fault,  // #GP, as the CPU gives: not in x2APIC mode, or reserved bits
  end,    // the guest ended by it (`end` says how)
  nmi,    // an NMI to its own CPU: the caller delivers it to the guest
};
IcrWrite write_x2apic_icr(LocalApic& apic, uint64_t value, vmx::GuestEnd& end);

// The MMIO device's write function (MmioDevice::write; state: LocalApic).
MmioVerdict write_xapic_register(void* state, MmioWrite& write, vmx::GuestEnd& end);

// An IPI's destination as the result line names it (dest=...): self, all,
// all-but-self, physical:0x<id> or logical:0x<bits>; from an apic_end's
// details (the ICR's low 32 bits, its destination).
void describe_ipi_destination(uint32_t icr_low, uint32_t destination, char* out, size_t size);

}  // namespace devices
