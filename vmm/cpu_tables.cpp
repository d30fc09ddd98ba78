#include "cpu_tables.h"

#include "ia32/exceptions.h"
#include "common/descriptors.h"

extern "C" const uint64_t exception_stubs[exception_vectors];  // isr.asm

namespace cpu_tables {
namespace {

using namespace descriptors;

// A 64-bit TSS (SDM Vol. 3A 7.7): no I/O bitmap (its offset points past the
// limit), no stack switches: exceptions run on the VMM's stack.
struct [[gnu::packed]] Tss64 {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t io_map_base;
};
static_assert(sizeof(Tss64) == 104);

alignas(16) Tss64 tss = {0, {}, 0, {}, 0, 0, sizeof(Tss64)};
alignas(16) uint64_t gdt[5];
alignas(16) Descriptor128 idt[exception_vectors];

}  // namespace

void install() {
  gdt[0] = 0;
  gdt[selector_code64 / 8] = code64_descriptor();
  gdt[selector_data / 8] = data_flat_descriptor();
  const Descriptor128 tss_descriptor =
      tss64_descriptor(reinterpret_cast<uint64_t>(&tss), sizeof(Tss64) - 1);
  gdt[selector_tss / 8] = tss_descriptor.low;
  gdt[selector_tss / 8 + 1] = tss_descriptor.high;
  for (uint32_t v = 0; v < exception_vectors; ++v) {
    idt[v] = idt_gate64(selector_code64, exception_stubs[v]);
  }
  const TableRegister64 gdtr = {sizeof(gdt) - 1, reinterpret_cast<uint64_t>(gdt)};
  const TableRegister64 idtr = {sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)};
  asm volatile(
      "lgdt %[gdtr]\n\t"
      "mov %[data], %%ds\n\t"
      "mov %[data], %%es\n\t"
      "mov %[data], %%ss\n\t"
      "xor %%eax, %%eax\n\t"
      "mov %%eax, %%fs\n\t"
      "mov %%eax, %%gs\n\t"
      // A far return reloads CS with the new code selector.
      "pushq %[code]\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "lretq\n"
      "1:\n\t"
      "ltr %w[tss]\n\t"
      "lidt %[idtr]"
      :
      : [gdtr] "m"(gdtr), [idtr] "m"(idtr), [data] "r"(uint32_t{selector_data}),
        [code] "i"(selector_code64), [tss] "r"(uint32_t{selector_tss})
      : "rax", "memory");
}

uint64_t gdt_base() { return reinterpret_cast<uint64_t>(gdt); }
uint64_t idt_base() { return reinterpret_cast<uint64_t>(idt); }
uint64_t tss_base() { return reinterpret_cast<uint64_t>(&tss); }

}  // namespace cpu_tables
