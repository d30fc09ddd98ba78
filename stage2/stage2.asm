; stage2 — from real mode to the VMM's first instruction.
;
; Entered by stage1's `call STAGE2_ADDR` in real mode: CS = DS = ES = SS = 0,
; BP = BOOTINFO_ADDR, the boot info holding the drive, the disk method and the
; stage1 TSC; the return address on the stack is stage1's sector reader.
;
; The real-mode part does only what needs the BIOS: A20, the E820 map and the
; payload reads, and before those the check of the image header (nothing of
; it is used unchecked). It prints nothing: it records what happened in the
; boot info, and stage2's 32-bit C++ part (main32.cpp) reports it, checks the
; CPU and the
; payloads, finds the ACPI power-off, builds the page tables — or ends the run
; with a result line. Then this file enters long mode and jumps to the VMM
; with RDI = the boot info.

%include "layout.inc"

BI equ BOOTINFO_ADDR

SEL_CODE32 equ gdt.code32 - gdt
SEL_DATA   equ gdt.data - gdt
SEL_CODE64 equ gdt.code64 - gdt

extern stage2_main                      ; main32.cpp
extern stage2_exception                 ; main32.cpp
extern stage2_bad_payload               ; main32.cpp
global stage2_crc_in_long_mode
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
        pop word [stage1_read_sectors]  ; stage1's return address: its reader
        xor eax, eax                    ; stage1's reader left ES elsewhere
        mov es, ax
        ; The C++ part's zero-initialised statics (.bss, whole dwords by
        ; stage2.ld) are not in the file: clear them, a real PC leaves
        ; anything there. (EAX = 0.)
        mov di, __stage2_bss_start
        mov cx, __stage2_bss_dwords
        rep stosd
        ; stage2's part of the boot info starts out zero (after stage1's TSC
        ; and our own).
        mov di, BI + BootInfo_tsc_long_mode
        mov cx, (SIZEOF_BootInfo - BootInfo_tsc_long_mode) / 2
        rep stosw
        mov dword [BI + BootInfo_magic], BOOTINFO_MAGIC

        call check_header
        call enable_a20
        call collect_e820
        call load_payloads
        jmp enter_protected_mode

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
; The image header, before anything uses a field of it: its CRC-32C first,
; then its magic and version, then every payload entry against the one place
; that payload can go (the tables below, from abi/layout.h), each field in
; 32 bits and compared before it is shifted. Records HEADER_* in the boot info
; (and the payload in fail_payload); the C++ part reports it, and
; load_payloads reads nothing for a header that failed.

check_header:
        ; CRC-32C (common/crc32c.h) of the bytes before header_crc32, a
        ; dword at a time: SSE4.2's CRC32 instruction where CPUID.1:ECX bit
        ; 20 says the CPU has it (it works in real mode), else bit by bit.
        mov eax, 1
        cpuid
        bt ecx, 20
        mov si, HEADER_ADDR
        mov cx, ImageHeader_header_crc32 / 4
        mov edx, 0xFFFFFFFF             ; (MOV keeps BT's carry)
        jnc .crc_bits
.crc_sse42:
        crc32 edx, dword [si]
        add si, 4
        loop .crc_sse42
        jmp .crc_done
.crc_bits:
        xor edx, [si]
        add si, 4
        mov bl, 32
.bit:
        shr edx, 1
        jnc .bit_next
        xor edx, 0x82F63B78             ; the reflected Castagnoli polynomial
.bit_next:
        dec bl
        jnz .bit
        loop .crc_bits
.crc_done:
        not edx
        mov [BI + BootInfo_header_crc32], edx
        mov al, HEADER_BAD_CRC
        cmp edx, [HEADER_ADDR + ImageHeader_header_crc32]
        jne .bad
        mov al, HEADER_BAD_MAGIC
        cmp dword [HEADER_ADDR + ImageHeader_magic], IMAGE_MAGIC_LO
        jne .bad
        cmp dword [HEADER_ADDR + ImageHeader_magic + 4], IMAGE_MAGIC_HI
        jne .bad
        mov al, HEADER_BAD_VERSION
        cmp word [HEADER_ADDR + ImageHeader_version], IMAGE_VERSION
        jne .bad
        cmp word [HEADER_ADDR + ImageHeader_payload_count], PAYLOAD_COUNT
        jne .bad
        ; Every entry: its size within its limit (so nothing below
        ; overflows), its sectors that size rounded up, its sectors on the
        ; disk, its load address the layout's.
        mov al, HEADER_BAD_ENTRY
        xor ebx, ebx
.entry:
        mov [BI + BootInfo_fail_payload], bl
        mov si, bx
        shl si, 5                       ; * SIZEOF_PayloadEntry
        add si, HEADER_ADDR + ImageHeader_payloads
        mov edx, [si + PayloadEntry_size]
        cmp edx, [payload_max_bytes + ebx * 4]
        ja .bad
        add edx, SECTOR_SIZE - 1
        shr edx, 9
        jz .bad                         ; an empty payload
        cmp edx, [si + PayloadEntry_sectors]
        jne .bad
        mov ecx, [HEADER_ADDR + ImageHeader_disk_sectors]
        sub ecx, [si + PayloadEntry_first_lba]
        jb .bad                         ; starts past the disk's end
        cmp ecx, edx
        jb .bad                         ; ends past it
        mov ecx, [si + PayloadEntry_load_addr]
        cmp ecx, [payload_load_addr + ebx * 4]
        jne .bad
        inc bx
        cmp bx, PAYLOAD_COUNT
        jb .entry
        ; stage2's entry is stage2 as it runs: where stage1 read it, with
        ; this sector count (the first sector checked the rest with it).
        mov bl, PAYLOAD_STAGE2
        mov [BI + BootInfo_fail_payload], bl
        mov si, HEADER_ADDR + ImageHeader_payloads + PAYLOAD_STAGE2 * SIZEOF_PayloadEntry
        cmp dword [si + PayloadEntry_first_lba], STAGE2_LBA
        jne .bad
        mov edx, [si + PayloadEntry_sectors]
        cmp edx, [STAGE2_SECTORS]
        jne .bad
        mov byte [BI + BootInfo_fail_payload], 0
        ret
.bad:
        mov [BI + BootInfo_header_fault], al
        ret

; ---------------------------------------------------------------------------
; A20: port 0x92 first, then the BIOS, then the keyboard controller; each one
; verified by the wraparound test. Records the method, or FAIL_A20.

enable_a20:
        call a20_is_on
        mov byte [BI + BootInfo_a20_method], A20_ALREADY_ON
        je .done
        ; Port 0x92: bit 1 is A20, bit 0 resets the machine. Change bit 1
        ; only, and write only when it is clear.
        in al, 0x92
        test al, 2
        jnz .port92_done
        or al, 2
        and al, 0xFE
        out 0x92, al
.port92_done:
        call a20_is_on
        mov byte [BI + BootInfo_a20_method], A20_PORT92
        je .done
        mov ax, 0x2401
        int 0x15
        call a20_is_on
        mov byte [BI + BootInfo_a20_method], A20_BIOS
        je .done
        call kbc_wait
        mov al, 0xD1                    ; write the output port
        out 0x64, al
        call kbc_wait
        mov al, 0xDF                    ; A20 on, no reset
        out 0x60, al
        call kbc_wait
        call a20_is_on
        mov byte [BI + BootInfo_a20_method], A20_KBC
        je .done
        mov byte [BI + BootInfo_a20_method], 0
        mov word [BI + BootInfo_fail_step], FAIL_A20
.done:
        ret

; ZF set when A20 is on: 0000:0500 and FFFF:0510 (= 0x100500) are different
; bytes of memory. Leaves both as they were.
a20_is_on:
        push ds
        push es
        xor ax, ax
        mov ds, ax
        dec ax
        mov es, ax                      ; ES = 0xFFFF
        mov bl, [0x0500]
        mov bh, [es:0x0510]
        mov byte [0x0500], 0x55
        mov byte [es:0x0510], 0xAA
        cmp byte [0x0500], 0x55         ; still 0x55: no wraparound
        mov [es:0x0510], bh
        mov [0x0500], bl
        pop es
        pop ds
        ret

; Wait, bounded, until the keyboard controller takes input (status bit 1).
kbc_wait:
        mov cx, 0xFFFF
.poll:
        in al, 0x64
        test al, 2
        loopnz .poll
        ret

; ---------------------------------------------------------------------------
; E820: 24-byte entries into the boot info, the ACPI 3 "valid" bit forced on
; beforehand for BIOSes that return 20-byte entries.

collect_e820:
        xor ebx, ebx
        mov di, BI + BootInfo_e820
.next:
        mov dword [di + 20], 1
        mov eax, 0xE820
        mov edx, 0x534D4150             ; 'SMAP'
        mov ecx, SIZEOF_E820Entry
        int 0x15
        jc .done                        ; (CF on the first call: no E820)
        cmp eax, 0x534D4150
        jne .done
        jcxz .skip                      ; an empty answer: ignore it
        add di, SIZEOF_E820Entry
        inc dword [BI + BootInfo_e820_count]
        cmp dword [BI + BootInfo_e820_count], E820_MAX_ENTRIES
        jae .done
.skip:
        test ebx, ebx
        jnz .next
.done:
        ret

; ---------------------------------------------------------------------------
; Payloads 1.. as the header lists them, once check_header has found it
; sound: below 1 MiB straight to their load address, above it to the staging
; area (main32.cpp checks their CRC, stage2's 64-bit part moves them). Each
; read keeps stage1's reader within its rules: at most MAX_SECTORS_PER_READ
; sectors and never across a 64 KiB boundary.

load_payloads:
        cmp word [BI + BootInfo_fail_step], FAIL_NONE
        jne .done                       ; no A20: nothing above 1 MiB works
        cmp byte [BI + BootInfo_header_fault], HEADER_OK
        jne .done
        mov dword [staging_cursor], STAGING_ADDR
        mov bx, 1
.payload:
        mov [BI + BootInfo_fail_payload], bl
        mov si, bx
        shl si, 5                       ; * SIZEOF_PayloadEntry
        add si, HEADER_ADDR + ImageHeader_payloads
        mov di, bx
        shl di, 4                       ; * SIZEOF_LoadedPayload
        add di, BI + BootInfo_payloads
        mov eax, [si + PayloadEntry_load_addr]
        mov [di + LoadedPayload_load_addr], eax
        mov ecx, [si + PayloadEntry_size]
        mov [di + LoadedPayload_size], ecx
        ; (check_header bounded the count by the payload's limit: no shift
        ; below overflows, and a payload below 1 MiB fits its place there.)
        mov ecx, [si + PayloadEntry_sectors]
        shl ecx, 9                      ; bytes to read
        cmp eax, 0x100000
        jb .read
        mov eax, [staging_cursor]
        mov edx, eax
        add edx, ecx
        cmp edx, STAGING_END
        ja .too_big
        mov [staging_cursor], edx
.read:
        mov [di + LoadedPayload_read_addr], eax
        push bx
        mov edi, eax                    ; linear destination
        mov eax, [si + PayloadEntry_first_lba]
        mov edx, [si + PayloadEntry_sectors]
        call read_run
        pop bx
        jc .read_failed
        inc bx
        cmp bx, PAYLOAD_COUNT
        jb .payload
.done:
        ret
.read_failed:
        mov [BI + BootInfo_fail_lba], eax
        mov word [BI + BootInfo_fail_step], FAIL_READ
        ret
.too_big:
        mov word [BI + BootInfo_fail_step], FAIL_TOO_BIG
        ret

; read_run: EAX = first LBA, EDX = sectors, EDI = linear destination (below
; 1 MiB, 512-byte aligned). Splits the run into reads stage1's reader takes.
; CF set on failure with EAX = the LBA that failed.
read_run:
        test edx, edx
        jz .done
        ; sectors before the next 64 KiB boundary: (0x10000 - (EDI & 0xFFFF)) / 512
        mov ecx, edi
        neg cx
        movzx ecx, cx
        shr ecx, 9
        jnz .have_room
        mov cx, 0x10000 / SECTOR_SIZE
.have_room:
        cmp ecx, MAX_SECTORS_PER_READ
        jbe .limit_ok
        mov ecx, MAX_SECTORS_PER_READ
.limit_ok:
        cmp ecx, edx
        jbe .count_ok
        mov ecx, edx
.count_ok:
        pushad
        shr edi, 4                      ; destination segment
        mov bp, BI
        call [stage1_read_sectors]      ; EAX, CX, DI
        jnc .read_ok
        mov [esp + 28], eax             ; the failing LBA, through POPAD
.read_ok:
        push word 0
        pop es                          ; (the reader changes ES; CF kept)
        popad
        jc .done
        add eax, ecx
        sub edx, ecx
        shl ecx, 9
        add edi, ecx
        jmp read_run
.done:
        ret

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

        ; The CRC-32C of the payloads main32.cpp left to this mode (bit i of
        ; stage2_crc_in_long_mode: moved above 1 MiB, SSE4.2 present). The
        ; same CRC32 instruction as common/crc32c.cpp, on 8 bytes at a time.
        mov ebx, BI + BootInfo_payloads + SIZEOF_LoadedPayload  ; payload 1
        mov r8d, 1
.check:
        bt dword [stage2_crc_in_long_mode], r8d
        jnc .checked
        mov esi, [rbx + LoadedPayload_read_addr]
        mov ecx, [rbx + LoadedPayload_size]
        mov eax, 0xFFFFFFFF
.crc_128:
        cmp ecx, 128
        jb .crc_8
%assign q 0
%rep 16
        crc32 rax, qword [rsi + q]
%assign q q + 8
%endrep
        add rsi, 128
        sub ecx, 128
        jmp .crc_128
.crc_8:
        cmp ecx, 8
        jb .crc_1
        crc32 rax, qword [rsi]
        add rsi, 8
        sub ecx, 8
        jmp .crc_8
.crc_1:
        jecxz .crc_done
        crc32 eax, byte [rsi]
        inc rsi
        dec ecx
        jmp .crc_1
.crc_done:
        not eax
        mov [rbx + LoadedPayload_crc32], eax
        imul edx, r8d, SIZEOF_PayloadEntry
        cmp eax, [HEADER_ADDR + ImageHeader_payloads + PayloadEntry_crc32 + rdx]
        jne bad_payload
.checked:
        add ebx, SIZEOF_LoadedPayload
        inc r8d
        cmp r8d, PAYLOAD_COUNT
        jb .check

        ; Payloads read below 1 MiB for a home above it (the VMM), checked
        ; where they were read, move there now: REP MOVSQ moves 8 bytes an
        ; iteration, and Bochs, where boot time is measured, counts those.
        ; (Up to 7 bytes past the end land in the VMM's .bss: it clears that.)
        cld
        mov ebx, BI + BootInfo_payloads + SIZEOF_LoadedPayload  ; payload 1
        mov edx, PAYLOAD_COUNT - 1
.move:
        mov esi, [rbx + LoadedPayload_read_addr]
        mov edi, [rbx + LoadedPayload_load_addr]
        cmp esi, edi
        je .moved
        mov ecx, [rbx + LoadedPayload_size]
        add ecx, 7
        shr ecx, 3
        rep movsq
.moved:
        add ebx, SIZEOF_LoadedPayload
        dec edx
        jnz .move

        mov edi, BI
        mov eax, [vmm_entry]
        jmp rax

; A payload failed the check above: report it from main32.cpp, which is
; 32-bit code: back to it through a far return into compatibility mode
; (paging and the identity map stay).
bad_payload:
        mov [bad_payload_index], r8d
        mov [bad_payload_crc], eax
        push SEL_CODE32
        push bad_payload_32
        retfq
bits 32
bad_payload_32:
        push dword [bad_payload_crc]
        push dword [bad_payload_index]
        call stage2_bad_payload         ; (does not return)

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

; Where each payload goes and how big it may be (abi/layout.h), indexed
; by PAYLOAD_*: check_header holds every entry of the header to these.
%if PAYLOAD_STAGE2 != 0 || PAYLOAD_VMM != 1 || PAYLOAD_GUEST != 2 || PAYLOAD_COUNT != 3
%error "the tables below list the payloads in PAYLOAD_* order"
%endif
payload_load_addr:
        dd STAGE2_ADDR, VMM_ADDR, GUEST_ADDR
payload_max_bytes:
        dd STAGE2_MAX_SECTORS * SECTOR_SIZE, VMM_MAX_FILE_BYTES, GUEST_MAX_BYTES

stage1_read_sectors: dw 0
staging_cursor: dd 0
vmm_entry: dd 0
stage2_crc_in_long_mode: dd 0
bad_payload_index: dd 0
bad_payload_crc: dd 0

section .bss
align 8
idt:    resq EXCEPTION_VECTORS
