/** @virtkit/lockstep — differential testing of the virtkit CPU against qemu-system-i386. */
export { runLockstep, formatDivergence } from "./lockstep.js";
export type { LockstepOptions, LockstepResult, LockstepMode, Divergence } from "./lockstep.js";
export { QemuSession, qemuAvailable, qemuCommandLine, freePort } from "./qemu.js";
export type { QemuLaunch } from "./qemu.js";
export { GdbClient, GdbError, rspChecksum, rspFrame, rspDecode } from "./gdb.js";
export { parseTargetXml, fallbackI386Layout } from "./layout.js";
export type { RegLayout, RegSlot } from "./layout.js";
export { QemuDumpParser, parseDump } from "./qemu-log.js";
export type { QemuLogEvent, QemuInterrupt, QemuDump } from "./qemu-log.js";
export { ArchState, diffStates, statesEqual, formatSideBySide, formatState } from "./state.js";
export type { FieldDiff, CompareOptions } from "./state.js";
export { InsnInfo, classify, Nondet } from "./insn-info.js";
export { disassemble } from "./disasm.js";
export { PdpteAccessedQuirk, readsMemory } from "./pdpte-quirk.js";
