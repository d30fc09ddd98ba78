; stage2's first sector: the entry, from stage1's `call STAGE2_ADDR` in
; real mode (CS = DS = ES = SS = 0, BP = BOOTINFO_ADDR, the boot info holding
; the drive, the disk method and the stage1 TSC; the return address on the
; stack is stage1's sector reader).
;
; stage1 checks only this sector; this sector checks the rest of stage2 (and
; the spare copy of itself) before any of it runs, so everything it needs for
; that, and for reporting a rest it cannot trust, lies in it. Then it sets up
; what C++ needs and runs stage2's two C++ parts: the real-mode part
; (real_mode.h: the image header's check, A20, the E820 map, the payload
; reads) and, through modes.asm, the 32-bit part (main32.cpp), after which
; modes.asm enters long mode and jumps to the VMM.

%include "layout.inc"

BI equ BOOTINFO_ADDR

extern stage2_real_mode                 ; real_mode.cpp (-m16)
extern enter_protected_mode             ; modes.asm
extern __stage2_bss_start, __stage2_bss_dwords  ; stage2.ld
global stage2_start

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

