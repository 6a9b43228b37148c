; x87-basic: the instructions under test. Each routine starts from FNINIT, loads its
; operands from the globals below (set by main.c), runs the instruction(s) and ends with
; FNSAVE to fsv, so main.c can look at FCW/FSW/FTW and ST(0)-ST(7) afterwards. Routines
; that need more put extra words in res. cdecl; only EAX, ECX and EDX are touched.
bits 32

section .data
align 16
global opA, opB, opC, m32a, m64a, i16a, i32a, i64a, bcda, cw, flg
opA:  times 10 db 0
      align 16
opB:  times 10 db 0
      align 16
opC:  times 10 db 0
      align 16
m64a: dq 0
i64a: dq 0
m32a: dd 0
i32a: dd 0
flg:  dd 2
i16a: dw 0
cw:   dw 0x037F
      align 16
bcda: times 10 db 0

section .bss
alignb 16
global res, fsv, sv1, sv2, env1, env2, img
res:  resb 64
fsv:  resb 108
      alignb 16
sv1:  resb 108
      alignb 16
sv2:  resb 108
      alignb 16
env1: resb 28
      alignb 16
env2: resb 28
      alignb 16
img:  resb 108

section .text

%macro T 1
global %1
align 16
%1:
    fninit
%endmacro

%macro E 0
    fnsave [fsv]
    ret
%endmacro

; ST(0) = A, ST(1) = B, ST(2) = C
%macro LOAD3 0
    fld tword [opC]
    fld tword [opB]
    fld tword [opA]
%endmacro

; ST(0) = A, ST(1) = C
%macro LOAD2 0
    fld tword [opC]
    fld tword [opA]
%endmacro

; --- FNINIT state: first make the state dirty (FCW, FSW flags, tags), then FNINIT.
global t_init
t_init:
    fninit
    fldcw [cw]
    fld1
    fldz
    fdiv st1, st0               ; ZE (masked): ST(1) = +inf
    fld tword [opA]
    fninit
    fnstcw [res]
    fnstsw [res+2]
    mov word [res+4], 0xAAAA
    fnstsw ax
    mov [res+4], ax
    fnstenv [res+8]             ; 28 bytes: res+8 .. res+35
    ret

; --- integer loads and stores
T t_ild
    fild word [i16a]
    fild dword [i32a]
    fild qword [i64a]
E

T t_ist
    fild qword [i64a]
    fistp qword [res]
    fild dword [i32a]
    fist dword [res+8]
    fistp dword [res+12]
    fild word [i16a]
    fist word [res+16]
    fistp word [res+18]
    fld tword [opA]
    fist dword [res+20]         ; rounded per RC (nearest)
    fld tword [opB]
    fistp word [res+24]
E

; --- real loads and stores
T t_fldr
    fld dword [m32a]
    fld qword [m64a]
    fld tword [opA]
    fld st2                     ; FLD ST(i)
E

T t_fstr
    fld tword [opA]
    fst dword [res]
    fst qword [res+4]
    fld st0
    fstp tword [res+12]
    fld tword [opB]
    fst dword [res+24]
    fstp qword [res+28]
    fldz
    fld1
    fldpi                       ; ST0 pi, ST1 1, ST2 0, ST3 A
    fst st2                     ; ST2 = pi
    fstp st1                    ; ST1 = pi, pop: ST0 pi, ST1 pi, ST2 A
E

; --- packed BCD
T t_bcd
    fbld [bcda]
    fld st0
    fbstp [res]
    fld tword [opA]
    fbstp [res+10]
E

; --- constants: ST0 ln2, ST1 lg2, ST2 l2t, ST3 l2e, ST4 pi, ST5 0, ST6 1
T t_const
    fld1
    fldz
    fldpi
    fldl2e
    fldl2t
    fldlg2
    fldln2
E

; --- stack manipulation
T t_fxch
    fldz
    fld1
    fldpi                       ; ST0 pi, ST1 1, ST2 0
    fxch st2                    ; ST0 0, ST1 1, ST2 pi
    fxch                        ; ST0 1, ST1 0, ST2 pi
E

T t_ffree
    fld1
    fldz
    fldpi                       ; TOP 5: ST0 pi (phys 5), ST1 0 (phys 6), ST2 1 (phys 7)
    ffree st1
    fnstenv [res]
    fincstp                     ; ST0 is the freed register
    fxam
    fnstsw [res+28]
    fdecstp
E

T t_stp
    fld1
    fchs
    fxam                        ; C1 = 1 (negative)
    fnstsw [res]                ; TOP 7
    fincstp                     ; TOP 0, C1 cleared
    fnstsw [res+2]
    fdecstp
    fdecstp                     ; TOP 6: ST0 empty (phys 6), ST1 = -1 (phys 7)
    fnstsw [res+4]
E

T t_abschs
    fld tword [opA]
    fld st0
    fabs
    fld st1
    fchs
    fld tword [opB]
    fchs                        ; ST0 -B, ST1 -A, ST2 |A|, ST3 A
E

; --- arithmetic in every form. ST0 = A, ST1 = B (not an operand), ST2 = C.
%macro ARITH 1
T t_%1_st0_sti
    LOAD3
    f%1 st0, st2
E
T t_%1_sti_st0
    LOAD3
    f%1 st2, st0
E
T t_%1p
    LOAD3
    f%1p st2, st0
E
T t_%1_m32
    LOAD3
    f%1 dword [m32a]
E
T t_%1_m64
    LOAD3
    f%1 qword [m64a]
E
T t_%1_i16
    LOAD3
    fi%1 word [i16a]
E
T t_%1_i32
    LOAD3
    fi%1 dword [i32a]
E
%endmacro

ARITH add
ARITH mul
ARITH sub
ARITH subr
ARITH div
ARITH divr

; The operand-less forms: FADDP/FSUBP/... ST(1), ST(0).
T t_noarg
    fld tword [opC]
    fld tword [opA]
    fld tword [opC]
    fld tword [opA]
    fsubp                       ; DE E9: ST1 = ST1 - ST0 = C - A, pop
    fxch st2                    ; ST0 C, ST1 A, ST2 C - A
    fdivrp                      ; DE F1: ST1 = ST0 / ST1 = C / A, pop
E

; --- other arithmetic
T t_fsqrt
    fld tword [opA]
    fsqrt
E

T t_frndint
    fld tword [opA]
    frndint
E

T t_fscale
    fld tword [opB]
    fld tword [opA]
    fscale
E

T t_fxtract
    fld tword [opA]
    fxtract
E

T t_fprem
    fld tword [opB]
    fld tword [opA]
    fprem
E

T t_fprem1
    fld tword [opB]
    fld tword [opA]
    fprem1
E

; FPREM until C2 = 0; res = number of iterations.
T t_fprem_loop
    mov dword [res], 0
    fld tword [opB]
    fld tword [opA]
.again:
    inc dword [res]
    fprem
    fnstsw ax
    test ah, 4
    jnz .again
E

; --- comparisons: FNSTSW AX after the compare, stored in res.
%macro CMP3 2
T %1
    LOAD3
    %2
    fnstsw ax
    mov [res], ax
E
%endmacro

%macro CMP2 2
T %1
    LOAD2
    %2
    fnstsw ax
    mov [res], ax
E
%endmacro

CMP3 t_fcom_st2, {fcom st2}
CMP3 t_fcom_m32, {fcom dword [m32a]}
CMP3 t_fcom_m64, {fcom qword [m64a]}
CMP3 t_fcomp_st2, {fcomp st2}
CMP3 t_fcomp_m32, {fcomp dword [m32a]}
CMP3 t_fcomp_m64, {fcomp qword [m64a]}
CMP2 t_fcompp, {fcompp}
CMP3 t_fucom_st2, {fucom st2}
CMP3 t_fucomp_st2, {fucomp st2}
CMP2 t_fucompp, {fucompp}
CMP3 t_ficom_m16, {ficom word [i16a]}
CMP3 t_ficom_m32, {ficom dword [i32a]}
CMP3 t_ficomp_m16, {ficomp word [i16a]}
CMP3 t_ficomp_m32, {ficomp dword [i32a]}
CMP3 t_fcom_noarg, {fcom}         ; ST0 against ST1 (= B)

T t_ftst
    fld tword [opA]
    ftst
    fnstsw ax
    mov [res], ax
E

T t_fxam
    fld tword [opA]
    fxam
    fnstsw ax
    mov [res], ax
E

; FXAM of an empty ST(0)
T t_fxam_empty
    fxam
    fnstsw ax
    mov [res], ax
E

; FCOMI family: every flag it defines is set beforehand; res+4 = EFLAGS after.
%macro CMPI 2
T %1
    LOAD3
    push dword 0x8D7            ; CF PF AF ZF SF OF and the reserved bit 1
    popfd
    %2
    pushfd
    pop dword [res+4]
    fnstsw ax
    mov [res], ax
E
%endmacro

CMPI t_fcomi, {fcomi st0, st2}
CMPI t_fcomip, {fcomip st0, st2}
CMPI t_fucomi, {fucomi st0, st2}
CMPI t_fucomip, {fucomip st0, st2}

; FCMOVcc ST(0), ST(2) with EFLAGS = flg.
%macro FCMOV 1
T t_%1
    LOAD3
    push dword [flg]
    popfd
    %1 st0, st2
    push dword 2
    popfd
E
%endmacro

FCMOV fcmovb
FCMOV fcmove
FCMOV fcmovbe
FCMOV fcmovu
FCMOV fcmovnb
FCMOV fcmovne
FCMOV fcmovnbe
FCMOV fcmovnu

; --- environment and state images
; A state with FCW = cw, PE and C1 in FSW, TOP = 4, one freed register:
; ST0 1/3 (phys 4), ST1 3 (phys 5), ST2 freed zero (phys 6), ST3 1 (phys 7).
%macro STATE 0
    fninit
    fldcw [cw]
    fld1
    fldz
    fld tword [opA]
    fld1
    ffree st2
    fdiv st0, st1
%endmacro

global t_env
t_env:
    STATE
    fnstenv [env1]
    fnstcw [res]                ; FNSTENV masked every exception
    fninit
    fldenv [env1]
    fnstenv [env2]
    fldenv [env1]
    fnstcw [res+2]
    fnsave [fsv]
    ret

global t_save
t_save:
    STATE
    fnsave [sv1]
    fnstcw [res]                ; FNSAVE reinitialised the FPU
    fnstsw [res+2]
    fnstenv [res+4]             ; res+4 .. res+31
    frstor [sv1]
    fnsave [sv2]
    frstor [sv2]
    fnstcw [res+32]
    fnsave [fsv]
    ret

;  FNSTENV after a load from memory: FIP = t_ptrs_fld, FDP = opA (the opcode is not checked).
global t_ptrs, t_ptrs_fld
t_ptrs:
    fninit
    fld1
t_ptrs_fld:
    fld tword [opA]
    fnstcw [res]
    fnstsw [res+2]
    fnstenv [env1]
    fnsave [fsv]
    ret

; FRSTOR of an image built by main.c; res = FNSTENV right after, then FADDP.
global t_frstor
t_frstor:
    fninit
    frstor [img]
    fnstenv [res]
    faddp
    fnsave [fsv]
    ret

; FLDCW/FNSTCW: res = FCW read back, then 1/3 under that control word.
T t_cw
    fldcw [cw]
    fnstcw [res]
    fld1
    fld tword [opA]
    fdivp
    fnstcw [res+2]
E
