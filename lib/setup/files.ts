/**
 * Reading and writing the files setup changes: a missing file reads as
 * undefined; a write goes to a temporary file in the same folder that is then
 * renamed over the target, after the previous content is copied to `<file>.bak`.
 */
import { basename, dirname, join } from "node:path";
import { MeshError } from "../errors.ts";

/** What setup does to one file. */
export type FileStatus = "created" | "updated" | "unchanged";

/** One file's planned change. */
export interface FileChange {
  path: string;
  /** The content now; undefined when there is no file. */
  before: string | undefined;
  /** The content wanted. */
  after: string;
}

/** Whether `change` creates, updates or leaves its file. */
export function statusOf(change: FileChange): FileStatus {
  if (change.before === undefined) return "created";
  return change.before === change.after ? "unchanged" : "updated";
}

function reason(err: unknown): string {
  return ((err as Error).message ?? String(err)).replace(/\s*\n\s*/g, " ");
}

/** The text of `path`, or undefined when there is no such file. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new MeshError(`Cannot read ${path}: ${reason(err)}`, { cause: err });
  }
}

/**
 * Writes `change.after` to `change.path` atomically, keeping the previous content
 * in `<path>.bak`. A symbolic link stays a link: its target is written. Refuses
 * when the file no longer holds `change.before` (another program wrote it since).
 */
export async function writeChange(change: FileChange): Promise<void> {
  const { path, before, after } = change;
  let temp: string | undefined;
  try {
    let target = path;
    let mode: number | null = null;
    if (before !== undefined) {
      target = await Deno.realPath(path);
      if ((await readIfExists(target)) !== before) {
        throw new MeshError(
          `${path} changed while setup was running: not written, run setup again`,
        );
      }
      mode = (await Deno.stat(target)).mode;
      await Deno.copyFile(target, `${path}.bak`);
    } else {
      await Deno.mkdir(dirname(path), { recursive: true });
    }
    temp = join(dirname(target), `.${basename(target)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
    await Deno.writeTextFile(temp, after, { createNew: true });
    if (mode !== null && Deno.build.os !== "windows") await Deno.chmod(temp, mode & 0o7777);
    await Deno.rename(temp, target);
  } catch (err) {
    if (temp !== undefined) await Deno.remove(temp).catch(() => {});
    if (err instanceof MeshError) throw err;
    throw new MeshError(`Cannot write ${path}: ${reason(err)}`, { cause: err });
  }
}
