// What the VMM does with an exception of its own: print everything a reader
// needs (vector by name, error code, RIP, CR2, the general registers) and end
// the run with result host-exception. There is no recovery: an exception in
// the VMM is a bug.
#include <stdint.h>

#include "ia32/exceptions.h"
#include "ia32/instructions.h"
#include "common/console.h"
#include "common/end_run.h"
#include "symbols.h"

// The stack as isr.asm leaves it, lowest address first.
struct ExceptionFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};

namespace {

// The error code as the SDM defines it for the vector (6.13, 4.7).
void print_error_code(uint32_t vector, uint64_t error) {
  if (!exception_has_error_code(vector)) return;
  if (vector == vector_page_fault) {
    console::printf("  #PF: %s, %s access, %s mode%s%s\n",
                    (error & 1) ? "protection violation" : "page not present",
                    (error & 2) ? "write" : (error & 16) ? "instruction fetch" : "read",
                    (error & 4) ? "user" : "supervisor",
                    (error & 8) ? ", reserved bit set" : "",
                    (error & 32) ? ", protection key" : "");
    return;
  }
  if (error != 0) {
    constexpr const char* tables[4] = {"GDT", "IDT", "LDT", "IDT"};
    console::printf("  error code: %s index %llu%s\n", tables[(error >> 1) & 3],
                    (unsigned long long)((error >> 3) & 0x1FFF),
                    (error & 1) ? ", external event" : "");
  }
}

}  // namespace

extern "C" [[noreturn]] void exception_entry(const ExceptionFrame* f) {
  const uint32_t vector = uint32_t(f->vector);
  console::printf("vmxboot: VMM exception %s (vector %u), error code 0x%llx\n",
                  exception_name(vector), vector, (unsigned long long)f->error_code);
  print_error_code(vector, f->error_code);
  uint64_t offset = 0;
  const char* symbol = nearest_vmm_symbol(f->rip, &offset);
  console::printf("  at %s+0x%llx\n", symbol ? symbol : "?", (unsigned long long)offset);
  if (vector == vector_page_fault) {
    console::printf("  cr2=%016llx: the address it touched\n", (unsigned long long)read_cr2());
  }
  console::printf("  rip=%016llx cs=%04llx rflags=%08llx rsp=%016llx ss=%04llx\n",
                  (unsigned long long)f->rip, (unsigned long long)f->cs,
                  (unsigned long long)f->rflags, (unsigned long long)f->rsp,
                  (unsigned long long)f->ss);
  console::printf("  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx\n",
                  (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
                  (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
  console::printf("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n",
                  (unsigned long long)f->rax, (unsigned long long)f->rbx,
                  (unsigned long long)f->rcx, (unsigned long long)f->rdx);
  console::printf("  rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx\n",
                  (unsigned long long)f->rsi, (unsigned long long)f->rdi,
                  (unsigned long long)f->rbp, (unsigned long long)f->r8);
  console::printf("  r9 =%016llx r10=%016llx r11=%016llx r12=%016llx\n",
                  (unsigned long long)f->r9, (unsigned long long)f->r10,
                  (unsigned long long)f->r11, (unsigned long long)f->r12);
  console::printf("  r13=%016llx r14=%016llx r15=%016llx\n", (unsigned long long)f->r13,
                  (unsigned long long)f->r14, (unsigned long long)f->r15);
  end_run("host-exception", "vector=%u error=0x%llx rip=0x%llx at=%s", vector,
          (unsigned long long)f->error_code, (unsigned long long)f->rip,
          symbol ? symbol : "?");
}
