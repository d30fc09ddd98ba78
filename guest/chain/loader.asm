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
STACK_BYTES   equ 512
COM1          equ COM1_PORT

org 0

%macro FIELD 3                      ; name, dw|dd, value
    times GuestHeader_%1 - ($ - header) db 0
    times ($ - header) - GuestHeader_%1 db 0
    %2 %3
%endmacro

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
    push dx
.next:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, COM1
    mov al, ah
    out dx, al
    jmp .next
.done:
    pop dx
    pop ax
    ret

%defstr DRIVE_TEXT CHAIN_DRIVE
msg_reading: db "vmxboot-chain: loader: reading LBA 0 of drive ", DRIVE_TEXT, 13, 10, 0
msg_jump:    db "vmxboot-chain: loader: 0x55AA found, jumping to 0:7C00", 13, 10, 0
msg_failed:  db "vmxboot-chain: loader: no boot sector on that drive", 13, 10, 0

image_end:
memory_end equ image_end + STACK_BYTES
