/**
 * A small description of JSON documents: each command declares the shape of
 * what `--json` prints, `help json` and the README show it, and tests check
 * every printed document against it, so the three cannot drift.
 */

/** The shape of a JSON value. */
export type Shape =
  | { kind: "string"; values?: readonly string[] }
  | { kind: "number" }
  | { kind: "boolean"; value?: boolean }
  | { kind: "null" }
  | { kind: "array"; of: Shape }
  | { kind: "object"; fields: Readonly<Record<string, Shape>>; optional: readonly string[] }
  | { kind: "union"; of: readonly Shape[] }
  | { kind: "named"; name: string; shape: Shape };

/** Any string. */
export const str: Shape = { kind: "string" };
/** Any number. */
export const num: Shape = { kind: "number" };
/** true or false. */
export const bool: Shape = { kind: "boolean" };
/** null. */
export const nul: Shape = { kind: "null" };

/** Exactly `value`. */
export function lit(value: boolean | string): Shape {
  return typeof value === "boolean"
    ? { kind: "boolean", value }
    : { kind: "string", values: [value] };
}

/** One of these strings. */
export function oneOf(...values: string[]): Shape {
  return { kind: "string", values };
}

/** An array of `of`. */
export function arr(of: Shape): Shape {
  return { kind: "array", of };
}

/** An object with exactly these fields; a key ending in `?` is optional. */
export function obj(fields: Record<string, Shape>): Shape {
  const out: Record<string, Shape> = {};
  const optional: string[] = [];
  for (const [key, shape] of Object.entries(fields)) {
    const name = key.endsWith("?") ? key.slice(0, -1) : key;
    if (name !== key) optional.push(name);
    out[name] = shape;
  }
  return { kind: "object", fields: out, optional };
}

/** Any of these shapes. */
export function union(...of: Shape[]): Shape {
  return { kind: "union", of };
}

/** `shape` or null. */
export function nullable(shape: Shape): Shape {
  return union(shape, nul);
}

/** A shape shown by `name` (and defined once in `help json`). */
export function named(name: string, shape: Shape): Shape {
  return { kind: "named", name, shape };
}

/** The shape as text: `{"ok": true, "id": string, "reply_to"?: string}`. */
export function describe(shape: Shape, expandNamed = false): string {
  switch (shape.kind) {
    case "string":
      return shape.values ? shape.values.map((v) => JSON.stringify(v)).join(" | ") : "string";
    case "number":
      return "number";
    case "boolean":
      return shape.value === undefined ? "boolean" : String(shape.value);
    case "null":
      return "null";
    case "array": {
      const inner = describe(shape.of);
      return shape.of.kind === "union" ? `(${inner})[]` : `${inner}[]`;
    }
    case "object":
      return `{${
        Object.entries(shape.fields).map(([k, v]) =>
          `${JSON.stringify(k)}${shape.optional.includes(k) ? "?" : ""}: ${describe(v)}`
        ).join(", ")
      }}`;
    case "union":
      return shape.of.map((s) => describe(s)).join(" | ");
    case "named":
      return expandNamed ? describe(shape.shape) : shape.name;
  }
}

/** Every named shape used in `shape`, outermost first, each once. */
export function namedIn(shape: Shape, seen = new Map<string, Shape>()): Map<string, Shape> {
  switch (shape.kind) {
    case "array":
      namedIn(shape.of, seen);
      break;
    case "object":
      for (const s of Object.values(shape.fields)) namedIn(s, seen);
      break;
    case "union":
      for (const s of shape.of) namedIn(s, seen);
      break;
    case "named":
      if (!seen.has(shape.name)) {
        seen.set(shape.name, shape.shape);
        namedIn(shape.shape, seen);
      }
      break;
  }
  return seen;
}

/** Where `value` differs from `shape`, as `$.field: expected …` lines; empty when it fits. */
export function mismatches(shape: Shape, value: unknown, path = "$"): string[] {
  const fail = [`${path}: expected ${describe(shape)}, got ${JSON.stringify(value)}`];
  switch (shape.kind) {
    case "string":
      return typeof value === "string" && (!shape.values || shape.values.includes(value))
        ? []
        : fail;
    case "number":
      return typeof value === "number" ? [] : fail;
    case "boolean":
      return typeof value === "boolean" && (shape.value === undefined || value === shape.value)
        ? []
        : fail;
    case "null":
      return value === null ? [] : fail;
    case "array":
      return Array.isArray(value)
        ? value.flatMap((v, i) => mismatches(shape.of, v, `${path}[${i}]`))
        : fail;
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return fail;
      const rec = value as Record<string, unknown>;
      const out: string[] = [];
      for (const [k, s] of Object.entries(shape.fields)) {
        if (rec[k] === undefined) {
          if (!shape.optional.includes(k)) out.push(`${path}.${k}: missing`);
        } else out.push(...mismatches(s, rec[k], `${path}.${k}`));
      }
      for (const k of Object.keys(rec)) {
        if (!(k in shape.fields)) out.push(`${path}.${k}: not in the schema`);
      }
      return out;
    }
    case "union":
      return shape.of.some((s) => mismatches(s, value, path).length === 0) ? [] : fail;
    case "named":
      return mismatches(shape.shape, value, path);
  }
}
