import { StateError } from "./errors.js";

/**
 * A device's saved state: a plain JSON-serialisable object (numbers, booleans, strings,
 * arrays, nested plain objects) with a format `version`. Named fields, never positional
 * arrays of unrelated values, so formats can evolve.
 */
export interface DeviceState {
  /** Format version; `restore` rejects versions it does not know. */
  readonly version: number;
}

/**
 * The common surface of every device model (Firecracker's uniform device template):
 * a name for errors, a reset line, and versioned snapshots.
 */
export interface Device {
  /** Short model name used in errors ("uart16550", "pic8259"…). */
  readonly name: string;
  /** The reset line: return to the power-on state (battery-backed state excepted). */
  reset(): void;
  /** Snapshot the device's guest-visible and pending state. */
  save(): DeviceState;
  /** Load a snapshot taken by `save` (after the clock was restored); re-arms timers. */
  restore(state: DeviceState): void;
}

/**
 * Check a state object before restoring it: an object whose `version` is one of
 * `versions`. Throws a {@link StateError} naming the device otherwise.
 */
export function checkState(device: string, state: unknown, ...versions: number[]): asserts state is DeviceState {
  if (typeof state !== "object" || state === null || Array.isArray(state)) {
    throw new StateError(device, `restore: state must be an object, got ${state === null ? "null" : typeof state}`);
  }
  const v = (state as { version?: unknown }).version;
  if (typeof v !== "number" || !versions.includes(v)) {
    throw new StateError(device, `restore: unsupported state version ${String(v)} (supported: ${versions.join(", ")})`);
  }
}

function shapeError(device: string, path: string, want: string): StateError {
  return new StateError(device, `restore: field ${path} must be ${want}`);
}

function checkValue(device: string, path: string, value: unknown, template: unknown): void {
  if (typeof template === "number") {
    if (typeof value !== "number" || !Number.isFinite(value)) throw shapeError(device, path, "a finite number");
  } else if (typeof template === "boolean" || typeof template === "string") {
    if (typeof value !== typeof template) throw shapeError(device, path, `a ${typeof template}`);
  } else if (Array.isArray(template)) {
    if (!Array.isArray(value)) throw shapeError(device, path, "an array");
    if (template.length > 0) {
      const elem: unknown = template[0];
      // Fixed-size arrays of objects (per-channel state) must keep their length.
      if (typeof elem === "object" && value.length !== template.length) {
        throw shapeError(device, path, `an array of ${template.length} entries`);
      }
      for (let i = 0; i < value.length; i++) checkValue(device, `${path}[${i}]`, value[i], elem);
    }
  } else if (typeof template === "object" && template !== null) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw shapeError(device, path, "an object");
    for (const key of Object.keys(template)) {
      checkValue(device, path === "" ? key : `${path}.${key}`, (value as Record<string, unknown>)[key], (template as Record<string, unknown>)[key]);
    }
  }
}

/**
 * Check that `state` has every field of `template` (normally the device's own `save()`)
 * with the same type, recursively; arrays of objects keep their length. Throws a
 * {@link StateError} naming the first bad field.
 */
export function checkShape(device: string, state: unknown, template: DeviceState): void {
  checkValue(device, "", state, template);
}
