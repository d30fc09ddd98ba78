#include "cpu_tables.h"

extern "C" const uint64_t exception_stubs[exception_vectors];  // isr.asm

namespace cpu_tables {

using namespace descriptors;

void install(HostTables& t) {
  t.tss = Tss64{0, {}, 0, {}, 0, 0, sizeof(Tss64)};
  t.gdt[0] = 0;
  t.gdt[selector_code64 / 8] = code64_descriptor();
  t.gdt[selector_data / 8] = data_flat_descriptor();
  const Descriptor128 tss_descriptor =
      tss64_descriptor(reinterpret_cast<uint64_t>(&t.tss), sizeof(Tss64) - 1);
  t.gdt[selector_tss / 8] = tss_descriptor.low;
  t.gdt[selector_tss / 8 + 1] = tss_descriptor.high;
  for (uint32_t v = 0; v < exception_vectors; ++v) {
    t.idt[v] = idt_gate64(selector_code64, exception_stubs[v]);
  }
  const TableRegister64 gdtr = {sizeof(t.gdt) - 1, reinterpret_cast<uint64_t>(t.gdt)};
  const TableRegister64 idtr = {sizeof(t.idt) - 1, reinterpret_cast<uint64_t>(t.idt)};
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

}  // namespace cpu_tables
