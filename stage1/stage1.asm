; stage1 — the master boot record.
;
; Entered from the BIOS in real mode at 0000:7C00 (or 07C0:0000), DL = boot
; drive. Reads the image header (LBA 1), stage2 and the spare copy of
; stage2's first sector behind it in one read to HEADER_ADDR (the image tool
; writes the sector count into this MBR at MBR_LOAD_SECTORS_OFFSET), checks
; that the dwords of stage2's first sector sum to its magic, and calls stage2.
; If they do not, it reads the spare over that sector, checks it the same way
; and calls it with BootInfo.stage2_spare_used set: the spare reports the
; damage in the result contract (COM1, power-off), which this sector has no
; room to do. stage2's first sector checks the rest of stage2 and the spare,
; stage2 the header's magic and CRC. The boot info at BOOTINFO_ADDR then holds
; the drive, the disk access method and the TSC at entry. stage2's first
; sector reuses this sector's reader (see the call into stage2) to read the
; spare's other sectors; stage2's C++ reads the payloads with its own.
;
; Room: bytes 3..0x5A are left for the BPB a BIOS may write when it boots a
; USB stick in floppy emulation; 0x1B6.. holds the load count, the disk
; signature and the partition table, written by the image tool.

%include "layout.inc"

bits 16
org STAGE1_ADDR

BI equ BOOTINFO_ADDR
%if HEADER_ADDR + SECTOR_SIZE != STAGE2_ADDR || HEADER_LBA != 1 || STAGE2_ADDR + STAGE2_MAX_BYTES > 0x10000
%error "stage1 reads the header (LBA 1) and stage2 as one run of sectors"
%endif
%if (STAGE2_MAX_BYTES / SECTOR_SIZE) & (STAGE2_MAX_BYTES / SECTOR_SIZE + 1)
%error "stage1 masks stage2's sector count with STAGE2_MAX_BYTES / SECTOR_SIZE"
%endif

start:
        jmp short entry
        nop
        times 0x5A - ($ - $$) db 0      ; BIOS parameter block: no code, no data

entry:
        jmp 0:normalised                ; some BIOSes enter at 07C0:0000
normalised:
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax                      ; (no interrupt between these two)
        mov sp, STACK_TOP
        cld
        mov bp, BI                      ; [bp + field]: the boot info
        mov di, bp                      ; stage1's fields start out zero,
        mov cx, BootInfo_tsc_stage1 / 2 ; then the TSC follows them
        rep stosw
        mov [bp + BootInfo_boot_drive], dl
        push dx
        rdtsc
        stosd
        xchg eax, edx
        stosd
        pop dx

        ; INT 13h extensions: CF clear, BX = AA55 and packet access (CX bit 0).
        mov ah, 0x41
        mov bx, 0x55AA
        int 0x13
        jc chs_geometry
        cmp bx, 0xAA55
        jne chs_geometry
        shr cl, 1                       ; bit 0: packet access
        jnc chs_geometry
        inc byte [bp + BootInfo_disk_uses_lba]
        jmp load_stage2

; fail — print "vmxboot <step> error" and stop. SI = the step's name
; (the words are GRUB's: short enough for a boot sector, clear enough).
; Only the screen: this sector has no room for COM1 or a power-off, which is
; why a damaged stage2 first sector is reported by its spare copy instead.
fail:
        push si
        mov si, msg_prefix
        call print
        pop si
        call print
        mov si, msg_error
        call print
.halt:
        cli                             ; halt for good: interrupts off
        hlt
        jmp .halt

print:
        lodsb
        test al, al
        jz .done
        mov ah, 0x0E
        xor bx, bx
        int 0x10
        jmp print
.done:
        ret

chs_geometry:
        ; No extensions (a floppy, an old BIOS): geometry from AH=08h.
        mov ah, 0x08
        mov dl, [bp + BootInfo_boot_drive]
        int 0x13
        mov si, msg_geometry
        jc fail
        and cx, 0x3F                    ; sectors per track; 0 means failure
        jz fail
        mov [bp + BootInfo_chs_sectors], cx
        mov [bp + BootInfo_chs_heads], dh  ; heads = last head + 1 (up to 256)
        inc word [bp + BootInfo_chs_heads]

load_stage2:
        ; The header, stage2 and the spare copy of its first sector, in one
        ; read. stage2's window in memory bounds the count (and keeps the read
        ; under 127 sectors and inside one 64 KiB block): the mask keeps even
        ; a garbage count in bounds, and stage2's checks catch what is missing.
        mov cx, [STAGE1_ADDR + MBR_LOAD_SECTORS_OFFSET]
        dec cx
        and cx, STAGE2_MAX_BYTES / SECTOR_SIZE
        inc cx
        xor eax, eax
        inc ax                          ; HEADER_LBA
        mov di, HEADER_ADDR >> 4
read_and_verify:
        call read_sectors
        mov si, msg_read
        jc fail
        ; EAX: the sector after those read. The spare is the one before it.

        ; stage2's first sector: its dwords must sum to stage2's magic (the
        ; image tool sets one dword so that they do). That sector checks the
        ; rest of stage2 and the spare; stage2 checks the header.
        mov edx, STAGE2_MAGIC
        mov si, STAGE2_ADDR
        mov cx, SECTOR_SIZE / 4
.sum:
        sub edx, [si]
        lea si, [si + 4]                ; (LEA keeps the flags of the SUB)
        loop .sum
        mov si, msg_stage2
        jz run_stage2
        ; Damaged: read the spare over it, once, and tell stage2 (which then
        ; reports the damage, in the result contract, and powers off).
        xor byte [bp + BootInfo_stage2_spare_used], 1
        jz fail                         ; the spare is damaged too
        dec eax
        inc cx                          ; one sector (the loop left CX = 0)
        mov di, STAGE2_ADDR >> 4
        jmp read_and_verify

run_stage2:
        ; Enter stage2 by a call: the return address it pushes is that of
        ; read_sectors, right behind, which is how stage2's first sector
        ; finds the reader.
        call STAGE2_ADDR

; read_sectors — the disk reader of stage1 and of stage2's first sector,
; which finds it through the return address of the call above.
; In: EAX = first LBA, CX = sectors (at least 1), DI = destination segment
; (offset 0). The caller keeps CX within
; MAX_SECTORS_PER_READ and the destination inside one 64 KiB block. With
; extensions: one call; CHS: one sector per call, so never across a track.
; A failed call is retried after a drive reset.
; Out: CF clear on success. CF set: EAX = the LBA that failed, the BIOS status
; in BootInfo.fail_status. BP must hold BOOTINFO_ADDR.
; Clobbers: EBX, CX, EDX, SI, DI, ES.
read_sectors:
.next:
        xor ebx, ebx
        inc bx                          ; CHS: one sector per call
        cmp [bp + BootInfo_disk_uses_lba], bh
        je .chunk
        mov bx, cx
.chunk:
        mov si, READ_RETRIES
.attempt:
        pushad
        inc dword [bp + BootInfo_bios_disk_reads]
        mov es, di
        cmp [bp + BootInfo_disk_uses_lba], bh
        je .chs_read
        push dword 0                    ; disk address packet, on the stack:
        push eax                        ; LBA, buffer DI:0, count, size 16
        push di
        push word 0
        push bx
        push word 0x10
        mov si, sp
        mov ah, 0x42
        mov dl, [bp + BootInfo_boot_drive]  ; re-read: some BIOSes clobber DL
        int 0x13
        lea sp, [esp + 16]              ; (LEA keeps CF)
        jmp .called
.chs_read:
        xor edx, edx
        div dword [bp + BootInfo_chs_sectors]  ; EAX = track, DX = sector - 1
        mov cx, dx
        inc cx
        xor dx, dx                      ; (the track fits 16 bits for every
        div word [bp + BootInfo_chs_heads]  ; LBA of this image) AX = cylinder,
                                        ; DX = head
        mov dh, dl
        mov dl, [bp + BootInfo_boot_drive]
        mov ch, al
        shl ah, 6
        or cl, ah                       ; cylinder bits 9:8 go to CL bits 7:6
        xor bx, bx
        mov ax, 0x0201
        int 0x13
.called:
        mov [bp + BootInfo_fail_status], ah
        jnc .read_ok
        xor ah, ah                      ; reset the drive before a retry
        int 0x13
        stc
.read_ok:
        popad
        jnc .chunk_done
        dec si                          ; (keeps CF set)
        jnz .attempt
        ret
.chunk_done:
        add eax, ebx
        sub cx, bx
        shl bx, 5                       ; sectors -> paragraphs
        add di, bx
        test cx, cx                     ; (clears CF)
        jnz .next
        ret

; (Here, not by fail: that keeps every jump to fail short.)
msg_prefix:   db "vmxboot ", 0
msg_geometry: db "Geom", 0
msg_read:     db "Read", 0
msg_stage2:   db "Stage2", 0
msg_error:    db " error", 0

        times MBR_LOAD_SECTORS_OFFSET - ($ - $$) db 0  ; image tool's part
        times 510 - ($ - $$) db 0
        dw 0xAA55
