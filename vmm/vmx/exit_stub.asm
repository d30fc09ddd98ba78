; VM entry and VM exit. The C++ side is vmx/exits.h, vmx/vcpu.h and
; vmx/exit_context.h.
;
; vmx_enter_guest(vcpu) saves the host's callee-saved registers and its
; stack pointer (in the Vcpu), clears the guest's general registers and
; executes VMLAUNCH. Each VM exit arrives at vmx_exit_stub (the VMCS's host
; RIP) with RSP at the Vcpu's ExitContext (the host RSP), every register
; but RSP and RIP still the guest's (those two are in the VMCS): the stub
; stores all fifteen into the context, calls vmx_handle_exit with the Vcpu,
; which lies at a fixed offset below the context, on the exit stack below
; the context; then loads them back (whatever a handler wrote) and executes
; VMRESUME. Offsets come from the C++ structs (build/gen/layout.inc).
;
; The way out: a handler that is done with the guest ends in leave_guest()
; (vmx/exit_runtime.cpp), which calls vmx_return_to_launcher: a non-local
; return that drops the exit stack and returns from vmx_enter_guest on the
; stack it saved. A VMLAUNCH or VMRESUME that fails returns the same way.
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

section .text
global vmx_enter_guest
vmx_enter_guest:                        ; (Vcpu* rdi)
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov [rdi + Vcpu_launch_rsp], rsp
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
    ; Only a failed VMLAUNCH gets here (VMfailInvalid: CF, VMfailValid: ZF),
    ; still on the stack vmx_enter_guest saved.
    pushfq
    pop rax
    and eax, ENTER_FAILURE_FLAGS
    or eax, ENTER_LAUNCH_FAILED
    jmp return_on_this_stack

global vmx_exit_stub
vmx_exit_stub:
    store_guest_registers GUEST_REGISTERS
    lea rdi, [rsp - Vcpu_context]   ; Vcpu*
    call vmx_handle_exit            ; (a handler that is done never returns)
    load_guest_registers GUEST_REGISTERS
    vmresume
    pushfq
    pop rax
    and eax, ENTER_FAILURE_FLAGS
    or eax, ENTER_RESUME_FAILED
    lea rdi, [rsp - Vcpu_context]
    mov rsp, [rdi + Vcpu_launch_rsp]
    jmp return_on_this_stack

; vmx_return_to_launcher(vcpu, code): from leave_guest(), on the exit stack.
global vmx_return_to_launcher
vmx_return_to_launcher:
    mov rax, rsi
    mov rsp, [rdi + Vcpu_launch_rsp]
return_on_this_stack:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
