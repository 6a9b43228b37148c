#!/usr/bin/env bash
# Builds every virtkit test guest into bin/<name>.elf (multiboot v1, i386 ELF).
# Needs: gcc with -m32 support (Debian: gcc-multilib), nasm, GNU ld.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
out="$here/bin"
obj="$here/build"
mkdir -p "$out" "$obj"

for tool in gcc nasm ld; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool not found" >&2; exit 1; }
done

BASE_CFLAGS=(-m32 -march=i686 -ffreestanding -fno-pie -no-pie -nostdlib -static -O2
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables
  -fno-delete-null-pointer-checks -fno-builtin
  -fno-tree-loop-distribute-patterns -fcf-protection=none
  -Wall -Wextra -Werror -Wno-array-bounds -std=gnu11 -Icommon)
# Most guests: no x87, MMX or SSE instructions anywhere.
CFLAGS=("${BASE_CFLAGS[@]}" -mgeneral-regs-only -mno-80387)
# The x87 guests may use the FPU (their C code has no float types; the instructions under
# test are in nasm), but never SSE/MMX.
X87_CFLAGS=("${BASE_CFLAGS[@]}" -mfpmath=387 -mno-mmx -mno-sse)
LDFLAGS=(-m elf_i386 -nostdlib -static --build-id=none --no-warn-rwx-segments
  -z max-page-size=0x1000 -z noexecstack -T common/link.ld)

# Common objects.
nasm -f elf32 -o "$obj/entry.o" common/entry.asm
nasm -f elf32 -o "$obj/isr.o" common/isr.asm
gcc "${CFLAGS[@]}" -c -o "$obj/lib.o" common/lib.c
common_objs=("$obj/entry.o" "$obj/isr.o" "$obj/lib.o")

# build_with <cflags array name> <name> <source dir> [extra gcc flags...]
build_with() {
  local -n cflags="$1"
  local name="$2" dir="$3"
  shift 3
  local objs=()
  local src
  for src in "$dir"/*.c; do
    [ -e "$src" ] || continue
    local o="$obj/$name-$(basename "$src" .c).o"
    gcc "${cflags[@]}" "$@" -c -o "$o" "$src"
    objs+=("$o")
  done
  for src in "$dir"/*.asm; do
    [ -e "$src" ] || continue
    local o="$obj/$name-$(basename "$src" .asm).asm.o"
    nasm -f elf32 -o "$o" "$src"
    objs+=("$o")
  done
  ld "${LDFLAGS[@]}" -o "$dest/$name.elf" "${common_objs[@]}" "${objs[@]}"
  echo "built ${dest#"$here"/}/$name.elf"
}
dest="$out"
build_guest() { build_with CFLAGS "$@"; }
build_x87_guest() { build_with X87_CFLAGS "$@"; }

# X87_STRICT=1 bash build.sh: build only the x87 guests, with the checks that QEMU 7.2
# fails (see README.md), into build/strict/ (not committed; for the emulator's own tests).
if [ "${X87_STRICT:-0}" = 1 ]; then
  dest="$obj/strict"
  mkdir -p "$dest"
  X87_CFLAGS+=(-DX87_STRICT=1)
  build_x87_guest x87-basic x87-basic
  build_x87_guest x87-rounding x87-rounding
  build_x87_guest x87-exceptions x87-exceptions
  build_x87_guest x87-ferr x87-ferr
  exit 0
fi

build_guest hello hello
build_guest pmode pmode
build_guest paging paging
build_guest exceptions exceptions
build_guest ring3 ring3
build_guest v86 v86
build_guest bench-int bench-int -DBENCH_QUICK=0
build_guest bench-int-quick bench-int -DBENCH_QUICK=1
build_x87_guest x87-basic x87-basic
build_x87_guest x87-rounding x87-rounding
build_x87_guest x87-exceptions x87-exceptions
build_x87_guest x87-ferr x87-ferr
