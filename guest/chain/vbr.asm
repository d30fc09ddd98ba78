; guest/chain/vbr.asm - the volume boot record of the `mbr-vbr` guest disk
; (tools/disk2): the first sector of its one active partition.
;
; State on entry: real mode at 0:7C00 (or 07C0:0000), put there by an MBR -
; on our disk SYSLINUX's mbr.bin - which hands over DL = the BIOS drive it
; booted and DS:SI -> the partition-table entry of the partition it chose.
;
; It checks that hand-over for real, with the BIOS's own disk service:
;   - DL is a hard disk (bit 7),
;   - sector 0 of drive DL holds, in its partition table, an active entry
;     equal to the 16 bytes at DS:SI,
;   - that entry's first sector (read from drive DL) is this very sector,
; and prints one line on the screen (INT 10h) and on COM1 (115200 8N1):
;   vmxboot-chain: vbr: hand-over ok, drive=0x80
; On a bad hand-over it prints `vmxboot-chain: vbr: bad hand-over: <what>`
; and halts: it cannot know where the rest of itself is.
;
; It is VBR_SECTORS (3) sectors long: the first (510 bytes of code) reads
; all of them back for the check above and runs the rest from 0:7E00,
; which prints the PIT's and the PIC's state as the BIOS left them
; (timer_state: `vmxboot-chain: vbr: pit ch0=0x.. ...`) and powers off
; through ACPI S5: RSDP (EBDA, then E0000h-FFFFFh) ->
; RSDT -> FADT (PM1a_CNT_BLK) -> DSDT, then each SSDT, for
; Name(_S5_, Package{SLP_TYPa, ...}). The tables lie above 1 MiB: they are
; copied below it with INT 15h AH=87h, which both BIOSes offer and which
; handles A20 itself. Without _S5_ it uses SLP_TYP 0 (S5 in the tables of
; both Bochs BIOSes and QEMU) and says so. Without tables it says so and
; halts.
; No SCI_EN handling: Bochs and QEMU act on SLP_EN in either mode.
;
; Needs a 386 (32-bit registers) and INT 13h extensions (AH=42h).

bits 16
org 0x7C00

; Scratch memory in the free area below the MBR's copy at 0x600.
ENTRY_COPY equ 0x500    ; the 16-byte entry DS:SI pointed to
DRIVE      equ 0x510    ; DL on entry
SLP_TYP    equ 0x511    ; S5 SLP_TYPa, 0 unless _S5_ says otherwise
PM1A_CNT   equ 0x512    ; the port from the FADT
RSDT_FIRST equ 0x514    ; the address of the RSDT's first entry
DAP        equ 0x520    ; INT 13h AH=42h disk address packet (16 bytes)
TIMERS     equ 0x530    ; PIT and PIC state, 5 bytes (timer_state)
MOVE_GDT   equ 0x540    ; INT 15h AH=87h descriptor table (48 bytes)
SECTOR_BUF equ 0x8000   ; sectors read back from the disk
TABLE_SEG  equ 0x1000   ; ACPI tables are copied to 1000:0000 (64 KiB)

PART_TABLE equ 0x1BE
COM1       equ 0x3F8

start:
    jmp 0:normalised            ; some BIOSes and MBRs use 07C0:0000
normalised:
    cld
    xor ax, ax
    mov es, ax
    mov di, ENTRY_COPY
    mov cx, 8
    rep movsw                   ; DS:SI as the MBR left it
    mov ds, ax
    cli
    mov ss, ax
    mov sp, 0x7C00
    sti
    mov [DRIVE], dl

    mov si, uart_setup
    mov cx, uart_setup_pairs
.uart:
    lodsw                       ; AL = register, AH = value
    mov dx, COM1
    add dl, al
    mov al, ah
    out dx, al
    loop .uart

check_handover:
    mov si, msg_dl
    test byte [DRIVE], 0x80
    jz bad_handover
    xor eax, eax
    inc cx                      ; CX = 1 (0 after the loop)
    call read_sectors           ; the drive's MBR
    mov si, msg_read
    jc bad_handover
    mov si, msg_entry
    cmp byte [ENTRY_COPY], 0x80 ; an MBR hands over the active entry
    jne bad_handover
    mov bx, SECTOR_BUF + PART_TABLE
    mov bp, 4
.entry:
    mov si, ENTRY_COPY
    mov di, bx
    mov cx, 8
    repe cmpsw
    je .found
    add bx, 16
    dec bp
    jnz .entry
    mov si, msg_entry
    jmp bad_handover
.found:
    mov eax, [ENTRY_COPY + 8]   ; the partition's first LBA
    mov cx, VBR_SECTORS
    call read_sectors
    mov si, msg_read
    jc bad_handover
    mov si, 0x7C00
    mov di, SECTOR_BUF
    mov cx, 256
    repe cmpsw
    mov si, msg_self
    jne bad_handover
    mov si, SECTOR_BUF + 512    ; the sectors after this one, to 0:7E00
    mov di, 0x7E00
    mov cx, (VBR_SECTORS - 1) * 256
    rep movsw
    mov si, msg_ok
    call put_prefixed
    mov ah, [DRIVE]
    mov cx, 2
    call put_hex
    call put_newline
    jmp timer_state

bad_handover:                   ; SI = what was wrong
    push si
    mov si, msg_bad
    call put_prefixed
    pop si
    call put_line
halt:
    cli
    hlt
    jmp halt

; EAX = first LBA, CX = sectors: from drive DRIVE to SECTOR_BUF.
; CF on failure.
read_sectors:
    mov si, DAP
    mov word [si], 16           ; the packet's size
    mov [si + 2], cx
    mov dword [si + 4], SECTOR_BUF
    mov [si + 8], eax
    mov dword [si + 12], 0
    mov dl, [DRIVE]
    mov ah, 0x42
    int 0x13
    ret

put_prefixed:                   ; "vmxboot-chain: vbr: " then SI
    push si
    mov si, msg_prefix
    call put_string
    pop si
put_string:
    lodsb
    test al, al
    jz .done
    call put_char
    jmp put_string
.done:
    ret

put_line:
    call put_string
put_newline:
    mov al, 13
    call put_char
    mov al, 10
put_char:                       ; AL to the screen and COM1
    pusha
    mov ah, 0x0E
    mov bx, 7
    int 0x10
    mov dx, COM1 + 5
    mov cx, 0xFFFF              ; bounded: a missing UART costs one wait
.wait:
    in al, dx
    test al, 0x20               ; transmit holding register empty
    loopz .wait
    popa
    pusha
    mov dx, COM1
    out dx, al
    popa
    ret

put_hex:                        ; the top CX nibbles of AX
    rol ax, 4
    push ax
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .digit
    add al, 7
.digit:
    call put_char
    pop ax
    loop put_hex
    ret

uart_setup:                     ; register offset, value
    db 1, 0x00                  ; no interrupts
    db 3, 0x80                  ; DLAB
    db 0, 0x01, 1, 0x00         ; divisor 1: 115200
    db 3, 0x03                  ; 8N1
    db 2, 0x07                  ; FIFOs on and cleared
    db 4, 0x03                  ; DTR, RTS
uart_setup_pairs equ ($ - uart_setup) / 2

msg_prefix:   db "vmxboot-chain: vbr: ", 0
msg_ok:       db "hand-over ok, drive=0x", 0
msg_bad:      db "bad hand-over: ", 0
msg_dl:       db "DL is no hard disk", 0
msg_read:     db "INT 13h read failed", 0
msg_entry:    db "DS:SI is no active entry of DL's MBR", 0
msg_self:     db "not that entry's first sector", 0

    times 510 - ($ - $$) db 0
    dw 0xAA55

; ---------------------------------------------------------------- 0:7E00
; The rest, run once the hand-over is checked: the timers' state, then
; ACPI S5 power-off.

; One line with the PIT and the PIC as the BIOS left them, which a chain
; guest must find the same (docs/chain-mode.md), read before the
; power-off's BIOS calls. Under the Bochs BIOS in Bochs:
;   vmxboot-chain: vbr: pit ch0=0x34 ch2=0x98 port61=0x01 pic masks=0xB8 0x8F
; ch0, ch2: the 8254's read-back status (bit 6 null count, bits 5:4 access,
; 3:1 mode, 0 BCD), without channel 0's OUT (bit 7), which toggles as it
; counts. Channel 2's OUT and null count stay: no BIOS timer runs on it, so
; they hold still once the BIOS is done with it (in Bochs it is never
; programmed: its power-on mode 4, OUT high; a mode 0 countdown that has
; run out holds OUT high too), and a chain guest must not find the VMM's
; countdown there. port61: port 0x61's bits 3:0 (channel 2's gate, the
; speaker's data, the two NMI check disables), not 7:4 (status that changes
; with time). pic masks: the master's and the slave's (ports 0x21, 0xA1).
timer_state:
    cli                         ; no interrupt handler between the reads
    mov al, 0xEA                ; read-back: status (not count) of 0 and 2
    out 0x43, al
    mov di, TIMERS
    in al, 0x40
    and al, 0x7F
    stosb
    in al, 0x42
    stosb
    in al, 0x61
    and al, 0x0F
    stosb
    in al, 0x21
    stosb
    in al, 0xA1
    stosb
    sti
    mov si, msg_prefix
    call put_string
    mov bx, TIMERS
    mov si, msg_timers          ; one label before each byte
.byte:
    call put_string
    mov ah, [bx]
    inc bx
    mov cx, 2
    call put_hex
    cmp bx, TIMERS + 5
    jb .byte
    call put_newline

power_off:
    push word [0x40E]           ; the EBDA's segment (BDA)
    pop es
    mov cx, 64                  ; its first KiB
    call find_rsdp
    jnc .rsdp
    push word 0xE000
    pop es
    mov cx, 0x2000              ; E0000h-FFFFFh
    call find_rsdp
    mov si, msg_no_rsdp
    jc halt_with
.rsdp:
    push word TABLE_SEG
    pop fs
    mov si, msg_no_fadt
    mov eax, [es:16]            ; the RSDT's address
    mov cx, 36
    call copy_table
    jc halt_with
    cmp dword [fs:0], 'RSDT'
    jne halt_with
    mov ebx, [fs:4]
    add ebx, eax                ; the RSDT's end
    lea edi, [eax + 36]         ; its first entry
    mov [RSDT_FIRST], edi
.next_table:
    lea edx, [edi + 4]
    cmp edx, ebx
    ja halt_with                ; no FADT among the entries
    mov eax, edi
    mov cx, 4
    call copy_table
    jc halt_with
    mov eax, [fs:0]
    mov cx, 68                  ; up to and with PM1a_CNT_BLK
    call copy_table
    jc halt_with
    mov edi, edx
    cmp dword [fs:0], 'FACP'
    jne .next_table
    mov ax, [fs:64]
    mov [PM1A_CNT], ax
    mov byte [SLP_TYP], 0
    mov eax, [fs:40]            ; the DSDT
    call find_s5
    jnc .s5
    mov edi, [RSDT_FIRST]       ; then each SSDT (where SeaBIOS puts _S5_)
.next_ssdt:
    mov si, msg_no_s5
    lea edx, [edi + 4]
    cmp edx, ebx
    ja .say
    mov eax, edi
    mov cx, 4
    call copy_table
    jc .say
    mov eax, [fs:0]
    mov edi, edx
    call find_s5
    jc .next_ssdt
.s5:
    mov si, msg_s5
.say:
    push si
    mov si, msg_off
    call put_prefixed
    mov ax, [PM1A_CNT]
    mov cx, 4
    call put_hex
    mov si, msg_typ
    call put_string
    mov al, [SLP_TYP]
    add al, '0'
    call put_char
    pop si
    call put_line
    mov dx, COM1 + 5
    mov cx, 0xFFFF
.drain:                         ; the line out of the UART before power-off
    in al, dx
    test al, 0x40               ; transmitter empty
    loopz .drain
    mov dx, [PM1A_CNT]
    movzx bx, byte [SLP_TYP]
    shl bx, 10
    or bh, 0x20                 ; SLP_EN
    in ax, dx
    and ax, 0xC3FF              ; SLP_TYP and SLP_EN cleared
    or ax, bx
    out dx, ax
    mov si, msg_still_on
halt_with:                      ; SI = why
    push si
    mov si, msg_halt
    call put_prefixed
    pop si
    call put_line
    jmp halt

; EAX = the address of a DSDT or SSDT (at most 0xFFF0 bytes): CF clear
; and SLP_TYP set when it holds Name(_S5_, Package(n) {SLP_TYPa, ...}).
find_s5:
    pushad
    mov cx, 36
    call copy_table
    jc .done
    cmp dword [fs:0], 'DSDT'
    je .read
    cmp dword [fs:0], 'SSDT'
    stc
    jne .done
.read:
    mov ecx, [fs:4]
    cmp ecx, 0xFFF0 + 1
    cmc                         ; CF = longer: not searched
    jc .done
    call copy_table
    jc .done
    sub cx, 8
    jc .done
    xor di, di
.scan:
    cmp dword [fs:di], '_S5_'
    jne .scan_next
    cmp byte [fs:di + 4], 0x12  ; PackageOp
    je .found
.scan_next:
    inc di
    cmp di, cx
    jb .scan
    stc
    jmp .done
.found:
    movzx bx, byte [fs:di + 5]  ; PkgLength: bits 7:6 = bytes that follow
    shr bx, 6
    add bx, di
    mov al, [fs:bx + 7]         ; after NumElements: the first element
    cmp al, 0x0A                ; BytePrefix
    jne .typ
    mov al, [fs:bx + 8]
.typ:
    and al, 7                   ; clears CF
    mov [SLP_TYP], al
.done:
    popad
    ret

; ES = first segment, CX = paragraphs to look at. CF clear and ES at the
; RSDP when one with a valid checksum is found; CF set otherwise.
find_rsdp:
    cmp dword [es:0], 'RSD '
    jne .next
    cmp dword [es:4], 'PTR '
    jne .next
    xor bx, bx
    xor al, al
.sum:
    add al, [es:bx]
    inc bx
    cmp bx, 20                  ; the ACPI 1.0 part
    jb .sum
    test al, al                 ; clears CF
    jz .done
.next:
    mov ax, es
    inc ax
    mov es, ax
    loop find_rsdp
    stc
.done:
    ret

; EAX = physical address, CX = bytes (at most 0xFFF0): copied to
; TABLE_SEG:0 with INT 15h AH=87h. CF on failure; registers kept.
copy_table:
    pushad
    push es
    push ds
    pop es
    mov edx, eax
    push cx
    mov di, MOVE_GDT            ; entries 0, 1, 4, 5 stay zero (the BIOS's)
    mov cx, 24
    xor ax, ax
    rep stosw
    pop cx
    mov di, MOVE_GDT + 0x10     ; entry 2: the source, 64 KiB of data
    mov word [di], 0xFFFF
    mov [di + 2], edx           ; base 23:0 (byte 5 is set below)
    shr edx, 24
    mov [di + 7], dl            ; base 31:24
    mov byte [di + 5], 0x93
    mov word [di + 8], 0xFFFF   ; entry 3: the destination, TABLE_SEG:0
    mov dword [di + 10], 0x93000000 | (TABLE_SEG << 4)
    inc cx
    shr cx, 1                   ; words
    mov si, MOVE_GDT
    mov ah, 0x87
    int 0x15
    pop es
    popad
    ret

msg_timers:   db "pit ch0=0x", 0, " ch2=0x", 0, " port61=0x", 0, " pic masks=0x", 0, " 0x", 0
msg_off:      db "ACPI power-off, PM1a_CNT=0x", 0
msg_typ:      db " SLP_TYP=", 0
msg_s5:       db " (_S5_)", 0
msg_no_s5:    db " (no _S5_ found)", 0
msg_halt:     db "halting: ", 0
msg_no_rsdp:  db "no ACPI RSDP", 0
msg_no_fadt:  db "no ACPI FADT", 0
msg_still_on: db "still on after the S5 write", 0

    times -($ - $$) & 511 db 0
vbr_end:
VBR_SECTORS equ (vbr_end - start) / 512
