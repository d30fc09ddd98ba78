; The guest's fault-injection cases (`make image INJECT=guest-<case>`): each
; is a guest build of its own, guest/guest.asm assembled with
; -DINJECT_CASE=INJECT_GUEST_<CASE> (build/inject/guest-<case>.bin), which
; includes this file. It defines guest.asm's hook points for that case:
;   CASE_AT_V86_START  first thing in guest_task (V86, CPL 3)
;   CASE_AFTER_LINE    after the guest's line is on the screen and on COM1
;   CASE_AT_RING0      first thing in guest_isrGPF (ring 0, DS flat)
; and the cases' code and data (CASE_CODE_16, CASE_CODE_32, CASE_DATA,
; CASE_TAIL), which the normal guest does not hold.

; The case's number in the header (GuestHeader::inject): mkimage --inject
; checks that the guest it is given was built for the case it writes.
GUEST_CASE equ INJECT_CASE

%macro CASE_AT_V86_START 0
%if INJECT_CASE == INJECT_GUEST_SPIN
    jmp inject_spin
%elif INJECT_CASE == INJECT_GUEST_EXIT_THEN_SPIN
    jmp inject_exit_then_spin
%elif INJECT_CASE == INJECT_GUEST_TRIPLE_FAULT || INJECT_CASE == INJECT_GUEST_WRITE_VMM || \
      INJECT_CASE == INJECT_GUEST_READ_VMM || INJECT_CASE == INJECT_GUEST_PSE36_OUTS
    jmp guest_task.halt             ; guest_isrGPF does the rest at ring 0
%elif INJECT_CASE == INJECT_GUEST_COM1_FLOOD
    jmp inject_com1_flood
%elif INJECT_CASE == INJECT_GUEST_RING0_FLOOD
    call fill_flood_buffer
    jmp guest_task.halt             ; guest_isrGPF floods from ring 0
%elif INJECT_CASE == INJECT_GUEST_UART_SETUP
    call inject_uart_setup
%elif INJECT_CASE == INJECT_GUEST_PORT_POLICY
    call inject_port_policy
%elif INJECT_CASE == INJECT_GUEST_BAD_PORT
    call inject_bad_ports
%endif
%endmacro

; INJECT_GUEST_REWRITE_HEADER: its line is on the screen and on COM1; now
; the guest points its header's row far past the screen, into the VMM's
; image. The VMM checked the row before the guest ran and reads its own copy
; afterwards: the VMM's line still shows this row's text.
%macro CASE_AFTER_LINE 0
%if INJECT_CASE == INJECT_GUEST_REWRITE_HEADER
    mov word [header + GuestHeader_vga_row], GUEST_REWRITTEN_VGA_ROW
%endif
%endmacro

%macro CASE_AT_RING0 0
%if INJECT_CASE == INJECT_GUEST_FAKE_ACPI
    call plant_fake_acpi
%elif INJECT_CASE == INJECT_GUEST_TRIPLE_FAULT
    jmp inject_triple_fault
%elif INJECT_CASE == INJECT_GUEST_WRITE_VMM
    jmp inject_write_vmm
%elif INJECT_CASE == INJECT_GUEST_READ_VMM
    jmp inject_read_vmm
%elif INJECT_CASE == INJECT_GUEST_RING0_FLOOD
    jmp inject_ring0_flood
%elif INJECT_CASE == INJECT_GUEST_PSE36_OUTS
    jmp inject_pse36_outs
%endif
%endmacro

; The COM1 flood cases: 16 KiB of 64-byte lines, sent again and again.
FLOOD_LINE_BYTES equ 64
FLOOD_BYTES      equ 16384

; 16-bit, V86 mode.
%macro CASE_CODE_16 0
; INJECT_GUEST_SPIN: interrupts off, a loop with no exit in it. Only the
; VMM's time bound (VMX-preemption timer, else the PIT through
; external-interrupt exiting, which exits whatever the guest's IF) ends it.
inject_spin:
    cli
.forever:
    jmp .forever

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
%endmacro

; 32-bit, ring 0.
%macro CASE_CODE_32 0
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
%endmacro

%macro CASE_DATA 0
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
%endmacro

; In the zeroed tail: the flood cases' 16 KiB.
%macro CASE_TAIL 0
alignb 16
flood_buffer:
    resb FLOOD_BYTES
%endmacro
