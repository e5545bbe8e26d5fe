const MAX_MESSAGE = 160;
const NORMALISERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`)>\]]+/gi, '<url>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/(?:\b[a-z]:\\|\\\\)[^\s'"`:;,)>\]]+/gi, '<path>'],
  [/(?<![\w/<])(?:~|\.{1,2})?(?:\/[^\s'"`:;,)>\]/]+)+\/?/g, '<path>'],
  [/\b[\w.-]+(?:\/[\w.-]+){2,}\/?|\b[\w.-]+\/[\w-]+\.\w+\b/g, '<path>'],
  [/['"`](<(?:url|uuid|path)>)['"`]/g, '$1'],
  [/'[^'\n]{1,200}'|"[^"\n]{1,200}"|`[^`\n]{1,200}`/g, '<str>'],
  [/\b(?:0x)?(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, '<hex>'],
  [/\b\d+(?:\.\d+)?(?:ms|s|kb|mb|gb|b)?\b/gi, '<n>'],
  [/\s+/g, ' '],
];

/**
 * Normalises an error message so the same failure with a different path, id, number, URL or
 * quoted value groups together: `ENOENT: no such file or directory, open '/tmp/a/b.ts'` and
 * `… open '/src/x.ts'` both become `ENOENT: no such file or directory, open <path>`.
 * The result is trimmed and capped at 160 characters.
 *
 * The record pipeline does this once per failed record ({@link RecordBatch.errorTexts}); every
 * sink reads the result instead of normalising again.
 */
export function normalizeErrorMessage(message: string): string {
  let text = String(message);
  if (text.length > 4 * MAX_MESSAGE) text = text.slice(0, 4 * MAX_MESSAGE);
  for (const [pattern, replacement] of NORMALISERS) {
    text = text.replace(pattern, replacement);
  }
  text = text.trim();
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}
