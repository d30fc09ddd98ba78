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
; BDA's base-memory size (40:13) by CHAIN_STUB_KIB, puts a small INT 15h
; handler there (the `stub` below) and points IVT entry 15h at it. The stub
; asks the VMM by VMCALL for E820, E801 and AH=88h; the VMM answers from the
; BIOS's map as stage2 read it, with the VMM's memory and the stub's KiB
; reported reserved and E801/88h counting only the memory below the VMM
; (vmm/vmx/chain_memory_map.h). Every other function goes to the BIOS's
; handler. It prints the map the guest now sees, read through the hooked
; vector. (The EPT keeps the guest out of the VMM's memory anyway: the map
; only tells it so.)
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
%define GUEST_LIMIT CHAIN_LIMIT_PLATFORM_DEFAULT
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

;  ---------------------------------------------------------------------------
; The INT 15h hook: hook_int15 lowers 40:13 by CHAIN_STUB_KIB and copies the
; stub to the KiB it took, at the top of conventional memory; the VMM read
; 40:13 before VMLAUNCH and reports that KiB reserved.
; ---------------------------------------------------------------------------
ENTRY_BYTES   equ 20

hook_int15:
    push ax
    push cx
    push si
    push di
    push es
    xor ax, ax
    mov es, ax
    mov ax, [es:BDA_BASE_MEMORY_KIB]
    sub ax, CHAIN_STUB_KIB
    mov [es:BDA_BASE_MEMORY_KIB], ax
    shl ax, 6                       ; KiB -> paragraphs
    mov [stub_segment], ax
    ; The BIOS's vector, kept in the stub, then ours.
    mov ecx, [es:0x15 * 4]
    mov [old_int15], ecx
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
    pop di
    pop si
    pop cx
    pop ax
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
    mov edx, E820_SMAP
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
    ; E801 (AX, BX: KiB from 1 MiB to 16 MiB, 64 KiB blocks above) and 88h.
    mov si, msg_e801
    call print
    mov ax, 0xE801
    int 0x15
    movzx eax, ax
    call print_hex32
    mov al, ' '
    call print_char
    movzx eax, bx
    call print_hex32
    mov si, msg_88
    call print
    mov ah, 0x88
    int 0x15
    movzx eax, ax
    call print_hex32
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
; E820, E801 and AH=88h are the VMM's to answer (GUEST_VMCALL_INT15: the
; caller's EAX in ESI, everything else as the caller set it; the answer in
; the registers and CF); every other function is the BIOS's.
stub_start:
stub_entry:
    cmp eax, 0xE820
    je .ask
    cmp ax, 0xE801
    je .ask
    cmp ah, 0x88
    je .ask
    jmp far [cs:old_int15 - stub_start]
.ask:
    push esi
    mov esi, eax
    mov eax, GUEST_VMCALL_INT15
    vmcall
    pop esi
    push bp                         ; CF into the caller's FLAGS
    mov bp, sp
    jc .fail
    and byte [bp + 6], 0xFE
    pop bp
    iret
.fail:
    or byte [bp + 6], 1
    pop bp
    iret
old_int15:   dd 0
stub_end:
%if stub_end - stub_start > CHAIN_STUB_KIB * 1024
%error the INT 15h stub is larger than the memory it takes
%endif

stub_segment: dw 0
scratch:      times 24 db 0

%defstr DRIVE_TEXT CHAIN_DRIVE
msg_reading: db "vmxboot-chain: loader: reading LBA 0 of drive ", DRIVE_TEXT, 13, 10, 0
msg_jump:    db "vmxboot-chain: loader: 0x55AA found, jumping to 0:7C00", 13, 10, 0
msg_failed:  db "vmxboot-chain: loader: no boot sector on that drive", 13, 10, 0
msg_e820:    db "vmxboot-chain: loader: e820 ", 0
msg_e801:    db "vmxboot-chain: loader: e801 ", 0
msg_88:      db 13, 10, "vmxboot-chain: loader: 88h ", 0
msg_hooked:  db 13, 10, "vmxboot-chain: loader: INT 15h hooked at segment ", 0
msg_crlf:    db 13, 10, 0

image_end:
memory_end equ image_end + STACK_BYTES
