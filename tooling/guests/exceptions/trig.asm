; exceptions: one small function per exception. Each exports <name>_fault (the address
; the CPU should report) and <name>_resume (where the handler continues).
bits 32
section .text

%macro EXPORT 1
global %1, %1_fault, %1_resume
%endmacro

EXPORT t_de
t_de:
    push ebx
    mov eax, 100
    xor edx, edx
    xor ebx, ebx
t_de_fault:
    div ebx
t_de_resume:
    pop ebx
    ret

EXPORT t_ud
t_ud:
t_ud_fault:
    ud2
t_ud_resume:
    ret

EXPORT t_bp
t_bp:
t_bp_fault:
    int3
t_bp_resume:
    ret

EXPORT t_of
t_of:
    mov al, 0x7F
    add al, 1                   ; sets OF
t_of_fault:
    into
t_of_resume:
    ret

EXPORT t_br
t_br:
    mov eax, 20
t_br_fault:
    bound eax, [bounds]
t_br_resume:
    ret

EXPORT t_gp_sel                 ; selector past the GDT limit -> #GP(selector)
t_gp_sel:
    push ds
    mov ax, 0x0FF8
t_gp_sel_fault:
    mov ds, ax
t_gp_sel_resume:
    pop ds
    ret

EXPORT t_gp_xo                  ; execute-only code segment into DS -> #GP(selector)
t_gp_xo:
    push ds
    mov ax, 0x40
t_gp_xo_fault:
    mov ds, ax
t_gp_xo_resume:
    pop ds
    ret

EXPORT t_gp_null               ; far JMP to the null selector -> #GP(0)
t_gp_null:
t_gp_null_fault:
    jmp 0x0000:0
t_gp_null_resume:
    ret

EXPORT t_np_seg                 ; not-present data segment into DS -> #NP(selector)
t_np_seg:
    push ds
    mov ax, 0x28
t_np_seg_fault:
    mov ds, ax
t_np_seg_resume:
    pop ds
    ret

EXPORT t_ss_seg                 ; not-present data segment into SS -> #SS(selector)
t_ss_seg:
    mov ax, 0x28
t_ss_seg_fault:
    mov ss, ax
t_ss_seg_resume:
    ret

EXPORT t_np_gate                ; INT through a not-present gate -> #NP(vector*8+2)
t_np_gate:
t_np_gate_fault:
    int 0x40
t_np_gate_resume:
    ret

EXPORT t_ts                     ; JMP to a TSS whose limit is below 0x67 -> #TS(selector)
t_ts:
t_ts_fault:
    jmp 0x38:0
t_ts_resume:
    ret

; u32 t_pf_read(u32 addr): the handler maps the page and the load is retried
EXPORT t_pf_read
t_pf_read:
    mov edx, [esp+4]
t_pf_read_fault:
    mov eax, [edx]
t_pf_read_resume:
    ret

; void t_pf_write(u32 addr, u32 value)
EXPORT t_pf_write
t_pf_write:
    mov edx, [esp+4]
    mov eax, [esp+8]
t_pf_write_fault:
    mov [edx], eax
t_pf_write_resume:
    ret

; void t_df(u32 addr): #PF whose gate is not present -> #NP -> #DF (task gate)
EXPORT t_df
t_df:
    push ebx
    mov edx, [esp+8]
    mov eax, 0xD0D0D0D0
    mov ebx, 0x12345678
t_df_fault:
    mov ecx, [edx]
t_df_resume:
    pop ebx
    ret

; Entry of the double-fault task: the error code is on its stack.
global df_task_entry
extern df_task_main
df_task_entry:
    push dword [esp]            ; error code as the argument
    call df_task_main
    add esp, 8                  ; argument and the CPU-pushed error code
    iretd                       ; NT=1: task switch back through the back link
    jmp df_task_entry           ; the next #DF resumes here

section .rodata
bounds: dd 0, 10
