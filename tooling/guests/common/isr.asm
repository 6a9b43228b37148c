; Interrupt/exception entry stubs for all 256 vectors, and the enter_frame /
; leave_to_kernel pair used to run code at another privilege level or in v86 mode.
bits 32
section .text
extern isr_handler

; Vectors for which the CPU pushes an error code (P6: 8, 10-14, 17).
%assign v 0
%rep 256
isr_stub_ %+ v:
%if v == 8 || (v >= 10 && v <= 14) || v == 17
%else
    push dword 0
%endif
    push dword v
    jmp isr_common
%assign v v+1
%endrep

isr_common:
    pushad
    push ds
    push es
    push fs
    push gs
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    cld
    push esp                    ; struct frame *
    call isr_handler
    add esp, 4
    pop gs
    pop fs
    pop es
    pop ds
    popad
    add esp, 8                  ; vector, error code
    iretd

section .data
align 4
global isr_stubs
isr_stubs:
%assign v 0
%rep 256
    dd isr_stub_ %+ v
%assign v v+1
%endrep

section .text
global enter_frame, leave_to_kernel
; u32 enter_frame(const u32 *frame)
enter_frame:
    mov eax, [esp+4]
    push ebx
    push esi
    push edi
    push ebp
    mov [saved_kernel_esp], esp
    mov esp, eax
    iretd

; void leave_to_kernel(u32 value): abandon the current stack, return from enter_frame.
leave_to_kernel:
    mov eax, [esp+4]
    mov esp, [saved_kernel_esp]
    mov cx, 0x10
    mov ds, cx
    mov es, cx
    mov fs, cx
    mov gs, cx
    mov ss, cx
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret

section .bss
saved_kernel_esp: resd 1
