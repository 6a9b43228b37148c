; Common multiboot v1 header and 32-bit entry point for every virtkit test guest.
; The loader leaves us in flat 32-bit protected mode with an undefined GDTR, so the first
; thing we do is load a GDT of our own, then zero .bss, set up a stack and call
; guest_main(magic, info).

bits 32

MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ 0            ; ELF image: no load-address fields, no video, no mem info needed

section .multiboot
align 4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)

section .text
global _start
global halt_forever
extern guest_main
extern __bss_start, __bss_end

_start:
    cli
    cld
    mov [boot_magic], eax           ; .data, so zeroing .bss does not lose them
    mov [boot_info], ebx
    lgdt [boot_gdtr]
    jmp 0x08:.flat
.flat:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    xor eax, eax
    rep stosb
    mov esp, boot_stack_top
    push dword 2                    ; EFLAGS: only the reserved bit; IF=0, DF=0, IOPL=0
    popfd
    xor ebp, ebp
    push dword [boot_info]
    push dword [boot_magic]
    call guest_main
halt_forever:
    cli
    hlt
    jmp halt_forever

section .data
align 8
global boot_magic, boot_info
boot_magic: dd 0
boot_info:  dd 0
boot_gdt:
    dq 0                            ; 0x00 null
    dq 0x00CF9A000000FFFF           ; 0x08 flat 32-bit code, DPL0
    dq 0x00CF92000000FFFF           ; 0x10 flat 32-bit data, DPL0
boot_gdt_end:
boot_gdtr:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

section .bss
align 16
boot_stack: resb 16384
boot_stack_top:
