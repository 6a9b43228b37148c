; x87-rounding: the instructions under test. Each routine starts from FNINIT, loads the
; control word cw (rounding and precision control, all exceptions masked), loads its
; operands and runs one instruction, then stores what main.c needs and ends with FNSAVE.
bits 32

section .data
align 16
global opA, opB, cw, i64a
opA:  times 10 db 0
      align 16
opB:  times 10 db 0
      align 16
i64a: dq 0
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

; ST0 = A op B
T r_div
    fld tword [opB]
    fld tword [opA]
    fdiv st0, st1
E

T r_add
    fld tword [opB]
    fld tword [opA]
    fadd st0, st1
E

T r_mul
    fld tword [opB]
    fld tword [opA]
    fmul st0, st1
E

T r_sqrt
    fld tword [opA]
    fsqrt
E

T r_frndint
    fld tword [opA]
    frndint
E

; FIST m16/m32, FISTP m64 into res
T r_fist16
    fld tword [opA]
    fist word [res]
E

T r_fist32
    fld tword [opA]
    fist dword [res]
E

T r_fist64
    fld tword [opA]
    fistp qword [res]
E

T r_fbstp
    fld tword [opA]
    fbstp [res]
E

; FST m32 at res, FSTP m64 at res+4
T r_fst
    fld tword [opA]
    fst dword [res]
    fstp qword [res+4]
E

; ST0 ln2, ST1 lg2, ST2 l2t, ST3 l2e, ST4 pi
T r_const
    fldpi
    fldl2e
    fldl2t
    fldlg2
    fldln2
E

; Loads that precision control does not affect: ST0 = m64 integer, ST1 = A (m80)
T r_loads
    fld tword [opA]
    fild qword [i64a]
E
