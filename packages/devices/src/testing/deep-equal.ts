/**
 * Structural comparison for saved states: returns null when equal, otherwise the path
 * of the first difference and both values. Plain objects and arrays only compare equal
 * to the same kind (a typed array never equals its JSON form).
 */
export function findDifference(a: unknown, b: unknown, path = "state"): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return `${path}: ${describe(a)} ≠ ${describe(b)}`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {
    return `${path}: different kinds (${kind(a)} vs ${kind(b)})`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} ≠ ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = findDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  const all = new Set([...ka, ...kb]);
  for (const k of all) {
    const d = findDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d !== null) return d;
  }
  return null;
}

function kind(v: object): string {
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === null) return "null-prototype object";
  const ctor = (proto as { constructor?: { name?: string } }).constructor;
  return ctor?.name ?? "object";
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function" || typeof v === "symbol") return typeof v;
  try {
    return JSON.stringify(v);
  } catch {
    return "unserialisable object";
  }
}
