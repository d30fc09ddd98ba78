; Entry stubs for the 32 exception vectors: make every frame look alike (a
; zero error code where the CPU pushes none, then the vector), save the
; general registers and hand the frame to exception_entry (exceptions.cpp),
; which reports it and ends the run. Which vectors push an error code comes
; from ia32/exceptions.h through layout.inc.

%include "layout.inc"

bits 64
default rel

extern exception_entry
global exception_stubs

section .text

%macro STUB 1
        %if ((EXCEPTION_ERROR_CODE_MASK >> %1) & 1) == 0
        push 0
        %endif
        push %1
        jmp exception_common
%endmacro

exception_common:
        push rax
        push rbx
        push rcx
        push rdx
        push rsi
        push rdi
        push rbp
        push r8
        push r9
        push r10
        push r11
        push r12
        push r13
        push r14
        push r15
        mov rdi, rsp                    ; ExceptionFrame*
        and rsp, -16                    ; the ABI's call alignment
        call exception_entry
.stop:
        cli
        hlt
        jmp .stop

section .rodata
align 8
exception_stubs:                        ; table of the stubs' addresses
%assign v 0
%rep EXCEPTION_VECTORS
        dq stub_ %+ v
%assign v v + 1
%endrep

section .text
%assign v 0
%rep EXCEPTION_VECTORS
align 16
stub_ %+ v:
        STUB v
%assign v v + 1
%endrep
