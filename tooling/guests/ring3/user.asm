; ring3: code that runs at CPL3, the SYSENTER entry point, and the ring-3 entry helper.
bits 32

SYS_EXIT  equ 0
SYS_WRITE equ 1
SYS_CALC  equ 2

section .text
extern enter_frame
global enter_user
; u32 enter_user(const u32 *iret_frame): DS/ES/GS = user data, FS = kernel data, which
; the IRET to CPL3 must turn into the null selector.
enter_user:
    mov ax, 0x23
    mov ds, ax
    mov es, ax
    mov gs, ax
    mov ax, 0x10
    mov fs, ax
    jmp enter_frame

global user_entry
global u_cli, u_cli_resume, u_hlt, u_hlt_resume, u_cr0, u_cr0_resume
global u_out, u_out_resume, u_int81, u_int81_resume
global u_seen
user_entry:
    xor eax, eax
    mov ax, cs
    mov [u_seen + 0], eax
    mov ax, ss
    mov [u_seen + 4], eax
    mov ax, ds
    mov [u_seen + 8], eax
    mov ax, fs
    mov [u_seen + 12], eax
    mov ax, gs
    mov [u_seen + 16], eax

    mov eax, SYS_WRITE
    mov ebx, hello_msg
    int 0x80
    mov eax, SYS_CALC
    mov ebx, 21
    int 0x80
    mov [u_seen + 20], eax

    ; SYSENTER: EAX function, EBX argument, ECX user ESP, EDX return EIP.
    mov [u_seen + 24], esp
    mov eax, 7
    mov ebx, 0x1234
    mov ecx, esp
    mov edx, after_sysenter
    sysenter
after_sysenter:
    mov [u_seen + 28], eax
    mov [u_seen + 32], esp
    xor eax, eax
    mov ax, cs
    mov [u_seen + 36], eax
    mov ax, ss
    mov [u_seen + 40], eax

    mov eax, SYS_WRITE
    mov ebx, priv_msg
    int 0x80
    ; Privileged at CPL3 / IOPL0: each must raise #GP; the kernel skips it.
    mov al, '!'
u_cli:
    cli
u_cli_resume:
u_hlt:
    hlt
u_hlt_resume:
u_cr0:
    mov eax, cr0
u_cr0_resume:
    mov al, '!'
u_out:
    out 0xE9, al
u_out_resume:
u_int81:
    int 0x81                    ; DPL0 gate
u_int81_resume:

    mov eax, SYS_EXIT
    mov ebx, 0x600D
    int 0x80
    ud2                         ; not reached

; SYSENTER lands here at CPL0 with CS=MSR 0x174, SS=CS+8, ESP=MSR 0x175.
global sysenter_entry, se_seen
sysenter_entry:
    mov [se_seen + 0], esp
    push eax
    xor eax, eax
    mov ax, cs
    mov [se_seen + 4], eax
    mov ax, ss
    mov [se_seen + 8], eax
    pushfd
    pop eax
    mov [se_seen + 12], eax
    pop eax
    inc dword [se_seen + 16]   ; call count
    imul eax, ebx               ; result: function * argument
    sysexit                     ; to CPL3: EIP=EDX, ESP=ECX

section .rodata
hello_msg: db "  hello from ring 3 via INT 0x80", 10, 0
priv_msg:  db "  ring 3: trying CLI, HLT, MOV from CR0, OUT, INT to a DPL0 gate", 10, 0

section .bss
align 4
u_seen:  resd 16
se_seen: resd 8
