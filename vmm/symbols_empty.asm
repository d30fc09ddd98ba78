; The symbol table of the VMM's first link: empty, in the same section as the
; real one (build/gen/vmm_symbols.asm) that the second link uses.
section .vmm_symbols progbits alloc noexec nowrite align=8
global vmm_symbol_table
vmm_symbol_table:
    dd 0, 8
