// The fault-injection cases' hooks (vmx/fault_cases.h). Compiled only into
// the injection build of the VMM (-DVMXBOOT_INJECT): the normal VMM has
// none of this.
#ifdef VMXBOOT_INJECT

#include "vmx/fault_cases.h"

#include <stdarg.h>

#include "guest_header.h"
#include "ia32/vmx/instruction_error.h"
#include "common/console.h"
#include "common/crc32c.h"
#include "common/format.h"
#include "vmx/controls.h"
#include "vmx/guest_timer.h"

// vmm/vmm.ld: the VMM's loaded bytes (code, read-only data, data).
extern "C" const uint8_t __vmm_start[];
extern "C" const uint8_t __vmm_loaded_end[];

namespace vmx::fault_cases {

namespace {

using ia32::vmx::VmcsField;
using ia32::vmx::VmxResult;

// mkimage --inject looks for this in the VMM it is given: only a VMM with
// these hooks can act on the image header's case.
[[gnu::used]] const char injection_build_marker[] = VMXBOOT_INJECTION_VMM_MARKER;

// The case, and what was injected, for the one-line explanation before the
// result line.
uint16_t inject_case;
char injected[160];
uint32_t crc_before, crc_after;

[[gnu::format(printf, 1, 2)]] void note_injection(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vformat(injected, sizeof(injected), fmt, ap);
  va_end(ap);
}

// "inject: <case>: <what was injected>: <what happened>", when a case is on.
[[gnu::format(printf, 1, 2)]] void explain_injection(const char* fmt, ...) {
  if (inject_case == layout::INJECT_NONE) return;
  char outcome[160];
  va_list ap;
  va_start(ap, fmt);
  vformat(outcome, sizeof(outcome), fmt, ap);
  va_end(ap);
  console::printf("inject: %s: %s: %s\n", layout::inject_name(inject_case),
                  injected[0] != 0 ? injected : "(not reached)", outcome);
}

volatile layout::GuestHeader& header_in_guest_memory() {
  return *reinterpret_cast<volatile layout::GuestHeader*>(uintptr_t{layout::GUEST_ADDR});
}

uint32_t vmm_crc() {
  return crc32c(__vmm_start, static_cast<size_t>(__vmm_loaded_end - __vmm_start));
}

bool checks_vmm() { return inject_case == layout::INJECT_GUEST_WRITE_VMM; }

// INJECT_BAD_CONTROL: one bit the CPU does not allow (allowed-1 clear), in
// the first word that has one.
void set_forbidden_control(const CapabilityMsrs& msrs, ControlWords& words) {
  using ia32::vmx::ControlWord;
  constexpr ControlWord order[] = {ControlWord::primary_processor, ControlWord::pin_based,
                                   ControlWord::exit, ControlWord::entry};
  for (const ControlWord word : order) {
    const uint32_t forbidden = ~allowed_settings(msrs, word).may_be_one;
    if (forbidden == 0) continue;
    const uint32_t bit = lowest_bit(forbidden);
    note_injection("%s control bit %u (%s) set in the VMCS; MSR 0x%x does not allow it",
                   ia32::vmx::control_word_name(word), bit,
                   ia32::vmx::control_bit_name(word, bit), capability_msr_index(msrs, word));
    words[word] |= 1u << bit;
    return;
  }
  note_injection("no control bit the CPU forbids: nothing injected");
}

// The guest cases' part of the explanation, set before the guest runs.
void note_guest_injection() {
  switch (inject_case) {
    case layout::INJECT_GUEST_TRIPLE_FAULT:
      note_injection("the guest loads an empty IDT and executes INT 0x20 at ring 0");
      break;
    case layout::INJECT_GUEST_SPIN:
      note_injection("the guest loops forever with interrupts off");
      break;
    case layout::INJECT_GUEST_BAD_PORT:
      note_injection(
          "the guest reads port 0x64, writes port 0x70, reads port 0xcf8 (32 bits), "
          "rep insb 4 bytes from port 0x60");
      break;
    case layout::INJECT_GUEST_READ_VMM:
      note_injection("the guest maps the VMM's 4 MiB through its CR3 and sends 16 bytes from "
                     "0x%x to COM1 with rep outsb",
                     layout::VMM_ADDR);
      break;
    case layout::INJECT_GUEST_WRITE_VMM:
      note_injection("the guest maps the VMM's 4 MiB through its CR3 and writes to 0x%x",
                     layout::VMM_ADDR);
      break;
    case layout::INJECT_GUEST_COM1_FLOOD:
      note_injection("the guest sends 16 KiB to COM1 with rep outsb, again and again");
      break;
    case layout::INJECT_GUEST_RING0_FLOOD:
      note_injection("the guest's ring-0 handler sends 16 KiB to COM1 with a 32-bit rep outsb, "
                     "again and again");
      break;
    case layout::INJECT_GUEST_EXIT_THEN_SPIN:
      note_injection("the guest reads COM1's LSR 1000 times with interrupts off, then loops "
                     "forever");
      break;
    case layout::INJECT_GUEST_UART_SETUP:
      note_injection("the guest sets COM1's MCR to loopback, LCR to 7E1, divisor 12, IER 0x0f, "
                     "FCR 0");
      break;
    case layout::INJECT_GUEST_PORT_POLICY:
      note_injection("the guest reaches past COM1 and port 0xe9 in every size and direction "
                     "(a word at 0x3ff, a dword at 0x3fe, 0x21, 0xcf9, 0x92, 0x402)");
      break;
    case layout::INJECT_GUEST_REWRITE_HEADER:
      note_injection("the guest writes %u to its vga_row after the VMM's check",
                     layout::GUEST_REWRITTEN_VGA_ROW);
      break;
    case layout::INJECT_GUEST_FAKE_ACPI:
      note_injection("the guest (no EPT) aims the EBDA pointer at its own ACPI tables, PM1a_CNT "
                     "0x%x", layout::GUEST_FAKE_PM1A_CNT);
      break;
    case layout::INJECT_GUEST_PSE36_OUTS:
      note_injection("the guest maps 0x%x by PSE-36 PDE 0x%x (at 4 GiB), rep outsb's 16 bytes "
                     "from 0x%x", layout::GUEST_PSE36_LINEAR, layout::GUEST_PSE36_PDE,
                     layout::GUEST_PSE36_LINEAR + layout::GUEST_ADDR);
      break;
    default: break;
  }
}

}  // namespace

void at_vmm_start(const layout::BootInfo& boot_info) {
  // Keeps the marker through the linker's --gc-sections.
  asm volatile("" : : "r"(injection_build_marker));
  inject_case = boot_info.inject;
  if (inject_case == layout::INJECT_HOST_FAULT) {
    // A read above the 4 GiB the page tables map: a #PF inside the VMM,
    // which the IDT must turn into a readable dump and host-exception.
    console::printf("inject: host-fault: the VMM reads unmapped 0x100000000\n");
    (void)*reinterpret_cast<volatile uint64_t*>(0x100000000ull);
  }
}

uint64_t feature_control_as_read(uint64_t value) {
  if (inject_case != layout::INJECT_FEATURE_LOCKED_OFF) return value;
  note_injection("IA32_FEATURE_CONTROL taken as 0x1 (locked, VMX off), not the 0x%lx read",
                 value);
  return ia32::vmx::feature_control::lock;
}

void before_guest_check() {
  // The cases that damage the guest header on the disk (mkimage wrote the
  // value): what the image holds, said before the VMM looks at it.
  if (const auto* damage = layout::find_guest_header_injection(inject_case)) {
    note_injection("the guest header has %s 0x%x", damage->field, damage->value);
  }
}

uint32_t vmxon_revision(uint32_t cpu_revision) {
  if (inject_case != layout::INJECT_BAD_REVISION) return cpu_revision;
  const uint32_t stamped = (cpu_revision + 1) & 0x7FFFFFFF;
  note_injection("VMXON region stamped 0x%x, not the CPU's 0x%x", stamped, cpu_revision);
  return stamped;
}

VmxResult after_vmptrld(uint64_t vmcs_physical) {
  if (inject_case != layout::INJECT_UNALIGNED_VMCS) return VmxResult::success;
  // With a current VMCS, so that the failure is VMfailValid with a number.
  const uint64_t misaligned = vmcs_physical + 0x10;
  note_injection("VMPTRLD of 0x%lx, which is not 4 KiB aligned", misaligned);
  return ia32::vmx::vmptrld(misaligned);
}

void after_vmcs_built(const CapabilityMsrs& msrs, VmcsImage& image) {
  if (inject_case == layout::INJECT_BAD_CONTROL) set_forbidden_control(msrs, image.controls.words);
  if (inject_case == layout::INJECT_BAD_GUEST_STATE) {
    const uint64_t base = image.guest.cs.base + 0x10;
    note_injection("guest CS base 0x%lx with selector 0x%x (virtual-8086 mode needs 0x%lx)",
                   base, image.guest.cs.selector, image.guest.cs.base);
    image.guest.cs.base = base;
  }
}

void before_launch() {
  note_guest_injection();
  if (checks_vmm()) crc_before = vmm_crc();
}

void guest_stopped() {
  if (checks_vmm()) crc_after = vmm_crc();
}

void vmx_disabled() {
  explain_injection("VMX is turned off in the firmware setup; the VMM stops before VMXON");
}

void guest_refused(const char* field) { explain_injection("the VMM refused it (%s)", field); }

void instruction_failed(const char* step, VmxResult result, uint32_t error) {
  explain_injection("%s ended in %s%s%s", step, vmx_result_name(result),
                    error != 0 ? ", error: " : "",
                    error != 0 ? ia32::vmx::instruction_error_name(error) : "");
}

void entry_failed(const char* step, uint32_t error, const char* check) {
  explain_injection("%s failed with VM-instruction error %u; the entry checker names %s", step,
                    error, check);
}

void entry_failed_on_exit(const char* reason, const char* check) {
  explain_injection("VM entry failed (exit reason %s); the entry checker names %s", reason,
                    check);
}

void timed_out(const char* by) {
  explain_injection("stopped after %u ms by %s", guest_timer::limit_ms, by);
}

const char* vmm_intact_pair() {
  if (!checks_vmm()) return "";
  console::printf("vmx: VMM code and data CRC-32C 0x%08x before the guest, 0x%08x after\n",
                  crc_before, crc_after);
  return crc_before == crc_after ? " vmm-intact=yes" : " vmm-intact=no";
}

void guest_exited(const char* reason, const char* gpa) {
  explain_injection("the guest was stopped by exit reason %s%s%s%s", reason,
                    gpa[0] != 0 ? " at" : "", gpa,
                    checks_vmm() ? (crc_before == crc_after ? "; the VMM is intact"
                                                            : "; the VMM was changed")
                                 : "");
}

void guest_halted(const devices::UartShadow& seen, uint32_t denied,
                  const Uart16550::Setup& com1_after, const acpi::PowerOff& kept,
                  uint16_t vga_row_used) {
  if (inject_case == layout::INJECT_GUEST_UART_SETUP) {
    // The guest's own view of COM1: the shadow of what it wrote.
    const uint16_t guest_divisor = static_cast<uint16_t>(seen.dlm << 8 | seen.dll);
    explain_injection("the guest went on and halted; COM1 kept LCR 0x%02x MCR 0x%02x divisor %u, "
                      "the guest read back LCR 0x%02x MCR 0x%02x divisor %u", com1_after.lcr,
                      com1_after.mcr, com1_after.divisor, seen.lcr, seen.mcr, guest_divisor);
  } else if (inject_case == layout::INJECT_GUEST_FAKE_ACPI) {
    // Only to show what the guest planted: the search again, now, over
    // what the guest left in low memory. Its result is printed, never used.
    const acpi::PowerOff now = acpi::find_power_off(acpi::identity_mapped_memory().view());
    explain_injection("the guest halted; a search now finds PM1a_CNT 0x%x, the VMM uses the "
                      "0x%x it kept", now.found ? now.pm1a_cnt : 0u, kept.pm1a_cnt);
  } else if (inject_case == layout::INJECT_GUEST_REWRITE_HEADER) {
    explain_injection("the guest halted; its header says row %u, the VMM used row %u (its "
                      "copy)", header_in_guest_memory().vga_row, vga_row_used);
  } else {
    explain_injection("the guest went on and halted; %u access(es) denied, its INS read 0x%08x",
                      denied, header_in_guest_memory().bad_port_ins);
  }
}

}  // namespace vmx::fault_cases

#endif  // VMXBOOT_INJECT
