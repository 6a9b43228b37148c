import { describe, expect, it } from "vitest";
import { OptionError, parseMemory, parseOptions } from "./options.js";
import { EscapeFilter } from "./console.js";

describe("QEMU-style options", () => {
  it("parses the documented command line", () => {
    const c = parseOptions(["-kernel", "vmlinuz", "-initrd", "init.gz", "-append", "console=ttyS0 quiet", "-m", "256",
      "-nographic", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-icount", "shift=0", "-d", "exits"]);
    expect(c).toMatchObject({
      kernel: "vmlinuz", initrd: "init.gz", append: "console=ttyS0 quiet", memoryMiB: 256, serial: "stdio",
      noReboot: true, debugExit: { iobase: 0xf4, iosize: 4 }, icount: { shift: 0 }, trace: ["exits"],
    });
  });
  it("accepts sizes with units and rejects nonsense with the option's name", () => {
    expect(parseMemory("1G")).toBe(1024);
    expect(parseMemory("512M")).toBe(512);
    expect(() => parseMemory("lots")).toThrow(/-m: cannot parse/);
    expect(() => parseOptions(["-kernel", "k", "-m"])).toThrow(/-m needs an argument/);
    expect(() => parseOptions(["-kernel", "k", "-frobnicate"])).toThrow(OptionError);
    expect(() => parseOptions(["-m", "64"])).toThrow(/no kernel/);
    expect(() => parseOptions(["-kernel", "k", "-serial", "tcp:1234"])).toThrow(/-serial: unsupported/);
    expect(() => parseOptions(["-kernel", "k", "-device", "e1000"])).toThrow(/-device e1000: unknown device/);
  });
});

describe("console escape", () => {
  function run(chunks: number[][]): { input: number[]; quit: boolean; messages: number } {
    const input: number[] = [];
    let quit = false;
    let messages = 0;
    const f = new EscapeFilter({ input: (b) => input.push(...b), quit: () => { quit = true; }, message: () => { messages++; } });
    for (const c of chunks) f.feed(Uint8Array.from(c));
    return { input, quit, messages };
  }
  it("passes ordinary bytes, handles C-a x, C-a C-a and escapes split across reads", () => {
    expect(run([[0x61, 0x62, 0x0d]])).toEqual({ input: [0x61, 0x62, 0x0d], quit: false, messages: 0 });
    expect(run([[0x61, 0x01, 0x78, 0x62]])).toEqual({ input: [0x61], quit: true, messages: 0 });
    expect(run([[0x01], [0x01, 0x63]])).toEqual({ input: [0x01, 0x63], quit: false, messages: 0 });
    expect(run([[0x01], [0x68]]).messages).toBe(1);
  });
});
