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

; The COM1 flood cases: 16 KiB of 64-byte lines, sent again and again.
FLOOD_LINE_BYTES equ 64
FLOOD_BYTES      equ 16384

; Selectors. The GDT holds only the TSS and the LDT (a V86 task needs no
; code or data descriptors of its own); the ring-0 handler's segments are in
; the LDT (table indicator bit 2).
SELECTOR_LDT_BIT equ 4

; ---------------------------------------------------------------------------
; Header (abi/guest_header.h). FIELD checks each offset against the C++
; definition: a field out of place makes one of the two TIMES negative.
; ---------------------------------------------------------------------------
org 0

%macro FIELD 3                      ; name, dw|dd, value
    times GuestHeader_%1 - ($ - header) db 0
    times ($ - header) - GuestHeader_%1 db 0
    %2 %3
%endmacro

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
    ; Fault injection (`make image INJECT=guest-...`): the VMM copies the
    ; case into the header; each guest case takes its own path here.
    mov ax, [header + GuestHeader_inject]
    cmp ax, INJECT_GUEST_SPIN
    je inject_spin
    cmp ax, INJECT_GUEST_EXIT_THEN_SPIN
    je inject_exit_then_spin
    cmp ax, INJECT_GUEST_TRIPLE_FAULT
    je guest_task.halt              ; guest_isrGPF does the rest at ring 0
    cmp ax, INJECT_GUEST_WRITE_VMM
    je guest_task.halt              ; likewise
    cmp ax, INJECT_GUEST_READ_VMM
    je guest_task.halt              ; likewise
    cmp ax, INJECT_GUEST_PSE36_OUTS
    je guest_task.halt              ; likewise
    cmp ax, INJECT_GUEST_COM1_FLOOD
    je inject_com1_flood
    cmp ax, INJECT_GUEST_RING0_FLOOD
    jne .not_ring0_flood
    call fill_flood_buffer
    jmp guest_task.halt             ; guest_isrGPF floods from ring 0
.not_ring0_flood:
    cmp ax, INJECT_GUEST_UART_SETUP
    jne .not_uart_setup
    call inject_uart_setup
.not_uart_setup:
    cmp word [header + GuestHeader_inject], INJECT_GUEST_PORT_POLICY
    jne .not_port_policy
    call inject_port_policy
.not_port_policy:
    cmp word [header + GuestHeader_inject], INJECT_GUEST_BAD_PORT
    jne .normal
    call inject_bad_ports
.normal:
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
    ; INJECT_GUEST_REWRITE_HEADER: its line is on the screen and on COM1;
    ; now the guest points its header's row far past the screen, into the
    ; VMM's image. The VMM checked the row before the guest ran and reads
    ; its own copy afterwards: the VMM's line still shows this row's text.
    cmp word [header + GuestHeader_inject], INJECT_GUEST_REWRITE_HEADER
    jne .bench_start
    mov word [header + GuestHeader_vga_row], GUEST_REWRITTEN_VGA_ROW
.bench_start:
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

; INJECT_GUEST_SPIN: interrupts off, a loop with no exit in it. Only the
; VMM's time bound (VMX-preemption timer, else the PIT through
; external-interrupt exiting, which exits whatever the guest's IF) ends it.
inject_spin:
    cli
.forever:
    jmp .forever

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

; INJECT_GUEST_COM1_FLOOD: 16 KiB to COM1 with one REP OUTSB, forever. The
; VMM carries it out a bounded chunk per exit, each byte's wait bounded by
; its own baud rate, and its time bound counts the exits: the guest is
; stopped when its time is up, mid-string.
inject_com1_flood:
    call fill_flood_buffer
    mov dx, COM1_PORT
.again:
    mov si, flood_buffer
    mov cx, FLOOD_BYTES
    rep outsb
    jmp .again

; The flood's 16 KiB: flood_line over and over (ES = DS here).
fill_flood_buffer:
    cld
    mov di, flood_buffer
    mov bx, FLOOD_BYTES / FLOOD_LINE_BYTES
.line:
    mov si, flood_line
    mov cx, FLOOD_LINE_BYTES
    rep movsb
    dec bx
    jnz .line
    ret

; INJECT_GUEST_UART_SETUP: the guest changes COM1's setup as a driver of
; its own would (loopback, 7E1, 9600 baud, interrupts on, FIFOs off), reads
; it back and says on COM1 what it read. The VMM keeps these in a shadow:
; its UART stays at 115200 8N1 without loopback, so this line and the
; VMM's own still get out.
UART_LCR_7E1 equ 0x1A               ; 7 data bits, even parity, 1 stop bit
UART_MCR_LOOPBACK equ 0x10
inject_uart_setup:
    mov dx, COM1_PORT + UART_MCR
    mov al, UART_MCR_LOOPBACK
    out dx, al
    mov dx, COM1_PORT + UART_LCR
    mov al, UART_LCR_DLAB | UART_LCR_7E1
    out dx, al
    mov dx, COM1_PORT               ; DLL
    mov al, 0x0C
    out dx, al
    inc dx                          ; DLM
    mov al, 0
    out dx, al
    mov dx, COM1_PORT + UART_LCR
    mov al, UART_LCR_7E1
    out dx, al
    mov dx, COM1_PORT + UART_IER
    mov al, 0x0F
    out dx, al
    mov dx, COM1_PORT + UART_FCR
    mov al, 0
    out dx, al
    ; Read back, into uart_line.
    mov dx, COM1_PORT + UART_MCR
    call .read_into
    dw uart_mcr_digits
    mov dx, COM1_PORT + UART_LCR
    call .read_into
    dw uart_lcr_digits
    mov dx, COM1_PORT + UART_IER
    call .read_into
    dw uart_ier_digits
    mov dx, COM1_PORT + UART_LCR
    mov al, UART_LCR_DLAB | UART_LCR_7E1
    out dx, al
    mov dx, COM1_PORT + 1           ; DLM
    in al, dx
    mov ah, al
    dec dx                          ; DLL
    in al, dx
    mov di, uart_divisor_digits
    call put_hex16
    mov dx, COM1_PORT + UART_LCR
    mov al, UART_LCR_7E1
    out dx, al
    mov si, uart_line
    call send_serial
    ret
; in al, dx; its two hex digits to the address in the word after the call.
.read_into:
    in al, dx
    xor ah, ah
    pop si                          ; the return address: the word's
    mov di, [si]
    add si, 2
    push si
    call put_hex16
    ret

; INJECT_GUEST_PORT_POLICY: accesses the VMM's port policy does not allow,
; in every size and direction, single and string: each is one exit the VMM
; denies (IN and INS read all ones, OUT and OUTS go nowhere), counts and
; logs, sixteen in all. Then the normal path.
inject_port_policy:
    mov dx, COM1_PORT + 7
    out dx, ax                      ; a word at 0x3ff: reaches 0x400
    in ax, dx
    dec dx
    out dx, eax                     ; a dword at 0x3fe: reaches 0x401
    in eax, dx
    mov dx, COM1_PORT
    out dx, ax                      ; a word on COM1, a byte-wide device
    in eax, dx
    mov dx, COM1_LSR
    out dx, al                      ; LSR is not written
    in al, BENCH_PORT               ; the benchmark's port takes byte OUTs only
    out BENCH_PORT, ax
    out 0x21, al                    ; the PIC's mask
    cld
    mov si, header
    mov cx, 2
    mov dx, 0xCF9                   ; reset control
    rep outsw
    mov cx, 2
    mov dx, 0x92                    ; system control port A (fast reset)
    rep outsd
    mov di, header + GuestHeader_bad_port_ins
    mov cx, 2
    mov dx, 0x402                   ; the BIOS's debug port
    rep insw
    mov dx, COM1_PORT + 7
    outsw                           ; a word at 0x3ff again, as a string
    mov di, header + GuestHeader_bad_port_ins
    dec dx
    insd                            ; a dword at 0x3fe, as a string
    mov dx, COM1_PORT + 8
    in al, dx                       ; right past COM1
    ret

; INJECT_GUEST_EXIT_THEN_SPIN: with interrupts off, exits the VMM handles
; (COM1 status reads) for a while, then a loop with no exit in it: the time
; bound must hold after exits too (PIT ticks keep coming: the VMM resumes it
; with IF set; the VMX-preemption timer restarts with what is left).
inject_exit_then_spin:
    cli
    mov cx, 1000
    mov dx, COM1_LSR
.exits:
    in al, dx
    loop .exits
.forever:
    jmp .forever

; INJECT_GUEST_BAD_PORT: ports outside the VMM's port policy:
; each access is a VM exit the VMM denies (IN reads all ones, OUT is
; dropped), counts and logs; the guest goes on with its normal path.
inject_bad_ports:
    in al, 0x64                     ; keyboard controller status
    out 0x70, al                    ; CMOS/RTC index
    mov dx, 0xCF8
    in eax, dx                      ; PCI configuration address, 32 bits
    ; A string input, one exit: the VMM writes what the port reads for the
    ; guest (all ones) to ES:DI, through the guest's paging.
    mov di, header + GuestHeader_bad_port_ins
    mov cx, 4
    mov dx, 0x60                    ; keyboard data
    cld
    rep insb
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
    cmp word [GUEST_ADDR + GuestHeader_inject], INJECT_GUEST_FAKE_ACPI
    jne .no_fake_acpi
    call plant_fake_acpi
.no_fake_acpi:
    cmp word [GUEST_ADDR + GuestHeader_inject], INJECT_GUEST_TRIPLE_FAULT
    je inject_triple_fault
    cmp word [GUEST_ADDR + GuestHeader_inject], INJECT_GUEST_WRITE_VMM
    je inject_write_vmm
    cmp word [GUEST_ADDR + GuestHeader_inject], INJECT_GUEST_READ_VMM
    je inject_read_vmm
    cmp word [GUEST_ADDR + GuestHeader_inject], INJECT_GUEST_RING0_FLOOD
    je inject_ring0_flood
    cmp word [GUEST_ADDR + GuestHeader_inject], INJECT_GUEST_PSE36_OUTS
    je inject_pse36_outs
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

; INJECT_GUEST_TRIPLE_FAULT: an empty IDT, then an interrupt. INT 0x20 is
; beyond the IDT limit: #GP; #GP cannot be delivered either: #DF; #DF
; neither: shutdown. The VMM leaves #GP and #DF to the guest (its exception
; bitmap), so the CPU reports the shutdown as a triple-fault VM exit.
inject_triple_fault:
    lidt [GUEST_ADDR + empty_idtr]
    int 0x20
    jmp inject_triple_fault         ; not reached

; INJECT_GUEST_WRITE_VMM: the guest maps the VMM's 4 MiB (page-directory
; entry 1, through its CR3) and overwrites the VMM's first instruction. With
; EPT the write to guest-physical VMM_ADDR is an EPT violation; without, the
; VMM keeps the page directory outside the guest's memory, so the first
; write already page-faults. Reaching the VMCALL means the VMM was hit.
inject_write_vmm:
    call map_the_vmm
    mov dword [VMM_ADDR], 0xCCCCCCCC
    mov eax, GUEST_VMCALL_FAULT
    jmp guest_isrGPF.report

; INJECT_GUEST_READ_VMM: the same mapping, then REP OUTSB from the VMM's
; first bytes to COM1. OUTS exits and the VMM carries it out: it must not
; read what the guest could not (with EPT: the guest's page tables point
; there, EPT does not map it); without EPT the mapping already page-faults.
inject_read_vmm:
    call map_the_vmm
    mov esi, VMM_ADDR
    mov ecx, 16
    mov dx, COM1_PORT
    rep outsb
    mov eax, GUEST_VMCALL_FAULT     ; reached only if the VMM read it
    jmp guest_isrGPF.report

; INJECT_GUEST_RING0_FLOOD: the COM1 flood from ring 0, 32-bit: ESI and
; ECX are 32 bits wide here (one REP could run to 4 G elements); the VMM
; still carries out a bounded chunk per exit.
inject_ring0_flood:
    mov dx, COM1_PORT
.again:
    mov esi, GUEST_ADDR + flood_buffer
    mov ecx, FLOOD_BYTES
    rep outsb
    jmp .again

; INJECT_GUEST_PSE36_OUTS: a 4 MiB page whose PSE-36 bits put it at physical
; 4 GiB, then REP OUTSB from where the guest's header would be in it. The CPU
; would read physical 0x1_0001_0000 (with EPT: not the guest's, an EPT
; violation); the VMM carrying out the OUTS must walk the same way and refuse,
; not drop the PSE-36 bits and send the guest's own header (0x10000) to COM1.
; Without EPT the page directory is the VMM's: the PDE write page-faults.
inject_pse36_outs:
    mov eax, cr3
    and eax, ~0xFFF
    mov dword [eax + (GUEST_PSE36_LINEAR >> 22) * 4], GUEST_PSE36_PDE
    invlpg [GUEST_PSE36_LINEAR]
    mov esi, GUEST_PSE36_LINEAR + GUEST_ADDR
    mov ecx, 16
    mov dx, COM1_PORT
    rep outsb
    mov eax, GUEST_VMCALL_FAULT     ; reached only if the VMM sent the bytes
    jmp guest_isrGPF.report

; INJECT_GUEST_FAKE_ACPI: ACPI tables of the guest's own (below), whose FADT
; names PM1a_CNT GUEST_FAKE_PM1A_CNT, made valid (checksums), and the BIOS
; data area's EBDA pointer aimed at their RSDP: where the ACPI search looks
; first. A VMM that searched the tables only at the end of the run would
; power off through the guest's port (and fail to). Only without EPT: with
; EPT the guest has no access to 0x40E at all (CR3 then lies in the guest's
; own memory, below the VMM), and the guest leaves it; the run goes on to
; the guest's normal end either way. Keeps every register (the #GP report).
plant_fake_acpi:
    pushad
    mov eax, cr3
    cmp eax, VMM_ADDR
    jb .done                        ; EPT: the guest's own page directory
    mov esi, GUEST_ADDR + fake_rsdp
    mov ecx, FAKE_RSDP_BYTES
    mov edx, 8
    call acpi_checksum
    mov esi, GUEST_ADDR + fake_rsdt
    mov ecx, fake_rsdt_end - fake_rsdt
    mov edx, 9
    call acpi_checksum
    mov esi, GUEST_ADDR + fake_fadt
    mov ecx, fake_fadt_end - fake_fadt
    mov edx, 9
    call acpi_checksum
    mov esi, GUEST_ADDR + fake_dsdt
    mov ecx, fake_dsdt_end - fake_dsdt
    mov edx, 9
    call acpi_checksum
    mov word [BDA_EBDA_POINTER], (GUEST_ADDR + (fake_rsdp - $$)) >> 4
.done:
    popad
    ret

; The byte at [esi + edx] such that the ecx bytes at esi sum to 0 (mod 256).
acpi_checksum:
    mov byte [esi + edx], 0
    xor eax, eax
.sum:
    add al, [esi + ecx - 1]
    loop .sum
    neg al
    mov [esi + edx], al
    ret

; Page-directory entry 1 -> the VMM's 4 MiB at VMM_ADDR, user and writable.
map_the_vmm:
    mov eax, cr3
    and eax, ~0xFFF
    mov dword [eax + 4], VMM_ADDR | PDE_4MIB_USER
    invlpg [VMM_ADDR]
    ret

empty_idtr:
    dw 0
    dd 0

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

uart_line:
    db "COM1 as the guest set it: MCR="
uart_mcr_digits:
    db "????  LCR="
uart_lcr_digits:
    db "????  IER="
uart_ier_digits:
    db "????  divisor="
uart_divisor_digits:
    db "????", 13, 10, 0

flood_line:
    db "flood: the guest sends this line to COM1, again and again ....", 13, 10
flood_line_end:
    ; exactly FLOOD_LINE_BYTES: either TIMES is negative otherwise
    times FLOOD_LINE_BYTES - (flood_line_end - flood_line) db 0
    times (flood_line_end - flood_line) - FLOOD_LINE_BYTES db 0

; INJECT_GUEST_FAKE_ACPI's tables (ACPI 5.2.5, 5.2.6, 5.2.9): an RSDP
; (revision 0: RSDT only), an RSDT with one entry, a 116-byte ACPI 1.0 FADT,
; a DSDT holding Name(_S5_, Package(4){0, 0, 0, 0}). Checksums are set by
; plant_fake_acpi. The RSDP starts the fake EBDA: 16-byte aligned.
%macro ACPI_TABLE_HEADER 2          ; signature, length
    db %1
    dd %2
    db 1, 0                         ; revision, checksum
    db "VMXBT "                     ; OEM ID
    db "GUESTFAK"                   ; OEM table ID
    dd 1                            ; OEM revision
    db "VMXB"                       ; creator ID
    dd 1                            ; creator revision
%endmacro
align 16
fake_rsdp:
    db "RSD PTR "
    db 0                            ; checksum of these 20 bytes
    db "VMXBT "
    db 0                            ; revision
    dd GUEST_ADDR + fake_rsdt
FAKE_RSDP_BYTES equ $ - fake_rsdp
fake_rsdt:
    ACPI_TABLE_HEADER "RSDT", fake_rsdt_end - fake_rsdt
    dd GUEST_ADDR + fake_fadt
fake_rsdt_end:
fake_fadt:
    ACPI_TABLE_HEADER "FACP", fake_fadt_end - fake_fadt
    dd 0                            ; 36: FACS
    dd GUEST_ADDR + fake_dsdt       ; 40: DSDT
    times 48 - ($ - fake_fadt) db 0
    dd 0                            ; 48: SMI_CMD (none)
    times 64 - ($ - fake_fadt) db 0
    dd GUEST_FAKE_PM1A_CNT          ; 64: PM1a_CNT_BLK
    times 116 - ($ - fake_fadt) db 0
fake_fadt_end:
fake_dsdt:
    ACPI_TABLE_HEADER "DSDT", fake_dsdt_end - fake_dsdt
    db 0x08, "_S5_", 0x12, 0x06, 0x04, 0, 0, 0, 0
fake_dsdt_end:

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
flood_buffer:                       ; the COM1 flood cases' 16 KiB
    resb FLOOD_BYTES
ring3_stack:
    resb 512
ring3_stack_top:
ring0_stack:
    resb 512
ring0_stack_top:
memory_end:
