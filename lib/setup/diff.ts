/**
 * A unified diff of two small texts, line by line (longest common subsequence),
 * for `setup --dry-run`. The changed part of a configuration file is short, so
 * the common head and tail are cut off before the quadratic part runs.
 */

type Op = { kind: " " | "-" | "+"; line: string };

/** Above this many cells the middle is shown as all removed then all added. */
const MAX_CELLS = 4_000_000;

function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** The edit script turning `a` into `b`. */
export function diffLines(a: string[], b: string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head && tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const middle: Op[] = [];
  if (x.length * y.length > MAX_CELLS) {
    for (const line of x) middle.push({ kind: "-", line });
    for (const line of y) middle.push({ kind: "+", line });
  } else {
    // lcs[i][j]: length of the longest common subsequence of x[i..] and y[j..].
    const w = y.length + 1;
    const lcs = new Uint32Array((x.length + 1) * w);
    for (let i = x.length - 1; i >= 0; i--) {
      for (let j = y.length - 1; j >= 0; j--) {
        lcs[i * w + j] = x[i] === y[j]
          ? lcs[(i + 1) * w + j + 1] + 1
          : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0, j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        middle.push({ kind: " ", line: x[i++] });
        j++;
      } else if (j >= y.length || (i < x.length && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
        middle.push({ kind: "-", line: x[i++] });
      } else {
        middle.push({ kind: "+", line: y[j++] });
      }
    }
  }
  return [
    ...a.slice(0, head).map((line): Op => ({ kind: " ", line })),
    ...middle,
    ...a.slice(a.length - tail).map((line): Op => ({ kind: " ", line })),
  ];
}

function show(op: Op): string {
  const text = op.line.replace(/\r?\n$/, "");
  const mark = op.line.endsWith("\n") ? "" : "\n\\ No newline at end of file";
  return `${op.kind}${text}${mark}`;
}

function range(start: number, count: number): string {
  // By convention an empty range names the line before it.
  return `${count === 0 ? start : start + 1}${count === 1 ? "" : `,${count}`}`;
}

/**
 * A unified diff from `before` (undefined: the file does not exist) to `after`,
 * with `context` lines around each change; "" when they are equal.
 */
export function unifiedDiff(
  path: string,
  before: string | undefined,
  after: string,
  context = 3,
): string {
  if (before === after) return "";
  const ops = diffLines(lines(before ?? ""), lines(after));
  const changed = ops.flatMap((op, i) => (op.kind === " " ? [] : [i]));
  const out = [`--- ${before === undefined ? "/dev/null" : path}`, `+++ ${path}`];
  // Positions in the old and new file before each op.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 0, n = 0;
  for (const op of ops) {
    oldAt.push(o);
    newAt.push(n);
    if (op.kind !== "+") o++;
    if (op.kind !== "-") n++;
  }
  oldAt.push(o);
  newAt.push(n);
  for (let k = 0; k < changed.length;) {
    const from = Math.max(0, changed[k] - context);
    let last = changed[k];
    while (k + 1 < changed.length && changed[k + 1] - last <= 2 * context) last = changed[++k];
    k++;
    const to = Math.min(ops.length, last + context + 1);
    out.push(
      `@@ -${range(oldAt[from], oldAt[to] - oldAt[from])} +${
        range(newAt[from], newAt[to] - newAt[from])
      } @@`,
    );
    for (let i = from; i < to; i++) out.push(show(ops[i]));
  }
  return `${out.join("\n")}\n`;
}
