import { describe, expect, it } from "vitest";
import { IoBus } from "../api/io.js";
import { checkConformance } from "../testing/conformance.js";
import { DebugConsole, PostPort } from "./debug-ports.js";

describe("PostPort and DebugConsole", () => {
  it("pass the device conformance kit", () => {
    checkConformance({
      name: "post-port",
      create() {
        const post = new PostPort();
        return { device: post, windows: [{ kind: "io", name: "post", size: 1, handler: post, registers: [{ name: "POST", offset: 0, widths: [1], reset: 0, writeMask: 0xff }] }] };
      },
    });
    checkConformance({
      name: "debugcon",
      create() {
        const con = new DebugConsole({ write: () => undefined });
        return { device: con, windows: [{ kind: "io", name: "e9", size: 1, handler: con, registers: [{ name: "E9", offset: 0, widths: [1], reset: 0xe9 }] }] };
      },
    });
  });

  it("port 0x80 records the last code; 0xE9 prints bytes and reads 0xE9", () => {
    const codes: number[] = [];
    const out: number[] = [];
    const bus = new IoBus();
    const post = new PostPort((c) => codes.push(c));
    bus.register(0x80, 1, post, "post");
    bus.register(0xe9, 1, new DebugConsole({ write: (b) => out.push(b) }), "debugcon");
    bus.write(0x80, 1, 0x12);
    bus.write(0x80, 1, 0x34);
    expect(post.lastValue).toBe(0x34);
    expect(bus.read(0x80, 1)).toBe(0x34);
    expect(codes).toEqual([0x12, 0x34]);
    for (const c of "hi\n") bus.write(0xe9, 1, c.charCodeAt(0));
    expect(String.fromCharCode(...out)).toBe("hi\n");
    expect(bus.read(0xe9, 1)).toBe(0xe9);
  });
});
