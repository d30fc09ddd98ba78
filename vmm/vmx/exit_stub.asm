; VM entry and VM exit for the VMX demo. The C++ side is vmx/exits.h.
;
; vmx_enter_guest saves the host's callee-saved registers and its stack
; pointer, clears the guest's general registers and executes VMLAUNCH.
; Each VM exit arrives at vmx_exit_stub (the VMCS's host RIP) on the exit
; stack (host RSP), with every register still the guest's: the stub saves
; the caller-saved ones, calls vmx_handle_exit, restores them and executes
; VMRESUME. A handler that is done with the guest calls
; vmx_return_to_launcher instead of returning, which returns from
; vmx_enter_guest on the saved stack.
; Short on purpose: every I/O exit of the guest runs through here.
bits 64
default rel

; vmx/exits.h: enter_launch_failed, enter_resume_failed
ENTER_LAUNCH_FAILED equ 0x100
ENTER_RESUME_FAILED equ 0x200
RFLAGS_CF_ZF        equ 0x41

extern vmx_handle_exit

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
    and eax, RFLAGS_CF_ZF
    or eax, ENTER_LAUNCH_FAILED
    jmp return_to_launcher

global vmx_exit_stub
vmx_exit_stub:
    push r11
    push r10
    push r9
    push r8
    push rdi
    push rsi
    push rdx
    push rcx
    push rax
    mov rdi, rsp                    ; GuestRegisters*; host RSP is 8 off 16,
    call vmx_handle_exit            ; so after 9 pushes the call is aligned
    pop rax                         ; (a handler that is done never returns)
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    pop r8
    pop r9
    pop r10
    pop r11
    vmresume
    pushfq
    pop rax
    and eax, RFLAGS_CF_ZF
    or eax, ENTER_RESUME_FAILED
    jmp return_to_launcher

; vmx_return_to_launcher(code): from a handler, on the exit stack.
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
