; guest/chain/loader.asm - chain mode's guest (make image GUEST=chain): a
; small real-mode loader, ours, that boots the next BIOS disk the way a
; BIOS does, so that everything from 0:7C00 on is someone else's code.
;
; The VMM starts it as an unrestricted guest in real mode at
; GUEST_SEGMENT:start (its header below says so, and says kind = chain),
; with the machine's own IVT, BDA and BIOS: INT 13h here is the real BIOS's.
; It reads LBA 0 of CHAIN_DRIVE (default CHAIN_DRIVE_DEFAULT, 0x81: the
; first disk after the one vmxboot booted from) to 0:7C00 with INT 13h
; AH=02h (cylinder 0, head 0, sector 1: no geometry needed), up to
; READ_TRIES times with a disk reset between, checks the 0x55AA signature,
; says so on COM1 (the VMM marks the line `guest| `) and jumps to 0:7C00
; with DL = the drive, DS = ES = SS = 0, SP = 0x7C00, interrupts on.
; Before that it hides the VMM's memory [VMM_ADDR, VMM_MEMORY_END) from the
; guest's memory map, the way MEMDISK and PXE ROMs take memory: it lowers the
; BDA's base-memory size (40:13) by STUB_KIB, puts a small INT 15h handler
; there (the `stub` below, with the whole E820 map it will answer), and points
; IVT entry 15h at it. The map is the BIOS's own, read once here, with every
; usable entry that overlaps the VMM's memory split around it and the VMM's
; part reported reserved (type 2), and the stub's own KiB reserved too. E801 and AH=88h report no memory above
; VMM_ADDR (they cannot describe a hole); every other function goes to the
; BIOS's handler. It prints the map the guest now sees, read back through
; the hooked vector. (The EPT keeps the guest out of that memory anyway:
; the map only tells it so.)
;
; On a failed read or a missing signature it reports to the VMM with
; VMCALL (EAX = GUEST_VMCALL_CHAIN_FAILED, EBX = what: 1 read, 2 signature,
; ECX = the BIOS status), which ends the run guest-failed.

bits 16
%include "layout.inc"

%ifndef CHAIN_DRIVE
%define CHAIN_DRIVE CHAIN_DRIVE_DEFAULT
%endif
%ifndef GUEST_LIMIT
%define GUEST_LIMIT CHAIN_LIMIT_SECONDS_DEFAULT
%endif

GUEST_SEGMENT equ GUEST_ADDR >> 4
BOOT_ADDR     equ 0x7C00
READ_TRIES    equ 3
STACK_BYTES   equ 2048
COM1          equ COM1_PORT

org 0

%include "guest/header_field.inc"

header:
    FIELD magic,                 dd, GUEST_MAGIC
    FIELD header_bytes,          dw, SIZEOF_GuestHeader
    FIELD vga_row,               dw, 0
    FIELD image_bytes,           dd, image_end
    FIELD memory_bytes,          dd, memory_end
    FIELD entry_cs,              dw, GUEST_SEGMENT
    FIELD entry_ip,              dw, start
    FIELD entry_ss,              dw, GUEST_SEGMENT
    FIELD entry_sp,              dw, memory_end
    FIELD entry_ds,              dw, GUEST_SEGMENT
    FIELD kind,                  dw, GUEST_KIND_CHAIN
    FIELD limit_seconds,         dd, GUEST_LIMIT
    times SIZEOF_GuestHeader - ($ - header) db 0
    times ($ - header) - SIZEOF_GuestHeader db 0

start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    sti                             ; the BIOS's disk service wants its interrupts
    call hook_int15
    call print_map
    mov si, msg_reading
    call print
    mov di, READ_TRIES
.read:
    xor ax, ax
    mov es, ax
    mov bx, BOOT_ADDR
    mov ax, 0x0201                  ; AH=02h read, AL=1 sector
    mov cx, 0x0001                  ; cylinder 0, sector 1
    xor dh, dh                      ; head 0
    mov dl, CHAIN_DRIVE
    int 0x13
    jnc .read_ok
    mov cl, ah                      ; the BIOS status, for the report
    xor ah, ah                      ; AH=00h: reset, then again
    mov dl, CHAIN_DRIVE
    int 0x13
    dec di
    jnz .read
    movzx ecx, cl
    mov ebx, 1                      ; what: the read
    jmp fail
.read_ok:
    cmp word [es:BOOT_ADDR + 510], 0xAA55
    je .signature_ok
    movzx ecx, word [es:BOOT_ADDR + 510]
    mov ebx, 2                      ; what: the signature
    jmp fail
.signature_ok:
    mov si, msg_jump
    call print
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, BOOT_ADDR
    mov dl, CHAIN_DRIVE
    sti
    jmp 0:BOOT_ADDR

fail:
    mov si, msg_failed
    call print
    mov eax, GUEST_VMCALL_CHAIN_FAILED
    vmcall
    cli                             ; not reached: the VMM ends the run
.stop:
    hlt
    jmp .stop

; DS:SI -> NUL-terminated text, to COM1 (the VMM forwards it, marked).
; Polls the transmitter as the UART wants; a missing UART reads 0xFF.
print:
    push ax
.next:
    lodsb
    test al, al
    jz .done
    call print_char
    jmp .next
.done:
    pop ax
    ret

print_char:                         ; AL
    push ax
    push dx
    mov ah, al
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, COM1
    mov al, ah
    out dx, al
    pop dx
    pop ax
    ret

; ---------------------------------------------------------------------------
; The INT 15h hook. hook_int15 builds the map in the stub's table (in this
; image), then copies the stub to the top of conventional memory.
; ---------------------------------------------------------------------------
SMAP          equ 0x534D4150
STUB_KIB      equ 1
MAP_MAX       equ 32
ENTRY_BYTES   equ 20
HOLE_KIB      equ (VMM_ADDR - 0x100000) / 1024   ; what E801/88h may report

hook_int15:
    pushad
    push es
    ; Where the stub goes: the top STUB_KIB of conventional memory (40:13).
    xor ax, ax
    mov es, ax
    movzx eax, word [es:0x413]
    sub ax, STUB_KIB
    mov [new_base_kib], ax
    mov [stub_segment], ax
    shl word [stub_segment], 6      ; KiB -> paragraphs
    shl eax, 10
    mov [stub_lo], eax
    ; The BIOS's map, entry by entry, into a scratch entry, then split.
    xor ebx, ebx
    mov word [stub_count], 0
.next:
    push cs
    pop es
    mov di, scratch
    mov eax, 0xE820
    mov edx, SMAP
    mov ecx, ENTRY_BYTES
    int 0x15
    jc .done
    cmp eax, SMAP
    jne .done
    call add_split
    test ebx, ebx
    jnz .next
.done:
    ; 40:13 lowered; the stub goes to its new top.
    xor ax, ax
    mov es, ax
    mov ax, [new_base_kib]
    mov [es:0x413], ax
    mov ax, [stub_segment]
    ; The BIOS's vector, kept in the stub, then ours.
    mov edx, [es:0x15 * 4]
    mov [old_int15], edx
    push es
    mov es, ax
    xor di, di
    mov si, stub_start
    mov cx, stub_end - stub_start
    rep movsb
    pop es
    cli
    mov word [es:0x15 * 4], stub_entry - stub_start
    mov [es:0x15 * 4 + 2], ax
    sti
    pop es
    popad
    ret

; scratch (base, length, type) into the table, split around the VMM's memory
; when it is usable and overlaps it. 64-bit values; the VMM lies below 4 GiB.
add_split:
    pushad
    cmp dword [scratch + 16], 1
    jne .as_is
    ; Low memory: the usable entry that runs past the stub's start keeps
    ; its part below; from there on (the stub, up to the entry's end) it is
    ; reserved.
    cmp dword [scratch + 4], 0
    jne .not_low
    cmp dword [scratch + 12], 0
    jne .not_low
    mov esi, [scratch]
    mov eax, esi
    add eax, [scratch + 8]
    jc .not_low
    cmp esi, [stub_lo]
    jae .not_low
    cmp eax, [stub_lo]
    jbe .not_low
    push eax
    mov ecx, [stub_lo]
    sub ecx, esi
    xor edi, edi
    mov ebp, 1
    call emit
    pop ecx
    mov esi, [stub_lo]
    sub ecx, esi
    mov ebp, 2
    call emit
    jmp .done
.not_low:
    cmp dword [scratch + 4], 0      ; base >= 4 GiB
    jne .as_is
    mov esi, [scratch]              ; base (low)
    cmp esi, VMM_MEMORY_END
    jae .as_is
    mov eax, esi
    add eax, [scratch + 8]
    mov edx, [scratch + 12]
    adc edx, 0                      ; edx:eax = end
    test edx, edx
    jnz .overlaps
    cmp eax, VMM_ADDR
    jbe .as_is
.overlaps:
    push edx
    push eax
    cmp esi, VMM_ADDR               ; usable below
    jae .middle
    mov ecx, VMM_ADDR
    sub ecx, esi
    xor edi, edi
    mov ebp, 1
    call emit                       ; esi = base, edi:ecx = length, ebp = type
.middle:
    pop eax
    pop edx
    ; reserved: [max(base, VMM_ADDR), min(end, VMM_MEMORY_END))
    mov ebx, VMM_ADDR
    cmp esi, ebx
    jbe .lo_ok
    mov ebx, esi
.lo_ok:
    push edx
    push eax
    mov ecx, VMM_MEMORY_END
    test edx, edx
    jnz .hi_ok
    cmp eax, ecx
    jae .hi_ok
    mov ecx, eax
.hi_ok:
    sub ecx, ebx
    mov esi, ebx
    xor edi, edi
    mov ebp, 2
    call emit
    pop eax
    pop edx
    ; usable above: [VMM_MEMORY_END, end)
    sub eax, VMM_MEMORY_END
    sbb edx, 0
    jc .done                        ; end below it
    mov ecx, eax
    or eax, edx
    jz .done
    mov edi, edx
    mov esi, VMM_MEMORY_END
    mov ebp, 1
    call emit
    jmp .done
.as_is:
    mov esi, [scratch]
    mov ecx, [scratch + 8]
    mov edi, [scratch + 12]
    mov ebp, [scratch + 16]
    mov eax, [scratch + 4]
    call emit_hi
.done:
    popad
    ret

; An entry into the stub's table: base esi (high: 0, or eax with emit_hi),
; length edi:ecx, type ebp. A full table drops the rest (MAP_MAX entries).
emit:
    xor eax, eax
emit_hi:
    movzx ebx, word [stub_count]
    cmp bx, MAP_MAX
    jae .full
    imul bx, bx, ENTRY_BYTES
    add bx, stub_table
    mov [bx], esi
    mov [bx + 4], eax
    mov [bx + 8], ecx
    mov [bx + 12], edi
    mov [bx + 16], ebp
    inc word [stub_count]
.full:
    ret

; The map as the guest sees it now, through the hooked INT 15h, on COM1.
print_map:
    pushad
    push es
    push cs
    pop es
    xor ebx, ebx
.next:
    mov di, scratch
    mov eax, 0xE820
    mov edx, SMAP
    mov ecx, ENTRY_BYTES
    int 0x15
    jc .done
    mov si, msg_e820
    call print
    mov eax, [scratch + 4]
    call print_hex32
    mov eax, [scratch]
    call print_hex32
    mov al, ' '
    call print_char
    mov eax, [scratch + 12]
    call print_hex32
    mov eax, [scratch + 8]
    call print_hex32
    mov al, ' '
    call print_char
    mov al, [scratch + 16]
    add al, '0'
    call print_char
    mov si, msg_crlf
    call print
    test ebx, ebx
    jnz .next
.done:
    mov si, msg_hooked
    call print
    mov ax, [stub_segment]
    movzx eax, ax
    call print_hex32
    mov si, msg_crlf
    call print
    pop es
    popad
    ret

print_hex32:                        ; EAX, 8 digits
    push cx
    mov cx, 8
.digit:
    rol eax, 4
    push eax
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '9' - 1
.out:
    call print_char
    pop eax
    loop .digit
    pop cx
    ret

; The handler, copied to STUB_SEGMENT:0000 (its offsets are from stub_start).
stub_start:
stub_entry:
    cmp eax, 0xE820
    je .e820
    cmp ax, 0xE801
    je .e801
    cmp ah, 0x88
    je .size88
    jmp far [cs:old_int15 - stub_start]
.e820:
    cmp edx, SMAP
    jne .pass
    cmp ebx, MAP_MAX
    jae .fail
    cmp bx, [cs:stub_count - stub_start]
    jae .fail
    push si
    push cx
    push di
    imul si, bx, ENTRY_BYTES
    add si, stub_table - stub_start
    mov cx, ENTRY_BYTES
.copy:
    mov al, [cs:si]
    mov [es:di], al
    inc si
    inc di
    loop .copy
    pop di
    pop cx
    pop si
    inc ebx
    cmp bx, [cs:stub_count - stub_start]
    jb .more
    xor ebx, ebx                    ; the last one
.more:
    mov eax, SMAP
    mov ecx, ENTRY_BYTES
    jmp .ok
.pass:
    jmp far [cs:old_int15 - stub_start]
.e801:
    pushf
    call far [cs:old_int15 - stub_start]
    jc .fail
    cmp ax, HOLE_KIB
    jbe .ax_ok
    mov ax, HOLE_KIB
.ax_ok:
    cmp cx, HOLE_KIB
    jbe .cx_ok
    mov cx, HOLE_KIB
.cx_ok:
    xor bx, bx                      ; nothing above 16 MiB that joins on
    xor dx, dx
    jmp .ok
.size88:
    pushf
    call far [cs:old_int15 - stub_start]
    jc .fail
    cmp ax, HOLE_KIB
    jbe .ok
    mov ax, HOLE_KIB
.ok:                                ; CF clear in the caller's FLAGS
    push bp
    mov bp, sp
    and byte [bp + 6], 0xFE
    pop bp
    iret
.fail:
    push bp
    mov bp, sp
    or byte [bp + 6], 1
    pop bp
    iret
old_int15:   dd 0
stub_count:  dw 0
stub_table:  times MAP_MAX * ENTRY_BYTES db 0
stub_end:
%if stub_end - stub_start > STUB_KIB * 1024
%error the INT 15h stub is larger than the memory it takes
%endif

stub_segment: dw 0
new_base_kib: dw 0
stub_lo:      dd 0
scratch:      times 24 db 0

%defstr DRIVE_TEXT CHAIN_DRIVE
msg_reading: db "vmxboot-chain: loader: reading LBA 0 of drive ", DRIVE_TEXT, 13, 10, 0
msg_jump:    db "vmxboot-chain: loader: 0x55AA found, jumping to 0:7C00", 13, 10, 0
msg_failed:  db "vmxboot-chain: loader: no boot sector on that drive", 13, 10, 0
msg_e820:    db "vmxboot-chain: loader: e820 ", 0
msg_hooked:  db "vmxboot-chain: loader: INT 15h hooked at segment ", 0
msg_crlf:    db 13, 10, 0

image_end:
memory_end equ image_end + STACK_BYTES
