// Prints abi/layout.h as NASM %defines, so assembly never retypes a
// constant or a structure offset. Run by the Makefile into build/gen/layout.inc.
#include <cstdio>

#include "guest_header.h"
#include "layout.h"
#include "../vmm/ia32/exceptions.h"
#include "../common/uart16550_registers.h"
#include "../vmm/vmx/exit_context.h"
#include "../vmm/vmx/vcpu.h"
#include "../stage2/bios_call.h"

using namespace layout;

int main() {
  std::printf("; generated from abi/layout.h by abi/gen_layout_inc.cpp: do not edit\n");
#define PRINT_CONSTANT(name, value) std::printf("%%define %s 0x%X\n", #name, name);
  VMXBOOT_CONSTANTS(PRINT_CONSTANT)
#define PRINT_OFFSET(type, field) \
  std::printf("%%define %s_%s %zu\n", #type, #field, offsetof(type, field));
  VMXBOOT_OFFSETS(PRINT_OFFSET)
#define PRINT_SIZE(type) std::printf("%%define SIZEOF_%s %zu\n", #type, sizeof(type));
  VMXBOOT_SIZES(PRINT_SIZE)
  std::printf("%%define IMAGE_MAGIC_LO 0x%08X\n", unsigned(IMAGE_MAGIC & 0xFFFFFFFFu));
  std::printf("%%define IMAGE_MAGIC_HI 0x%08X\n", unsigned(IMAGE_MAGIC >> 32));
  std::printf("%%define STAGE2_MAGIC 0x%08X\n", STAGE2_MAGIC);
  std::printf("%%define BOOTINFO_MAGIC 0x%08X\n", BOOTINFO_MAGIC);
#define PRINT_GUEST_HEADER_FIELD(field) \
  std::printf("%%define GuestHeader_%s %zu\n", #field, offsetof(GuestHeader, field));
  VMXBOOT_GUEST_HEADER_FIELDS(PRINT_GUEST_HEADER_FIELD)
  std::printf("%%define SIZEOF_GuestHeader %zu\n", sizeof(GuestHeader));
  std::printf("%%define GUEST_MAGIC 0x%08X\n", GUEST_MAGIC);
  std::printf("%%define GUEST_KIND_V86 %u\n", GUEST_KIND_V86);
  std::printf("%%define GUEST_KIND_CHAIN %u\n", GUEST_KIND_CHAIN);
  std::printf("%%define GUEST_VMCALL_HALTED 0x%08X\n", GUEST_VMCALL_HALTED);
  std::printf("%%define GUEST_VMCALL_FAULT 0x%08X\n", GUEST_VMCALL_FAULT);
  std::printf("%%define GUEST_VMCALL_CHAIN_FAILED 0x%08X\n", GUEST_VMCALL_CHAIN_FAILED);
  std::printf("%%define GUEST_VMCALL_INT15 0x%08X\n", GUEST_VMCALL_INT15);
#define PRINT_INJECT(constant, number, name, result) std::printf("%%define %s %u\n", #constant, number);
  VMXBOOT_INJECT_CASES(PRINT_INJECT)
#undef PRINT_INJECT
  unsigned error_code_mask = 0;
  for (uint32_t v = 0; v < exception_vectors; ++v) {
    if (exception_has_error_code(v)) error_code_mask |= 1u << v;
  }
  std::printf("%%define UART_IER %u\n", uart16550::IER);
  std::printf("%%define UART_FCR %u\n", uart16550::FCR);
  std::printf("%%define UART_LCR %u\n", uart16550::LCR);
  std::printf("%%define UART_MCR %u\n", uart16550::MCR);
  std::printf("%%define UART_LCR_DLAB 0x%02X\n", uart16550::LCR_DLAB);
  std::printf("%%define UART_LSR %u\n", uart16550::LSR);
  std::printf("%%define UART_LSR_THR_EMPTY 0x%02X\n", uart16550::LSR_THR_EMPTY);
  // COM1 set up as common/uart16550.cpp does: (value, register) byte pairs.
  std::printf("%%define UART_SETUP_PAIRS ");
  for (const uart16550::SetupStep& step : uart16550::setup) {
    std::printf("%s0x%02X, %u", &step == uart16550::setup ? "" : ", ", step.value, step.reg);
  }
  std::printf("\n");
  // The exit stub's context (vmm/vmx/exit_context.h): where each register
  // goes, the list it saves and loads, where it lies in the Vcpu
  // (vmm/vmx/vcpu.h), and the RFLAGS bits a failed VMLAUNCH/VMRESUME leaves.
#define PRINT_GUEST_REGISTER(name) \
  std::printf("%%define GuestRegisters_%s %zu\n", #name, offsetof(vmx::GuestRegisters, name));
  VMX_GUEST_REGISTERS(PRINT_GUEST_REGISTER)
#undef PRINT_GUEST_REGISTER
#define PRINT_GUEST_REGISTER_NAME(name) std::printf("%s%s", first ? "" : ", ", #name), first = false;
  bool first = true;
  std::printf("%%define GUEST_REGISTERS ");
  VMX_GUEST_REGISTERS(PRINT_GUEST_REGISTER_NAME)
  std::printf("\n");
#undef PRINT_GUEST_REGISTER_NAME
  std::printf("%%define ExitContext_registers %zu\n", offsetof(vmx::ExitContext, registers));
  std::printf("%%define Vcpu_context %zu\n", offsetof(vmx::Vcpu, context));
  std::printf("%%define Vcpu_launch_rsp %zu\n", offsetof(vmx::Vcpu, launch_rsp));
  std::printf("%%define Vcpu_stack_end %zu\n", offsetof(vmx::Vcpu, stack) + sizeof(vmx::Vcpu::stack));
  // Where the first Vcpu counts its exits by reason (make bench reads them
  // from the VMM's memory in the middle of a run).
  std::printf("%%define Vcpu_exits_by_reason %zu\n",
              offsetof(vmx::Vcpu, log) + offsetof(vmx::ExitLog, stats) +
                  offsetof(vmx::ExitStats, by_reason));
  std::printf("%%define ENTER_FAILURE_FLAGS 0x%llX\n",
              static_cast<unsigned long long>(vmx::enter_failure_flags));
  // stage2's BIOS-call block (stage2/bios_call.h).
#define PRINT_BIOS_REG(type, field) \
  std::printf("%%define BiosRegs_%s %zu\n", #field, offsetof(BiosRegs, field));
  STAGE2_BIOS_REGS(PRINT_BIOS_REG)
#undef PRINT_BIOS_REG
  std::printf("%%define EXCEPTION_VECTORS %u\n", exception_vectors);
  std::printf("%%define EXCEPTION_ERROR_CODE_MASK 0x%08X\n", error_code_mask);
  return 0;
}
