/**
 * `@virtkit/devices/testing`: the device conformance kit and test helpers for plugin
 * authors. Framework-agnostic: the checks throw, so any runner works.
 */
export * from "./conformance.js";
export * from "./irq-recorder.js";
export * from "./prng.js";
export * from "./deep-equal.js";
