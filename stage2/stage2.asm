; stage2 — from real mode to the VMM's first instruction: the assembly.
;
; Entered by stage1's `call STAGE2_ADDR` in real mode: CS = DS = ES = SS = 0,
; BP = BOOTINFO_ADDR, the boot info holding the drive, the disk method and the
; stage1 TSC; the return address on the stack is stage1's sector reader.
;
; Here is only what C++ cannot do: the first sector, which checks the rest
; of stage2 before any of it runs; the set-up C++ needs; the one routine
; through which C++ calls the BIOS (bios_call, stage2/bios_call.h); and the
; mode switches. The work is C++: the real-mode part (stage2/real_mode.cpp,
; built with -m16: the image header's check, A20, the E820 map, the payload
; reads), then in protected mode the 32-bit part (main32.cpp: the reports,
; the memory check, the payloads' CRC-32C and their move, the page tables,
; or the end of the run with a result line). Then this file enters long mode
; and jumps to the VMM with RDI = the boot info.

%include "layout.inc"

BI equ BOOTINFO_ADDR

SEL_CODE32 equ gdt.code32 - gdt
SEL_DATA   equ gdt.data - gdt
SEL_CODE64 equ gdt.code64 - gdt

extern stage2_real_mode                 ; real_mode.cpp (-m16)
extern stage2_main                      ; main32.cpp
extern stage2_exception                 ; main32.cpp
extern __stage2_bss_start, __stage2_bss_dwords  ; stage2.ld
global stage2_start
global bios_call

section .entry progbits alloc exec nowrite align=1
bits 16

stage2_start:
        jmp short real_mode_start
        nop
        nop
%if $ - stage2_start != STAGE2_MAGIC_OFFSET
%error "the stage2 magic must lie at STAGE2_MAGIC_OFFSET"
%endif
        dd STAGE2_MAGIC                 ; mkimage checks it is here
%if $ - stage2_start != STAGE2_SUM_ADJUST_OFFSET
%error "the sum adjustment must lie at STAGE2_SUM_ADJUST_OFFSET"
%endif
        dd 0                            ; mkimage sets it: this sector's dwords
                                        ; then sum to the magic (stage1 checks)
%if $ - stage2_start != STAGE2_SECTORS_OFFSET
%error "stage2's sector count must lie at STAGE2_SECTORS_OFFSET"
%endif
        dd 0                            ; mkimage: stage2's sectors
%if $ - stage2_start != STAGE2_REST_SUM_OFFSET
%error "the sum of the rest must lie at STAGE2_REST_SUM_OFFSET"
%endif
        dd 0                            ; mkimage: the sum of the other sectors

STAGE2_SECTORS equ STAGE2_ADDR + STAGE2_SECTORS_OFFSET

real_mode_start:
        rdtsc
        mov [BI + BootInfo_tsc_stage2], eax
        mov [BI + BootInfo_tsc_stage2 + 4], edx
        cld

        ; stage1 checked this sector (or, if it was damaged, the spare copy
        ; it ran instead). This sector checks the rest of stage2 before any of
        ; it runs (or is written: stage1's return address waits on the
        ; stack). If the rest is damaged, the spare copy's rest is read over
        ; it, once: the C++ part then reports the damage and powers off. If
        ; that is damaged too, this sector reports on COM1 itself (stage1 has
        ; no room to). Then it checks the spare copy of this sector.
        ; The count and the sum are this sector's own (stage1's check covers
        ; them), not the header's: the header is checked by the rest of stage2.
        ; The count is checked in 32 bits before it is shifted: with the spare's
        ; first sector behind them, stage2's sectors must fit its window.
.check_rest:
        mov si, STAGE2_ADDR + SECTOR_SIZE
        mov ecx, [STAGE2_SECTORS]
        dec ecx
        cmp ecx, STAGE2_MAX_SECTORS - 1  ; (a count of 0 wraps to above it)
        ja stage2_damaged
        shl cx, 7                       ; dwords in the other sectors
        jz .rest_ok
        mov edx, [STAGE2_ADDR + STAGE2_REST_SUM_OFFSET]
.rest_sum:
        lodsd
        sub edx, eax
        loop .rest_sum
        jz .rest_ok                     ; (the flags of the last SUB)
        xor byte [BI + BootInfo_stage2_rest_spare_used], 1
        jz stage2_damaged               ; the spare's rest is damaged too
        mov eax, [STAGE2_SECTORS]
        mov cx, ax
        dec cx
        add ax, STAGE2_LBA + 1          ; the spare copy's second sector
        mov di, (STAGE2_ADDR + SECTOR_SIZE) >> 4
        mov bx, sp
        call [bx]                       ; stage1's reader (BP = the boot info)
        jnc .check_rest
        jmp stage2_damaged
.rest_ok:
        ; SI: the spare copy of this sector, read right behind stage2. Its
        ; dwords must sum to the magic as ours do; if not, the C++ part says
        ; so (the .bss clear below may overwrite it).
        mov edx, STAGE2_MAGIC
        mov cx, SECTOR_SIZE / 4
.spare_sum:
        lodsd
        sub edx, eax
        loop .spare_sum
        setnz [BI + BootInfo_stage2_spare_bad]
        ; What C++ takes for granted: ES = 0 (stage1's reader left it
        ; elsewhere), its zero-initialised statics zero (.bss, not in the
        ; file, whole dwords by stage2.ld: a real PC leaves anything there),
        ; DF clear (above) and ESP's upper half 0 (-m16 code addresses its
        ; stack through all of ESP). The new ESP also drops stage1's return
        ; address: only the check above used its reader.
        xor eax, eax
        mov es, ax
        mov di, __stage2_bss_start
        mov cx, __stage2_bss_dwords
        rep stosd
        mov esp, STACK_TOP
        call dword stage2_real_mode     ; (a 32-bit call: -m16 code returns
        jmp enter_protected_mode        ; with RETL)

; The rest of stage2 and its spare do not match this sector's sum (or the
; spare could not be read, or the count is out of range): say so on the screen
; (BIOS) and on COM1, set up here the way common/uart16550.cpp does, in the
; contract's form; then the magic breakpoint and a halt, since the power-off
; code is in the damaged part.
stage2_damaged:
        mov si, com1_setup
.setup:
        lodsw                           ; AL: value, AH: register
        test ax, ax
        jz .report
        mov dx, COM1_PORT
        add dl, ah
        out dx, al
        jmp .setup
.report:
        mov si, msg_damaged
        call early_print
        xchg bx, bx                     ; the run's one magic breakpoint
.halt:
        cli
        hlt
        jmp .halt

; SI: a NUL-terminated text, to the screen and to COM1 (LSR bit 5 polled; a
; missing UART reads all ones, so this never waits for nothing).
early_print:
        lodsb
        test al, al
        jz .done
        mov ah, 0x0E
        xor bx, bx
        push ax
        int 0x10
        mov dx, COM1_PORT + UART_LSR
.wait:
        in al, dx
        test al, UART_LSR_THR_EMPTY
        jz .wait
        pop ax
        mov dx, COM1_PORT
        out dx, al
        jmp early_print
.done:
        ret

com1_setup:                             ; value, register: 115200 8N1, FIFO
        db UART_SETUP_PAIRS
        dw 0
msg_damaged:
        db "vmxboot: stage2 is damaged (its sum differs from its first sector's), and its", 13, 10
        db "vmxboot: spare copy is damaged too or could not be read;", 13, 10
        db "vmxboot: cannot power off (that code is in the damaged part): halting", 13, 10
        db "vmxboot: result=bad-image payload=stage2 reason=sum part=rest", 13, 10, 0
stage2_first_sector_end:
%if stage2_first_sector_end - stage2_start > SECTOR_SIZE
%error "the check of the rest of stage2 and its report must lie in stage2's first sector"
%endif

; ---------------------------------------------------------------------------
; bios_call(vector, regs): stage2/bios_call.h. Called by -m16 C++ as a cdecl
; function: a 32-bit return address, then the arguments in 32-bit slots.
; Every register of the caller comes back as it was (the ABI wants EBX, ESI,
; EDI and EBP kept; DS and ES stay 0 for C++); the block gets the handler's
; registers and flags.

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

; ---------------------------------------------------------------------------
; Protected mode, the C++ part, then long mode.

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
        call stage2_main                ; returns the VMM's entry, or never
        add esp, 4
        mov [vmm_entry], eax

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

        mov edi, BI
        mov eax, [vmm_entry]
        jmp rax

; ---------------------------------------------------------------------------

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

bios_handler: dd 0                      ; bios_call's far pointer
vmm_entry: dd 0

section .bss
align 8
idt:    resq EXCEPTION_VECTORS
