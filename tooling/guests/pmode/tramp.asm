; pmode: the 32-bit -> real mode -> 32-bit round trip.
; realmode_roundtrip() jumps to a 16-bit protected-mode segment running the trampoline
; (copied by C to TRAMP_BASE, below 1 MiB), which clears CR0.PE, runs real-mode tests
; that store their results at RES (0x6000+), then loads the GDT again, sets PE and far
; jumps back to 32-bit code.

TRAMP_BASE equ 0x7000
RES        equ 0x6000          ; 0x6000: GDTR image (written by C); results from 0x6010
MSGLEN     equ 30
%define T(x) ((x) - tramp_start + TRAMP_BASE)

SEL_CODE32 equ 0x08
SEL_DATA32 equ 0x10
SEL_CODE16 equ 0x18
SEL_DATA16 equ 0x20

section .text
bits 32
global realmode_roundtrip
realmode_roundtrip:
    pushad
    mov [saved_esp], esp
    sidt [saved_idtr]
    jmp SEL_CODE16:TRAMP_BASE

pm_back:
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, [saved_esp]
    lidt [saved_idtr]
    popad
    ret

section .rodata
global tramp_start, tramp_end
bits 16
tramp_start:
    ; Still protected mode, CPL0, in a 16-bit code segment. Give every data segment a
    ; real-mode-like cache (base 0, limit 64 KiB, writable) before leaving PE.
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cr0
    and eax, 0x7FFFFFFE
    mov cr0, eax
    jmp 0x0000:T(rm_entry)

rm_entry:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov sp, RES
    lidt [T(rm_idtr)]
    mov eax, cr0
    mov [RES+0x2A], eax
    mov word [RES+0x40], T(after42)

    ; Real-mode IVT entries: 0x42 -> 0000:int42, 0x43 -> 0700:int43
    mov word [0x42*4], T(int42)
    mov word [0x42*4+2], 0
    mov word [0x43*4], T(int43) - 0x7000
    mov word [0x43*4+2], 0x0700

    push word 0x08D7            ; OF SF ZF AF PF CF
    popf
    mov ax, 0x1234
    mov bx, sp
    int 0x42
after42:
    pushf
    pop word [RES+0x3C]
    mov [RES+0x10], ax
    sub bx, sp
    mov [RES+0x34], bx
    int 0x43

    ; Segment arithmetic: 0650:0010 and 0651:0000 are the same linear byte.
    mov ax, 0x0650
    mov es, ax
    mov word [es:0x0010], 0xBEEF
    mov ax, 0x0651
    mov ds, ax
    mov ax, [0x0000]
    xor cx, cx
    mov ds, cx
    mov [RES+0x18], ax

    ; 16-bit string instructions on 0800:xxxx (linear 0x8000+)
    mov ax, 0x0800
    mov es, ax
    cld
    mov si, T(msg)
    xor di, di
    mov cx, MSGLEN/2
    rep movsw
    xor di, di
    mov al, 'k'
    mov cx, MSGLEN
    repne scasb
    mov ax, MSGLEN
    sub ax, cx
    dec ax
    mov [RES+0x1A], ax          ; index of the first 'k'
    mov si, T(msg)
    xor di, di
    mov cx, MSGLEN
    repe cmpsb
    setnz dl
    mov dh, 0
    shl dx, 15
    or dx, cx
    mov [RES+0x1C], dx          ; 0: all equal
    mov byte [es:5], '#'
    mov si, T(msg)
    xor di, di
    mov cx, MSGLEN
    repe cmpsb
    mov [RES+0x2E], cx          ; stops after the mismatch at index 5
    mov si, T(msg)
    mov cx, MSGLEN
    xor bx, bx
.sum:
    lodsb
    add bl, al
    adc bh, 0
    loop .sum
    mov [RES+0x1E], bx
    std
    mov si, T(msg) + MSGLEN - 1
    mov di, 0x100 + MSGLEN - 1
    mov cx, MSGLEN
    rep movsb
    cld
    mov di, 0x200
    mov ax, 0xA55A
    mov cx, 8
    rep stosw

    ; 32-bit operands and 16-bit multiply in real mode
    mov eax, 0x12345678
    mov ecx, 0x9ABCDEF0
    add eax, ecx
    rol eax, 8
    mov [RES+0x20], eax
    mov ax, 1234
    mov cx, 567
    mul cx
    mov [RES+0x38], ax
    mov [RES+0x3A], dx

    ; Far call into another segment
    call 0x0700:(farfn - tramp_start)
    mov [RES+0x24], ax

    ; Back to protected mode.
    mov dword [RES+0x30], 0x600DF00D
    cli
    o32 lgdt [RES]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword SEL_CODE32:pm_back

int42:
    push bp
    mov bp, sp
    mov cx, [bp+2]
    mov [RES+0x12], cx          ; pushed IP
    mov cx, [bp+4]
    mov [RES+0x14], cx          ; pushed CS
    mov cx, [bp+6]
    mov [RES+0x26], cx          ; pushed FLAGS
    pop bp
    add ax, 0x1111
    iret

int43:
    mov cx, cs
    mov [RES+0x16], cx
    iret

farfn:
    mov ax, cs
    retf

rm_idtr:
    dw 0x3FF
    dd 0
msg:
    db "virtkit real mode string ops!!"
tramp_end:


section .bss
saved_esp:  resd 1
saved_idtr: resb 8
