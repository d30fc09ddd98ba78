; stage2's mode switches: from real mode to protected mode, where the
; 32-bit part (main32.cpp) runs under an IDT that reports its faults, then to
; long mode, where the VMM is moved to its address, and the VMM's first
; instruction, with RDI = the boot info.

%include "layout.inc"

BI equ BOOTINFO_ADDR
VMM equ BI + BootInfo_payloads + PAYLOAD_VMM * SIZEOF_LoadedPayload

SEL_CODE32 equ gdt.code32 - gdt
SEL_DATA   equ gdt.data - gdt
SEL_CODE64 equ gdt.code64 - gdt

extern stage2_main                      ; main32.cpp
extern stage2_exception                 ; main32.cpp
global enter_protected_mode

section .text
bits 16

enter_protected_mode:
        cli
        lgdt [gdt_descriptor]
        mov eax, cr0
        or eax, 1                       ; PE
        mov cr0, eax
        jmp dword SEL_CODE32:protected_mode

bits 32
protected_mode:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, STACK_TOP
        call install_idt
        push BI
        call stage2_main                ; returns once the VMM may run
        add esp, 4

        ; Long mode (SDM vol. 3 9.8.5): PAE, CR3, EFER.LME, then paging.
        mov eax, cr4
        or eax, 1 << 5                  ; PAE
        mov cr4, eax
        mov eax, PAGE_TABLES_ADDR
        mov cr3, eax
        mov ecx, 0xC0000080             ; IA32_EFER
        rdmsr
        or eax, 1 << 8                  ; LME
        wrmsr
        mov eax, cr0
        or eax, 1 << 31                 ; PG
        mov cr0, eax
        jmp SEL_CODE64:long_mode

; An IDT for the 32 exception vectors, so that a fault in the C++ part is
; reported (stage2_exception ends the run) instead of triple-faulting. Every
; stub is 16 bytes at exception_stubs + 16 * vector.
install_idt:
        mov edi, idt
        mov eax, exception_stubs
        xor ecx, ecx
.gate:
        mov edx, eax
        mov [edi], dx                   ; offset 15:0
        mov word [edi + 2], SEL_CODE32
        mov word [edi + 4], 0x8E00      ; present, DPL 0, 32-bit interrupt gate
        shr edx, 16
        mov [edi + 6], dx               ; offset 31:16
        add edi, 8
        add eax, 16
        inc ecx
        cmp ecx, EXCEPTION_VECTORS
        jb .gate
        lidt [idt_descriptor]
        ret

%macro EXCEPTION_STUB 1
align 16
        %if ((EXCEPTION_ERROR_CODE_MASK >> %1) & 1) == 0
        push 0                          ; the CPU pushed no error code
        %endif
        push %1
        jmp exception_common
%endmacro

align 16
exception_stubs:
%assign v 0
%rep EXCEPTION_VECTORS
        EXCEPTION_STUB v
%assign v v + 1
%endrep

exception_common:                       ; [esp] vector, error code, EIP
        call stage2_exception           ; (does not return)
.stop:
        cli
        hlt
        jmp .stop

bits 64
long_mode:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        rdtsc
        mov [BI + BootInfo_tsc_long_mode], eax
        mov [BI + BootInfo_tsc_long_mode + 4], edx

        ; The VMM from the staging area, where stage2_main checked it, to
        ; its address: 8 bytes a MOVSQ in this mode, 4 a MOVSD in the 32-bit
        ; part. (Up to 7 bytes past its end land in its memory above, where
        ; its .bss begins. The IDT is the 32-bit part's: nothing here may
        ; fault, and stage2_main checked that RAM covers the VMM's memory.)
        ; Its first byte is its entry.
        mov esi, [VMM + LoadedPayload_read_addr]
        mov edi, [VMM + LoadedPayload_load_addr]
        mov ecx, [VMM + LoadedPayload_size]
        add ecx, 7
        shr ecx, 3
        rep movsq
        mov edi, BI
        mov eax, [VMM + LoadedPayload_load_addr]
        jmp rax

section .data
align 8
gdt:
        dq 0
.code32: dq 0x00CF9A000000FFFF          ; flat 32-bit code, ring 0
.data:   dq 0x00CF92000000FFFF          ; flat data, ring 0
.code64: dq 0x00AF9A000000FFFF          ; 64-bit code (L), ring 0
gdt_end:

gdt_descriptor:
        dw gdt_end - gdt - 1
        dd gdt

idt_descriptor:
        dw EXCEPTION_VECTORS * 8 - 1
        dd idt

section .bss
align 8
idt:    resq EXCEPTION_VECTORS
