; VMX model test guest: flat 32-bit protected mode, loaded at 0x1000, entered at 0x1000
; (CS = 0x08 flat code, paging off). The main sequence produces one VM exit per
; instruction, in order; the snippets at fixed addresses below are entered by setting
; GUEST_RIP. Build: nasm -f bin -o exits.bin exits.asm
bits 32
org 0x1000

%define IDT_BASE     0x2000
%define IDT_VECTORS  0x40
%define HANDLERS     0x3000          ; handler for vector n at HANDLERS + 16 * n
%define MARK         0x6000          ; handlers store their vector here

%macro place 1
  times (%1 - 0x1000) - ($ - $$) db 0x90
%endmacro

; ---- main sequence -------------------------------------------------------------------
start:
  lidt [idtr]
  cpuid                              ; EXIT_REASON_CPUID
  in al, 0x60                        ; IO: in, imm8, size 1
  out 0x80, al                       ; IO: out, imm8, size 1
  mov dx, 0x3f8
  out dx, eax                        ; IO: out, dx, size 4
  in ax, dx                          ; IO: in, dx, size 2 (66 prefix)
  mov esi, 0x5000
  mov ecx, 2
  rep outsb                          ; IO: string, rep (two exits)
  mov edi, 0x5100
  mov ecx, 2
  rep insb                           ; IO: string, rep, in (two exits)
  mov ecx, 0x1b
  rdmsr                              ; MSR_READ (intercepted in the MSR bitmap)
  mov ecx, 0x40000000
  mov eax, 0x11
  mov edx, 0x22
  wrmsr                              ; MSR_WRITE (outside the bitmap ranges: always exits)
  mov ecx, 0x174
  rdmsr                              ; IA32_SYSENTER_CS: not intercepted, handled by the CPU
  mov [0x5200], eax
  mov eax, [0xfee00000]              ; EPT_VIOLATION, read
  mov [0x5204], eax
  mov dword [0xfee00010], 0x12345678 ; EPT_VIOLATION, write
  mov ebx, 4
  invlpg [0x2000 + ebx * 4]          ; INVLPG, qualification 0x2010
  vmcall                             ; VMCALL
  int3                               ; EXCEPTION_NMI, #BP (software exception)
  hlt                                ; HLT

; ---- snippets --------------------------------------------------------------------------
place 0x1400
ud_snippet:                          ; #UD not intercepted: delivered through the IDT
  ud2
place 0x1410
de_snippet:                          ; #DE intercepted
  xor edx, edx
  xor eax, eax
  div eax
place 0x1420
pf_snippet:                          ; #PF with paging on: CR2 = 0x00500000
  mov eax, [0x00500000]
place 0x1430
triple_snippet:                      ; empty IDT + INT3 => #GP => #DF => triple fault
  lidt [zero_idtr]
  int3
place 0x1440
window_snippet:                      ; interrupt window opens after STI + one instruction
  sti
  nop
  nop
  jmp $
place 0x1450
spin_snippet:
  jmp $
place 0x1460
hostio_snippet:                      ; port 0xed is not in the I/O bitmaps: goes to the host bus
  mov al, 0x55
  out 0xed, al
  in al, 0xed
  mov [0x5208], al
  out 0x80, al                       ; intercepted
  hlt
place 0x1480
soft_int_snippet:                    ; INT n is never intercepted by the exception bitmap
  int 0x30
place 0x1490
ept_perm_snippet:                    ; 0x7000 is read-only in the EPT
  mov eax, [0x7000]
  mov [0x520c], eax
  mov [0x7000], eax                  ; EPT_VIOLATION: write to a read-only page
  hlt
place 0x14b0
ept_misconfig_snippet:               ; 0x8000 has a write-only (misconfigured) EPT entry
  mov eax, [0x8000]
  hlt
place 0x14c0
out16_snippet:                       ; OUTSW: 16-bit operand size (66 prefix), no REP
  mov esi, 0x5000
  outsw
  hlt
place 0x14d0
count_snippet:                       ; counts in EAX forever (time slice / preemption timer)
  inc eax
  jmp count_snippet
place 0x14e0
rdtsc_snippet:                       ; TSC offsetting
  rdtsc
  hlt

; ---- data --------------------------------------------------------------------------------
place 0x1f00
idtr:      dw IDT_VECTORS * 8 - 1
           dd IDT_BASE
place 0x1f08
zero_idtr: dw 0
           dd 0
place 0x1f10
gdt:       dq 0                      ; GDTR = 0x1f10, limit 0x17 (set in the VMCS)
           dq 0x00cf9b000000ffff     ; 0x08: flat 32-bit code
           dq 0x00cf93000000ffff     ; 0x10: flat 32-bit data

; ---- IDT: 32-bit interrupt gates, selector 0x08, DPL 0 -----------------------------------
place IDT_BASE
%assign n 0
%rep IDT_VECTORS
  dw (HANDLERS + 16 * n) & 0xffff
  dw 0x08
  dw 0x8e00
  dw (HANDLERS + 16 * n) >> 16
%assign n n + 1
%endrep

; ---- handlers: record the vector, halt -----------------------------------------------------
place HANDLERS
%assign n 0
%rep IDT_VECTORS
  mov byte [MARK], n
  hlt
  iret
  times 16 - 9 db 0x90
%assign n n + 1
%endrep

; ---- data for OUTS -------------------------------------------------------------------------
place 0x5000
  db 'A', 'B', 'C', 'D'
place 0x5220
