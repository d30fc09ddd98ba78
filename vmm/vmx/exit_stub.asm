; VM entry and VM exit for the VMX demo. The C++ side is vmx/exits.h and
; vmx/exit_context.h.
;
; vmx_enter_guest saves the host's callee-saved registers and its stack
; pointer, clears the guest's general registers and executes VMLAUNCH.
; Each VM exit arrives at vmx_exit_stub (the VMCS's host RIP) on the exit
; stack (host RSP), with every register but RSP and RIP still the guest's
; (those two are in the VMCS): the stub stores all fifteen into an
; ExitContext it makes room for on the stack, calls vmx_handle_exit with it,
; loads them back (whatever a handler wrote) and executes VMRESUME. The
; context's layout comes from the C++ struct (build/gen/layout.inc).
;
; The way out: a handler that is done with the guest ends in leave_guest()
; (vmx/exit_runtime.cpp), which calls vmx_return_to_launcher: a non-local
; return that drops the exit stack and returns from vmx_enter_guest on the
; stack it saved. A VMLAUNCH or VMRESUME that fails returns the same way.
; Short on purpose: every I/O exit of the guest runs through here.
bits 64
default rel

%include "layout.inc"

extern vmx_handle_exit

; Every register of the list, to or from the context at RSP.
%macro store_guest_registers 1-*
%rep %0
    mov [rsp + ExitContext_registers + GuestRegisters_%1], %1
%rotate 1
%endrep
%endmacro
%macro load_guest_registers 1-*
%rep %0
    mov %1, [rsp + ExitContext_registers + GuestRegisters_%1]
%rotate 1
%endrep
%endmacro

section .bss
align 8
launch_rsp: resq 1

section .text
global vmx_enter_guest
vmx_enter_guest:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov [launch_rsp], rsp
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    vmlaunch
    ; Only a failed VMLAUNCH gets here (VMfailInvalid: CF, VMfailValid: ZF).
    pushfq
    pop rax
    and eax, ENTER_FAILURE_FLAGS
    or eax, ENTER_LAUNCH_FAILED
    jmp return_to_launcher

global vmx_exit_stub
vmx_exit_stub:
    ; Host RSP is 8 off a multiple of 16 and SIZEOF_ExitContext too
    ; (exit_context.h), so the call below is aligned.
    sub rsp, SIZEOF_ExitContext
    store_guest_registers GUEST_REGISTERS
    mov rdi, rsp                    ; ExitContext*
    call vmx_handle_exit            ; (a handler that is done never returns)
    load_guest_registers GUEST_REGISTERS
    add rsp, SIZEOF_ExitContext
    vmresume
    pushfq
    pop rax
    and eax, ENTER_FAILURE_FLAGS
    or eax, ENTER_RESUME_FAILED
    jmp return_to_launcher

; vmx_return_to_launcher(code): from leave_guest(), on the exit stack.
global vmx_return_to_launcher
vmx_return_to_launcher:
    mov rax, rdi
return_to_launcher:
    mov rsp, [launch_rsp]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
