#!/usr/bin/env bash
# Builds an unprivileged guest (x87-basic, x87-rounding; the masked part of x87-exceptions)
# as a Linux i386 program and runs it on this machine's x87: a cross-check of the guest's
# expected values against silicon.
# X87_STRICT defaults to 1 here (the checks QEMU 7.2 fails are made too); X87_STRICT=0
# gives the default guest build.
# Usage: bash host/run.sh x87-basic    (exit status 1 = PASS, 3 = FAIL, like under QEMU)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for src in "$here/$name"/*.asm; do
  nasm -f elf32 -o "$tmp/$(basename "$src" .asm).o" "$src"
done
gcc -m32 -march=i686 -mfpmath=387 -O2 -fno-builtin -fno-pie -no-pie -DHOST_BUILD \
  -Dputc=guest_putc -Dputs=guest_puts -Dmemset=guest_memset -Dmemcpy=guest_memcpy \
  -Dmemcmp=guest_memcmp -Dstrlen=guest_strlen -DX87_STRICT="${X87_STRICT:-1}" \
  -I"$here/common" -Wall -Wextra -Werror -std=gnu11 -z noexecstack -o "$tmp/$name" \
  "$here/$name"/*.c "$here/host/hostlib.c" "$tmp"/*.o
set +e
"$tmp/$name"
status=$?
set -e
exit "$status"
