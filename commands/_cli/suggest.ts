/** "Did you mean …?" for mistyped commands, flags, targets and agent names. */

/** Edit distance counting an insertion, deletion, substitution or swap of neighbours as 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `given` when it is close enough to be a typo (at most
 * one edit for short words, two for longer ones) or `given` starts it, else undefined.
 */
export function closest(given: string, candidates: Iterable<string>): string | undefined {
  const g = given.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const distance = editDistance(g, c.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [c, distance];
  }
  const limit = g.length <= 3 ? 1 : 2;
  if (best !== undefined && bestDistance <= limit) return best;
  if (g.length >= 3) {
    for (const c of candidates) if (c.toLowerCase().startsWith(g)) return c;
  }
  return undefined;
}

/** ` (did you mean X?)`, or "" when nothing is close. */
export function didYouMean(given: string, candidates: Iterable<string>, show = (s: string) => s) {
  const hit = closest(given, candidates);
  return hit === undefined ? "" : ` (did you mean ${show(hit)}?)`;
}
