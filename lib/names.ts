import { UsageError } from "./errors.ts";

/** The original tool's rule for agent names. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Longest agent name accepted. */
export const NAME_MAX = 64;
/** Longest role of a registration, in characters (the original's limit). */
export const ROLE_MAX = 200;

/** Returns `name` when it is a valid agent name, else throws a UsageError naming `what`. */
export function checkName(name: unknown, what = "agent name"): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new UsageError(`Missing ${what}`);
  }
  if (name.length > NAME_MAX) {
    throw new UsageError(
      `Invalid ${what} "${name.slice(0, 20)}…": longer than ${NAME_MAX} characters`,
    );
  }
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(
      `Invalid ${what} ${JSON.stringify(name)}: use only letters, digits, "_" and "-"`,
    );
  }
  return name;
}

/** Returns `role` when it is text of at most ROLE_MAX characters, else throws a UsageError naming `what`. */
export function checkRole(role: unknown, what = "role"): string {
  if (typeof role !== "string" || role.length > ROLE_MAX) {
    throw new UsageError(`Invalid ${what}: use text of at most ${ROLE_MAX} characters`);
  }
  return role;
}
