/**
 * The register layout of a gdbstub `g` packet, taken from the target description
 * (`qXfer:features:read:target.xml` and the files it includes). Registers appear in document
 * order (a `regnum` attribute restarts the numbering); XML comments are ignored, which matters
 * for QEMU's i386-32bit.xml: it comments out the segment-base registers.
 */

/** One register in a `g` packet. */
export interface RegSlot {
  /** Name as in the target description (`eax`, `cr0`, `st0`, …). */
  name: string;
  /** GDB register number. */
  regnum: number;
  /** Byte offset in the decoded `g` packet. */
  offset: number;
  /** Size in bytes. */
  size: number;
}

/** Name → slot map plus the total size of a `g` packet. */
export interface RegLayout {
  slots: Map<string, RegSlot>;
  bytes: number;
}

/** Build the layout from the concatenated text of the target description files. */
export function parseTargetXml(xmlTexts: string[]): RegLayout {
  const slots = new Map<string, RegSlot>();
  let offset = 0;
  let regnum = 0;
  for (const text of xmlTexts) {
    const clean = text.replace(/<!--[\s\S]*?-->/g, "");
    for (const m of clean.matchAll(/<reg\s([^>]*?)\/?>/g)) {
      const attrs = new Map<string, string>();
      for (const a of m[1].matchAll(/(\w+)="([^"]*)"/g)) attrs.set(a[1], a[2]);
      const name = attrs.get("name");
      const bits = Number(attrs.get("bitsize"));
      if (name === undefined || !Number.isFinite(bits)) continue;
      const rn = attrs.get("regnum");
      if (rn !== undefined) regnum = Number(rn);
      const size = bits >> 3;
      slots.set(name, { name, regnum, offset, size });
      offset += size;
      regnum++;
    }
  }
  return { slots, bytes: offset };
}

/** The layout QEMU 7.2 reports for qemu-system-i386, used when the stub offers no XML. */
export function fallbackI386Layout(): RegLayout {
  const names: [string, number][] = [];
  for (const n of ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"]) names.push([n, 32]);
  for (const n of ["fs_base", "gs_base", "k_gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer"]) names.push([n, 32]);
  for (let k = 0; k < 8; k++) names.push([`st${k}`, 80]);
  for (const n of ["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"]) names.push([n, 32]);
  for (let k = 0; k < 8; k++) names.push([`xmm${k}`, 128]);
  names.push(["mxcsr", 32]);
  const xml = names.map(([n, b]) => `<reg name="${n}" bitsize="${b}"/>`).join("");
  return parseTargetXml([xml]);
}
