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

CFLAGS=(-m32 -march=i686 -ffreestanding -fno-pie -no-pie -nostdlib -static -O2
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables
  -mgeneral-regs-only -mno-80387 -fno-delete-null-pointer-checks -fno-builtin
  -fno-tree-loop-distribute-patterns -fcf-protection=none
  -Wall -Wextra -Werror -Wno-array-bounds -std=gnu11 -Icommon)
LDFLAGS=(-m elf_i386 -nostdlib -static --build-id=none --no-warn-rwx-segments
  -z max-page-size=0x1000 -z noexecstack -T common/link.ld)

# Common objects.
nasm -f elf32 -o "$obj/entry.o" common/entry.asm
nasm -f elf32 -o "$obj/isr.o" common/isr.asm
gcc "${CFLAGS[@]}" -c -o "$obj/lib.o" common/lib.c
common_objs=("$obj/entry.o" "$obj/isr.o" "$obj/lib.o")

# build_guest <name> <source dir> [extra gcc flags...]
build_guest() {
  local name="$1" dir="$2"
  shift 2
  local objs=()
  local src
  for src in "$dir"/*.c; do
    [ -e "$src" ] || continue
    local o="$obj/$name-$(basename "$src" .c).o"
    gcc "${CFLAGS[@]}" "$@" -c -o "$o" "$src"
    objs+=("$o")
  done
  for src in "$dir"/*.asm; do
    [ -e "$src" ] || continue
    local o="$obj/$name-$(basename "$src" .asm).asm.o"
    nasm -f elf32 -o "$o" "$src"
    objs+=("$o")
  done
  ld "${LDFLAGS[@]}" -o "$out/$name.elf" "${common_objs[@]}" "${objs[@]}"
  echo "built bin/$name.elf"
}

build_guest hello hello
build_guest pmode pmode
build_guest paging paging
build_guest exceptions exceptions
build_guest ring3 ring3
build_guest v86 v86
build_guest bench-int bench-int -DBENCH_QUICK=0
build_guest bench-int-quick bench-int -DBENCH_QUICK=1
