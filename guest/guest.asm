; The Virtual-8086 guest of the VMX demo (after the 2007 lecture's
; vmxstep1.s): one V86 task, the protected-mode structures a V86 task needs
; around it, and the 32-bit ring-0 #GP handler that ends it.
;
; Loaded by stage2 at GUEST_ADDR; the VMM reads the header below, zeroes the
; tail [image_bytes, memory_bytes), and enters guest_task in V86 mode with
; CS = DS = ES = FS = GS = SS = GUEST_ADDR >> 4, CR0.PE|PG, CR3 = the page
; directory below, TR = the busy TSS, LDTR = the LDT, IDTR = the IDT.
;
; guest_task writes its line into its own row of VGA text memory and to
; COM1 (the greeting with one `rep outsb`, the rest a byte at a time after
; polling the line status register), then executes HLT. HLT at CPL 3 raises
; #GP; the CPU switches to ring 0 through the TSS (SS0:ESP0) and the IDT
; (vector 13 -> guest_isrGPF), which reports with VMCALL: a VM exit, the end.
;
; Build: nasm -f bin -I build/gen/ guest/guest.asm -o build/guest.bin
; (build/gen/layout.inc is printed by abi/gen_layout_inc.cpp).

%include "layout.inc"

GUEST_SEGMENT   equ GUEST_ADDR >> 4
VGA_ROW         equ 24             ; default; see GuestHeader::vga_row
VGA_COLUMNS     equ 80
VGA_ATTRIBUTE   equ 0x1F            ; white on blue
COM1_LSR        equ COM1_PORT + UART_LSR
LSR_THR_EMPTY   equ UART_LSR_THR_EMPTY

; 4 MiB page at physical 0, identity: present, writable, user (the guest
; runs at CPL 3: without U/S its first fetch page-faults), page size.
PDE_4MIB_USER   equ 0x87

; The exit round-trip benchmark (make bench): this many single-byte OUTs to
; the VMM's benchmark port (BENCH_PORT, from layout.inc: Bochs prints it on
; its console), which the VMM traps and forwards unpolled, timed with RDTSC.
BENCH_OUTS      equ 100

; A fault-injection case's guest (`make image INJECT=guest-<case>`) is this
; file assembled with -DINJECT_CASE=INJECT_GUEST_<CASE>: guest/inject_cases.asm
; then fills the CASE_* hook points below; in the normal guest they are empty.
%ifdef INJECT_CASE
%include "guest/inject_cases.asm"
%else
GUEST_CASE equ INJECT_NONE
%macro CASE_AT_V86_START 0
%endmacro
%macro CASE_AFTER_LINE 0
%endmacro
%macro CASE_AT_RING0 0
%endmacro
%macro CASE_CODE_16 0
%endmacro
%macro CASE_CODE_32 0
%endmacro
%macro CASE_DATA 0
%endmacro
%macro CASE_TAIL 0
%endmacro
%endif

; Selectors. The GDT holds only the TSS and the LDT (a V86 task needs no
; code or data descriptors of its own); the ring-0 handler's segments are in
; the LDT (table indicator bit 2).
SELECTOR_LDT_BIT equ 4

; ---------------------------------------------------------------------------
; Header (abi/guest_header.h). FIELD checks each offset against the C++
; definition: a field out of place makes one of the two TIMES negative.
; ---------------------------------------------------------------------------
org 0

%include "guest/header_field.inc"

header:
    FIELD magic,                 dd, GUEST_MAGIC
    FIELD header_bytes,          dw, SIZEOF_GuestHeader
    FIELD vga_row,               dw, VGA_ROW
    FIELD image_bytes,           dd, image_end
    FIELD memory_bytes,          dd, memory_end
    FIELD entry_cs,              dw, GUEST_SEGMENT
    FIELD entry_ip,              dw, guest_task
    FIELD entry_ss,              dw, GUEST_SEGMENT
    FIELD entry_sp,              dw, ring3_stack_top
    FIELD entry_ds,              dw, GUEST_SEGMENT
    FIELD gdt_limit,             dw, gdt_end - gdt - 1
    FIELD gdt_offset,            dd, gdt
    FIELD tss_selector,          dw, TSS_SELECTOR
    FIELD ldt_selector,          dw, LDT_SELECTOR
    FIELD tss_offset,            dd, tss
    FIELD tss_limit,             dd, TSS_LIMIT
    FIELD ldt_offset,            dd, ldt
    FIELD ldt_limit,             dd, ldt_end - ldt - 1
    FIELD idt_offset,            dd, idt
    FIELD idt_limit,             dd, idt_end - idt - 1
    FIELD page_directory_offset, dd, page_directory
    FIELD gp_handler_offset,     dd, guest_isrGPF
    FIELD ring0_stack_top,       dd, ring0_stack_top
    FIELD pde0,                  dd, PDE_4MIB_USER
    FIELD bench_ticks,           dd, 0
    FIELD bench_outs,            dw, BENCH_OUTS
    FIELD inject,                dw, GUEST_CASE
    FIELD bad_port_ins,          dd, 0
    times SIZEOF_GuestHeader - ($ - header) db 0
    times ($ - header) - SIZEOF_GuestHeader db 0

; ---------------------------------------------------------------------------
; guest_task: 16-bit code, Virtual-8086 mode, CPL 3.
; ---------------------------------------------------------------------------
bits 16
guest_task:
    ; The I/O permission bitmap lies in the zeroed tail (every port passes
    ; to the VMM's VMX I/O bitmaps); the byte after it must be all ones.
    mov byte [io_bitmap_closing_byte], 0xFF
    CASE_AT_V86_START
    cld
    smsw ax                         ; CR0[15:0], as the CR0 read shadow shows it
    mov di, msw_digits
    call put_hex16
    pushf                           ; IOPL 3 lets PUSHF run in V86 mode
    pop ax
    mov di, flags_digits
    call put_hex16
    mov ax, cs
    mov di, cs_digits
    call put_hex16

    ; The line into the header's row (the VMM may have moved it to the row
    ; its console writes next), padded with blanks to the full width.
    push es
    mov ax, VGA_TEXT_ADDR >> 4
    mov es, ax
    imul di, [header + GuestHeader_vga_row], VGA_COLUMNS * 2
    lea dx, [di + VGA_COLUMNS * 2]
    mov si, line
    mov ah, VGA_ATTRIBUTE
.to_screen:
    lodsb
    cmp al, 13                      ; the screen line stops before CR LF
    je .pad
    stosw
    jmp .to_screen
.pad:
    mov al, ' '
.pad_next:
    cmp di, dx
    jae .screen_done
    stosw
    jmp .pad_next
.screen_done:
    pop es

    ; The same line to COM1: the greeting as one string instruction (one VM
    ; exit for the whole string), the rest as a polling driver sends it.
    mov dx, COM1_PORT
    mov si, line
    mov cx, greeting_end - line
    rep outsb
    call send_serial
    CASE_AFTER_LINE
    ; The exit round trip: each OUT is a VM exit, the VMM's forwarding and a
    ; VMRESUME. In Bochs the TSC counts instructions, so the delta / count is
    ; instructions per round trip (the loop's own OUT and LOOP included).
    mov al, '.'
    mov cx, BENCH_OUTS
    rdtsc                           ; CR4.TSD is clear: allowed at CPL 3
    mov ebx, eax
.bench:
    out BENCH_PORT, al
    loop .bench
    rdtsc
    sub eax, ebx
    mov [header + GuestHeader_bench_ticks], eax
.halt:
    hlt                             ; #GP at CPL 3: on to guest_isrGPF
    jmp .halt

CASE_CODE_16

; [si]: a NUL-terminated string to COM1, a byte at a time after polling the
; line status register, as a driver does.
send_serial:
    lodsb
    test al, al
    jz .done
    mov bl, al
    mov dx, COM1_LSR
.wait_ready:
    in al, dx
    test al, LSR_THR_EMPTY
    jz .wait_ready
    mov al, bl
    mov dx, COM1_PORT
    out dx, al
    jmp send_serial
.done:
    ret

; ax -> four hex digits at [di]
put_hex16:
    mov cx, 4
.digit:
    rol ax, 4
    mov bx, ax
    and bx, 0x0F
    mov bl, [hex_digits + bx]
    mov [di], bl
    inc di
    loop .digit
    ret

; ---------------------------------------------------------------------------
; guest_isrGPF: 32-bit code, ring 0, reached through IDT vector 13 with the
; stack from TSS.SS0:ESP0. Frame from V86 mode (SDM Vol. 3, 20.3.1.1):
; error code, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
; Reports to the VMM with VMCALL: EAX = GUEST_VMCALL_HALTED when the
; faulting instruction is HLT (the planned end), GUEST_VMCALL_FAULT
; otherwise; ECX:EDX = the faulting CS:IP, ESI = the error code.
; ---------------------------------------------------------------------------
bits 32
guest_isrGPF:
    mov esi, [esp]
    movzx edx, word [esp + 4]
    movzx ecx, word [esp + 8]
    mov ax, LDT_FLAT_SELECTOR
    mov ds, ax
    CASE_AT_RING0
    mov eax, ecx
    shl eax, 4
    add eax, edx                    ; V86 linear address = CS * 16 + IP
    cmp byte [eax], 0xF4            ; HLT
    mov eax, GUEST_VMCALL_HALTED
    je .report
    mov eax, GUEST_VMCALL_FAULT
.report:
    vmcall
    jmp .report                     ; the VMM does not resume after this exit

CASE_CODE_32

; ---------------------------------------------------------------------------
; Data
; ---------------------------------------------------------------------------
line:
    db "Hello from Guest VM"
greeting_end:
    db " (virtual-8086)  MSW="
msw_digits:
    db "????  FLAGS="
flags_digits:
    db "????  CS="
cs_digits:
    db "????", 13, 10, 0

hex_digits:
    db "0123456789ABCDEF"

CASE_DATA

; ---------------------------------------------------------------------------
; Descriptor tables
; ---------------------------------------------------------------------------
%macro DESCRIPTOR 4                 ; base, limit, access byte, flags (G, D/B in bits 7, 6)
    dw (%2) & 0xFFFF
    dw (%1) & 0xFFFF
    db ((%1) >> 16) & 0xFF
    db %3
    db (((%2) >> 16) & 0x0F) | (%4)
    db ((%1) >> 24) & 0xFF
%endmacro

ACCESS_TSS_BUSY_32  equ 0x8B        ; present, DPL 0, busy 32-bit TSS
ACCESS_LDT          equ 0x82        ; present, DPL 0, LDT
ACCESS_CODE_0       equ 0x9A        ; present, DPL 0, code, readable
ACCESS_DATA_0       equ 0x92        ; present, DPL 0, data, writable
FLAGS_32            equ 0x40        ; D/B: 32-bit code, ESP-based stack
FLAGS_4K_32         equ 0xC0        ; G and D/B

align 8
gdt:
    dq 0
gdt_tss:
    DESCRIPTOR GUEST_ADDR + (tss - $$), TSS_LIMIT, ACCESS_TSS_BUSY_32, 0
gdt_ldt:
    DESCRIPTOR GUEST_ADDR + (ldt - $$), ldt_end - ldt - 1, ACCESS_LDT, 0
gdt_end:

TSS_SELECTOR equ gdt_tss - gdt
LDT_SELECTOR equ gdt_ldt - gdt

ldt:
ldt_code32:                         ; guest_isrGPF
    DESCRIPTOR GUEST_ADDR, 0xFFFF, ACCESS_CODE_0, FLAGS_32
ldt_data32:                         ; SS0 for the ring-0 stack
    DESCRIPTOR GUEST_ADDR, 0xFFFF, ACCESS_DATA_0, FLAGS_32
ldt_vram:                           ; VGA text memory
    DESCRIPTOR VGA_TEXT_ADDR, 0xFFFF, ACCESS_DATA_0, 0
ldt_flat:                           ; all 4 GiB
    DESCRIPTOR 0, 0xFFFFF, ACCESS_DATA_0, FLAGS_4K_32
ldt_end:

LDT_CODE32_SELECTOR equ (ldt_code32 - ldt) | SELECTOR_LDT_BIT
LDT_DATA32_SELECTOR equ (ldt_data32 - ldt) | SELECTOR_LDT_BIT
LDT_VRAM_SELECTOR   equ (ldt_vram - ldt) | SELECTOR_LDT_BIT
LDT_FLAT_SELECTOR   equ (ldt_flat - ldt) | SELECTOR_LDT_BIT

; 32 exception vectors; only #GP is handled in the guest. The VMM's
; exception bitmap turns every other exception into a VM exit before the
; CPU would look here.
IDT_VECTORS         equ 32
GATE_INTERRUPT_32   equ 0x8E        ; present, DPL 0, 32-bit interrupt gate
idt:
    times 13 dq 0
    dw (guest_isrGPF - $$) & 0xFFFF
    dw LDT_CODE32_SELECTOR
    db 0, GATE_INTERRUPT_32
    dw (guest_isrGPF - $$) >> 16
    times IDT_VECTORS - 14 dq 0
idt_end:

; ---------------------------------------------------------------------------
; 32-bit TSS (SDM Vol. 3, 8.2.1), the interrupt-redirection map right below
; the I/O map base (SDM Vol. 3, 20.3.3), the I/O permission bitmap.
; ---------------------------------------------------------------------------
align 8
tss:
    dd 0                            ; previous-task link
    dd ring0_stack_top              ; ESP0
    dd LDT_DATA32_SELECTOR          ; SS0
    dd 0, 0, 0, 0                   ; ESP1, SS1, ESP2, SS2
    dd GUEST_ADDR + (page_directory - $$)   ; CR3
    dd guest_task                   ; EIP  } never loaded: the task is entered
    dd 0x00023002                   ; EFLAGS } by VM entry, not a task switch
    times 8 dd 0                    ; EAX ECX EDX EBX ESP EBP ESI EDI
    times 6 dd GUEST_SEGMENT        ; ES CS SS DS FS GS
    dd LDT_SELECTOR
    dw 0                            ; debug trap flag
    dw io_bitmap - tss              ; I/O map base
tss_core_end:
interrupt_redirection_map:
    ; All ones: with CR4.VME an INT n whose bit is 0 would go straight to
    ; the real-mode IVT; the guest uses none, so none is redirected.
    times 32 db 0xFF
; The I/O permission bitmap (SDM Vol. 1, 19.5.2): in V86 mode IN/OUT
; consult it whatever IOPL is, BEFORE the VMX I/O bitmaps, and a denied port
; raises #GP inside the guest, where the VMM never sees it. So this bitmap
; lets every port through (all zeros: 8 KiB of the zeroed tail, not of the
; image) and the VMM's I/O bitmaps trap every port: the VMM alone decides,
; by its port policy (vmx/port_policy.h), and counts what it denies.
io_bitmap:
TSS_LIMIT equ io_bitmap_closing_byte - tss

image_end:

; ---------------------------------------------------------------------------
; The tail, zeroed by the VMM, not in the file (the BIOS reads and the loader
; CRC-checks every byte of the file): the page directory, whose entry 0 the
; VMM writes from the header's pde0, and the two stacks.
; ---------------------------------------------------------------------------
absolute image_end
    resb 0x10000 / 8                ; the I/O bitmap's 65536 bits (io_bitmap)
io_bitmap_closing_byte:
    resb 1                          ; set to 0xFF by guest_task: the CPU reads
                                    ; two bytes per check
alignb 4096
page_directory:
    resd 1024
alignb 16
CASE_TAIL
ring3_stack:
    resb 512
ring3_stack_top:
ring0_stack:
    resb 512
ring0_stack_top:
memory_end:
