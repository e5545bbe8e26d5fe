const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses a duration such as `7d`, `12h`, `30m`, `1h30m`, `45s`, `500ms` or `2w` into milliseconds.
 * Throws a `RangeError` naming the input for anything else (no unit, a negative or empty value).
 */
export function parseDuration(text: string): number {
  const input = String(text).trim();
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = part.exec(input)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = part.lastIndex;
  }
  if (input === '' || matched !== input.length || !Number.isFinite(total)) {
    throw new RangeError(
      `bad duration ${JSON.stringify(text)} (use a number and a unit: 500ms, 45s, 30m, 12h, 7d, 2w, or combined like 1h30m)`,
    );
  }
  return total;
}

/** "3m ago", "2h ago", "5d ago" for an age in ms. */
export function formatAge(ms: number): string {
  if (ms < 0) return 'just now';
  const s = ms / 1000;
  if (s < 60) return `${Math.floor(s)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** Bytes as B/KB/MB. */
export function formatBytes(n: number): string {
  return n >= 1_048_576 ? `${(n / 1_048_576).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`;
}
