; The VMM's first instruction (the ELF entry of build/vmm.elf).
;
; Entered from stage2 in 64-bit long mode, identity-mapped, interrupts off,
; RDI = the boot info. Clears .bss, switches to the first Vcpu's stack, runs the
; global constructors and calls vmm_main, which never returns.

bits 64
default rel

%include "layout.inc"

extern vmm_main
extern vcpus
extern __bss_start, __bss_end, __init_array_start, __init_array_end
global vmm_entry

section .entry progbits alloc exec nowrite align=16
vmm_entry:
        cli
        cld
        mov rbx, rdi                    ; the boot info, kept across the setup
        lea rdi, [__bss_start]          ; (16-byte aligned, vmm.ld)
        lea rcx, [__bss_end]
        sub rcx, rdi
        shr rcx, 3                      ; quadwords: Bochs counts every
        xor eax, eax                    ; iteration as an instruction
        rep stosq
        lea rsp, [vcpus + Vcpu_stack_end]   ; the first Vcpu's stack (vmx/vcpu.h)
        lea r12, [__init_array_start]
.constructors:
        lea rax, [__init_array_end]
        cmp r12, rax
        jae .main
        call [r12]
        add r12, 8
        jmp .constructors
.main:
        mov rdi, rbx
        call vmm_main
.stop:                                  ; (vmm_main does not return)
        cli
        hlt
        jmp .stop
