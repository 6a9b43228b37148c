import { describe, expect, it } from "vitest";
import { rspChecksum, rspDecode, rspFrame } from "./gdb.js";
import { fallbackI386Layout, parseTargetXml } from "./layout.js";
import { parseDump } from "./qemu-log.js";
import { classify, InsnInfo, Nondet } from "./insn-info.js";

describe("RSP framing", () => {
  it("checksums and escapes", () => {
    expect(rspChecksum("g")).toBe("67");
    expect(rspFrame("g")).toBe("$g#67");
    expect(rspFrame("a$b")).toBe(`$a}\x04b#${rspChecksum("a}\x04b")}`);
  });
  it("decodes run-length encoding and escapes", () => {
    expect(rspDecode("0* ")).toBe("0000");
    expect(rspDecode("a}\x04b")).toBe("a$b");
  });
});

describe("target description", () => {
  it("skips commented-out registers and sums sizes", () => {
    const l = parseTargetXml(['<reg name="eax" bitsize="32"/><!--reg name="x" bitsize="32"/--><reg name="st0" bitsize="80"/><reg name="cr0" bitsize="32"/>']);
    expect(l.slots.get("cr0")?.offset).toBe(14);
    expect(l.slots.has("x")).toBe(false);
    expect(l.bytes).toBe(18);
  });
  it("matches QEMU 7.2's i386 g packet size", () => {
    expect(fallbackI386Layout().bytes).toBe(344);
  });
});

describe("QEMU dump parser", () => {
  const dump = `EAX=2badb002 EBX=00009500 ECX=0000f880 EDX=00010511
ESI=00000001 EDI=0010be70 EBP=00000002 ESP=00006f08
EIP=00100047 EFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
CS =0008 00000000 ffffffff 00cf9a00 DPL=0 CS32 [-R-]
SS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
DS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
FS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
GS =0018 00001000 0000ffff 00009300 DPL=0 DS   [-WA]
LDT=0000 00000000 0000ffff 00008200 DPL=0 LDT
TR =0018 0010a880 00000067 00008900 DPL=0 TSS32-avl
GDT=     00101e10 00000017
IDT=     00000000 000003ff
CR0=80000011 CR2=00000000 CR3=00111000 CR4=00000010
DR0=00000000 DR1=00000000 DR2=00000000 DR3=00000000 
DR6=ffff0ff0 DR7=00000400
EFER=0000000000000000
`;
  it("reads registers, caches and tables", () => {
    const st = parseDump(dump);
    expect(st).not.toBeNull();
    if (st === null) return;
    expect(st.gpr[0] >>> 0).toBe(0x2badb002);
    expect(st.gpr[3]).toBe(0x9500);
    expect(st.gpr[4]).toBe(0x6f08);
    expect(st.gpr[6]).toBe(1);
    expect(st.eip).toBe(0x100047);
    expect(st.eflags).toBe(0x46);
    expect(st.sel[1]).toBe(8);
    expect(st.ar[1]).toBe(0xc09a);
    expect(st.base[5]).toBe(0x1000);
    expect(st.limit[5]).toBe(0xffff);
    expect(st.trBase).toBe(0x10a880);
    expect(st.gdtBase).toBe(0x101e10);
    expect(st.cr0 >>> 0).toBe(0x80000011);
    expect(st.cr3).toBe(0x111000);
  });
});

describe("instruction classification", () => {
  const info = (bytes: number[], cl = 0): InsnInfo => {
    const i = new InsnInfo();
    i.bytes.set(bytes);
    i.len = bytes.length;
    classify(i, true, cl);
    return i;
  };
  it("finds non-deterministic instructions and REP strings", () => {
    expect(info([0x0f, 0xa2]).nondet).toBe(Nondet.Cpuid);
    expect(info([0xec]).nondet).toBe(Nondet.In);
    expect(info([0x66, 0xed]).ioSize).toBe(2);
    expect(info([0xf3, 0xab]).repString).toBe(true);
    expect(info([0xab]).repString).toBe(false);
  });
  it("masks undefined flags by operands", () => {
    expect(info([0x21, 0xc0]).undefFlags).toBe(0x10); // AND: AF
    expect(info([0xd1, 0xe0]).undefFlags).toBe(0x10); // SHL by 1: AF
    expect(info([0xc1, 0xe0, 0x04]).undefFlags).toBe(0x810); // SHL by 4: AF, OF
    expect(info([0xd3, 0xe0], 0).undefFlags).toBe(0); // count 0: nothing changes
    expect(info([0xf7, 0xf3]).undefFlags).toBe(0x8d5); // DIV
  });
});
