; bios_call(vector, regs): the one routine through which stage2's real-mode
; C++ calls the BIOS (stage2/bios_call.h). Called by -m16 C++ as a cdecl
; function: a 32-bit return address, then the arguments in 32-bit slots.
; Every register of the caller comes back as it was (the ABI wants EBX, ESI,
; EDI and EBP kept; DS and ES stay 0 for C++); the block gets the handler's
; registers and flags.

%include "layout.inc"

global bios_call

section .text
bits 16

bios_call:
        pushad
        push ds
        push es
.args   equ 32 + 2 + 2 + 4              ; above those pushes and the return
        movzx ebx, byte [esp + .args]   ; the vector
        mov eax, [ebx * 4]              ; its handler, from the vector table
        mov [bios_handler], eax         ;   at 0 (DS = 0)
        mov si, [esp + .args + 4]       ; the register block (below 64 KiB)
        push si                         ; (kept for after the call)
        mov eax, [si + BiosRegs_eax]
        mov ebx, [si + BiosRegs_ebx]
        mov ecx, [si + BiosRegs_ecx]
        mov edx, [si + BiosRegs_edx]
        mov edi, [si + BiosRegs_edi]
        mov ebp, [si + BiosRegs_ebp]
        mov es, [si + BiosRegs_es]
        push word [si + BiosRegs_ds]
        mov esi, [si + BiosRegs_esi]
        pop ds
        ; The handler entered as INT enters it: FLAGS, CS and IP pushed,
        ; interrupts off. It returns by IRET (or RETF 2, keeping its flags).
        ; A far call through the table, not an INT whose operand is patched:
        ; the vector is the caller's choice.
        pushf
        cli
        call far [cs:bios_handler]
        pushfd
        push ds
        push esi
        xor si, si
        mov ds, si
        mov si, sp
        mov si, [si + 4 + 2 + 4]        ; the block, under ESI, DS and EFLAGS
        pop dword [si + BiosRegs_esi]
        pop word [si + BiosRegs_ds]
        pop dword [si + BiosRegs_eflags]
        add sp, 2                       ; the block's address
        mov [si + BiosRegs_eax], eax
        mov [si + BiosRegs_ebx], ebx
        mov [si + BiosRegs_ecx], ecx
        mov [si + BiosRegs_edx], edx
        mov [si + BiosRegs_edi], edi
        mov [si + BiosRegs_ebp], ebp
        mov [si + BiosRegs_es], es
        pop es
        pop ds
        popad
        ; For C++ again: a BIOS keeps SP, not always ESP's upper half (POPAD
        ; does not load ESP), and a handler that returned by RETF 2 handed
        ; back its own DF.
        movzx esp, sp
        cld
        o32 ret

section .data
bios_handler: dd 0                      ; the handler's far pointer (offset, segment)
