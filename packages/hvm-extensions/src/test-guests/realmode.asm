; VMX model test guest: real mode (unrestricted guest), loaded at 0x7c00, CS:IP = 0000:7C00.
; Build: nasm -f bin -o realmode.bin realmode.asm
bits 16
org 0x7c00

start:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7000
  mov word [0x30 * 4], isr30         ; IVT entry for INT 30h
  mov word [0x30 * 4 + 2], 0
  mov word [0x31 * 4], isr31         ; IVT entry for an injected external interrupt
  mov word [0x31 * 4 + 2], 0
  int 0x30                           ; software interrupt through the IVT
  cpuid                              ; CPUID exit in real mode
  mov ax, 0x07c0
  mov es, ax
  mov al, [es:marker - 0x7c00]       ; segment arithmetic: 07C0:xxxx
  mov dx, 0x3f8
  out dx, al                         ; IO exit with the marker byte
  hlt                                ; HLT exit
  jmp $

isr30:
  mov byte [0x600], 0x30
  iret

isr31:
  mov byte [0x601], 0x31
  hlt
  iret

marker: db 0x5a
