; x87-ferr: an unmasked divide-by-zero with CR0.NE = 0, interrupts enabled. FERR# goes
; to IRQ13. A P6 asserts FERR# when the FDIV raises the exception and does not execute
; the FWAIT while the error is pending (IGNNE# inactive), so the interrupt is taken
; between f_zdiv_op_end and f_zdiv_wait. An implementation that asserts FERR# at the FWAIT
; and recognises the interrupt a few instructions later still has until f_zdiv_end: the
; loop after the FWAIT waits (with IF = 1) for the handler to count the interrupt.
bits 32

section .data
align 4
global cw, progress, irq_seen
cw:       dw 0x037B            ; ZM = 0
          align 4
progress: dd 0
irq_seen: dd 0                 ; incremented by the IRQ13 handler

section .bss
alignb 16
global fsv
fsv:  resb 108

section .text
global f_zdiv, f_zdiv_op, f_zdiv_op_end, f_zdiv_wait, f_zdiv_end
align 16
f_zdiv:
    mov dword [progress], 0
    fninit
    fldcw [cw]
    fld1
    fldz
    sti
f_zdiv_op:
    fdiv st1, st0               ; 1/0 with ZE unmasked
f_zdiv_op_end:
    mov dword [progress], 1
    nop
    nop
    nop
f_zdiv_wait:
    fwait
    mov dword [progress], 2
    mov ecx, 100000
.spin:
    cmp dword [irq_seen], 0
    jne f_zdiv_end
    dec ecx
    jnz .spin
f_zdiv_end:
    cli
    fnsave [fsv]
    ret
