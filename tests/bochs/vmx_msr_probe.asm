; Boot-sector probe: prints the VMX capability MSRs of the CPU it boots on to
; port 0xE9 (Bochs' port_e9_hack) as "msr XXXXXXXX = HHHHHHHHLLLLLLLL" lines,
; then asks Bochs to quit through its shutdown port 0x8900. Real mode, CPL 0,
; so RDMSR works without entering VMX operation. MSRs that do not exist on a
; CPU (#GP) are skipped by the same rules the VMM uses to read them.
; Used once per Bochs CPU model to capture tests/unit data:
;   nasm -f bin vmx_msr_probe.asm -o probe.img; see capture_vmx_msrs.sh
bits 16
org 0x7C00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7C00
    mov eax, 1
    cpuid
    bt ecx, 5
    jc .has_vmx
    mov si, no_vmx_text
    call print
    jmp quit
.has_vmx:
    mov ecx, 0x3A
    call dump
    mov ecx, 0x480
.basic_range:                   ; 0x480..0x48A exist on every VMX CPU
    call dump
    inc ecx
    cmp ecx, 0x48B
    jne .basic_range
    mov ecx, 0x482
    rdmsr
    bt edx, 31                  ; may "activate secondary controls" be 1?
    jnc .no_secondary
    mov ecx, 0x48B
    call dump
    rdmsr
    test edx, (1 << 1) | (1 << 5)   ; EPT or VPID: EPT/VPID capability MSR
    jz .no_ept
    mov ecx, 0x48C
    call dump
.no_ept:
    mov ecx, 0x48B
    rdmsr
    bt edx, 13                  ; VM functions
    jnc .no_secondary
    mov ecx, 0x491
    call dump
.no_secondary:
    mov ecx, 0x480
    rdmsr
    bt edx, 55 - 32             ; TRUE controls
    jnc quit
    mov ecx, 0x48D
.true_range:
    call dump
    inc ecx
    cmp ecx, 0x491
    jne .true_range
quit:
    mov dx, 0x8900
    mov si, shutdown_text
.next:
    lodsb
    test al, al
    jz .halt
    out dx, al
    jmp .next
.halt:
    hlt
    jmp .halt

; ecx = MSR; prints it and its value; keeps ecx
dump:
    push ecx
    mov si, msr_text
    call print
    mov eax, ecx
    call hex32
    mov si, equals_text
    call print
    mov ecx, [esp]              ; hex32 used cx
    rdmsr
    push eax
    mov eax, edx
    call hex32
    pop eax
    call hex32
    mov al, 10
    out 0xE9, al
    pop ecx
    ret

hex32:                          ; eax
    mov cx, 8
.digit:
    rol eax, 4
    push eax
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'A' - '9' - 1
.out:
    out 0xE9, al
    pop eax
    loop .digit
    ret

print:                          ; si = NUL-terminated text
    lodsb
    test al, al
    jz .done
    out 0xE9, al
    jmp print
.done:
    ret

msr_text: db "msr ", 0
equals_text: db " = ", 0
no_vmx_text: db "no vmx", 10, 0
shutdown_text: db "Shutdown", 0

times 510 - ($ - $$) db 0
dw 0xAA55
