; x87-exceptions: the instructions under test.
; x_* : masked responses. FNINIT, FLDCW cw, ST1 = B, ST0 = A, one instruction, FNSAVE.
; m_* : an unmasked exception followed by a non-waiting FNSTSW and then a waiting
;       instruction, where #MF must be reported (m_*_wait). cw unmasks the exception.
; n_* : a single instruction that raises #NM when CR0.TS/EM say so (n_*_op).
bits 32

section .data
align 16
global opA, opB, m32a, m64a, cw
opA:  times 10 db 0
      align 16
opB:  times 10 db 0
      align 16
m64a: dq 0
m32a: dd 0
cw:   dw 0x037F

section .bss
alignb 16
global res, fsv
res:  resb 64
fsv:  resb 108

section .text

%macro T 1
global %1
align 16
%1:
    fninit
    fldcw [cw]
%endmacro

%macro E 0
    fnsave [fsv]
    ret
%endmacro

%macro LOAD2 0
    fld tword [opB]
    fld tword [opA]
%endmacro

T x_div
    LOAD2
    fdiv st0, st1
E

T x_add
    LOAD2
    fadd st0, st1
E

T x_sub
    LOAD2
    fsub st0, st1
E

T x_mul
    LOAD2
    fmul st0, st1
E

T x_sqrt
    fld tword [opA]
    fsqrt
E

T x_fxtract
    fld tword [opA]
    fxtract
E

T x_fprem
    LOAD2
    fprem
E

T x_fld32
    fld dword [m32a]
E

T x_fld64
    fld qword [m64a]
E

; FBSTP of A into res
T x_fbstp
    fld tword [opA]
    fbstp [res]
E

; nine pushes: the ninth overflows the stack
T x_overflow
    fld1
    fld1
    fld1
    fld1
    fld1
    fld1
    fld1
    fld1
    fldpi
E

; FADD ST0, ST1 with both registers empty
T x_underflow
    fadd st0, st1
E

; FSTP m64 from an empty ST0: the indefinite is stored, then the pop
T x_underflow_st
    fstp qword [res]
E

; --- unmasked: #MF at the next waiting instruction (CR0.NE = 1)
%macro MF 2                     ; name, the instruction that raises the exception
global %1, %1_op, %1_wait
align 16
%1:
    mov dword [res+4], 0
    fninit
    fldcw [cw]
    LOAD2
%1_op:
    %2
    fnstsw [res]                ; not a waiting instruction: no #MF here
    mov dword [res+4], 1
%1_wait:
    fwait
    mov dword [res+4], 2
    fnsave [fsv]
    ret
%endmacro

MF m_zdiv, {fdiv st0, st1}
MF m_over, {fmul st0, st1}

; As m_zdiv, but the next waiting instruction is FLD1 rather than FWAIT.
global m_zfld, m_zfld_op, m_zfld_wait
align 16
m_zfld:
    mov dword [res+4], 0
    fninit
    fldcw [cw]
    LOAD2
m_zfld_op:
    fdiv st0, st1
    fnstsw [res]
    mov dword [res+4], 1
m_zfld_wait:
    fld1
    mov dword [res+4], 2
    fnsave [fsv]
    ret
MF m_sqrt, {fsqrt}
MF m_prec, {fdiv st0, st1}

; --- #NM
%macro NM 2
global %1, %1_op
align 16
%1:
%1_op:
    %2
    ret
%endmacro

NM n_fld1, {fld1}
NM n_fwait, {fwait}
NM n_fninit, {fninit}
NM n_fnstsw, {fnstsw ax}

; Ordinary x87 work once CR0 is back to normal: res = 1 + 2, as an integer.
global n_work
n_work:
    fninit
    fld1
    fld1
    fadd st0, st0
    faddp
    fistp dword [res]
    fwait
    ret
