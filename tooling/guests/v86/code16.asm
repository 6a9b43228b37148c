; v86: 16-bit programs run in virtual-8086 mode. C copies v86_start..v86_end to linear
; 0x7000 and runs them as CS=0x0700; results go to 0600:0000 (linear 0x6000).
bits 16
section .rodata
%define O(x) ((x) - v86_start)

global v86_start, v86_end, v86_prog_a, v86_prog_b, v86_int30, v86_a_exit, v86_b_int31
v86_start:

; Program A: entered with IOPL=3.
prog_a:
    mov ax, 0x0600
    mov ds, ax
    mov si, O(msg_a)
    call print
    xor ax, ax                  ; sum 1..100
    mov cx, 100
.sum:
    add ax, cx
    loop .sum
    mov [0x00], ax
    mov ax, 50000               ; 16-bit divide
    mov bx, 7
    xor dx, dx
    div bx
    mov [0x02], ax
    mov [0x04], dx
    mov ax, 0x0650              ; 0650:0010 and 0651:0000 are the same byte
    mov es, ax
    mov word [es:0x0010], 0xBEEF
    mov ax, 0x0651
    mov fs, ax
    mov ax, [fs:0x0000]
    mov [0x06], ax
    mov ax, 0x1111
    int 0x30                    ; IOPL=3: through the IDT gate, reflected by the monitor
    mov [0x08], ax
    mov al, 0x55
    out 0x80, al                ; denied by the I/O bitmap -> #GP(0), skipped
    mov word [0x0A], 0x0A0A
    mov ax, 0x1234              ; segment registers the exit frame must show
    mov es, ax
    mov ax, 0x2345
    mov fs, ax
    mov ax, 0x3456
    mov gs, ax
    int 0x31                    ; leave v86 mode for good
a_exit:
    jmp $

; Program B: entered with IOPL=0; INT and IRET are emulated by the #GP handler.
prog_b:
    mov ax, 0x0600
    mov ds, ax
    mov si, O(msg_b)
    call print                  ; OUT is governed by the I/O bitmap, not by IOPL
    mov ax, 0x4444
    int 0x30                    ; IOPL<3 -> #GP(0)
    mov [0x0C], ax
    mov word [0x0E], 0x0E0E
    mov ax, 0x5678
    mov es, ax
b_int31:
    int 0x31                    ; #GP(0) too; the monitor ends the program
    jmp $

; Real-mode style handler for INT 0x30 (reached through the v86 IVT).
int30:
    add ax, 0x2222
    iret

print:
    mov al, [cs:si]
    test al, al
    jz .done
    out 0xE9, al
    inc si
    jmp print
.done:
    ret

msg_a: db "  hello from virtual-8086 mode (IOPL=3)", 10, 0
msg_b: db "  hello from virtual-8086 mode (IOPL=0)", 10, 0
v86_end:

v86_prog_a equ O(prog_a)
v86_prog_b equ O(prog_b)
v86_int30 equ O(int30)
v86_a_exit equ O(a_exit)
v86_b_int31 equ O(b_int31)
