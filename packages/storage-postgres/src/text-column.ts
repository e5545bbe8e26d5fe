// PostgreSQL text cannot hold a NUL character, and a string with a lone UTF-16 surrogate would
// reach the server as U+FFFD (so two different ids could collide). Such strings, and any that
// begin with the marker itself, are kept as the marker followed by their JSON form, which is
// plain ASCII for every character that could not be stored. Every other string is stored as it
// is, so well-formed ids stay readable and comparable in SQL.

const MARKER = '\u0001';

/** `String.prototype.isWellFormed` (Node 20; not in the ES2022 lib this package compiles against). */
const isWellFormed = (value: string): boolean => (value as unknown as { isWellFormed(): boolean }).isWellFormed();

/** A string as it is stored in a text column (identity for ordinary strings). */
export function encodeText(value: string): string {
  if (value.includes('\0') || value.startsWith(MARKER) || !isWellFormed(value)) return MARKER + JSON.stringify(value);
  return value;
}

/** Inverse of {@link encodeText}. */
export function decodeText(stored: string): string {
  return stored.startsWith(MARKER) ? (JSON.parse(stored.slice(1)) as string) : stored;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value for one field of COPY's text format: backslash, tab, newline and CR escaped. */
export function copyField(text: string): string {
  return COPY_SPECIAL.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] as string) : text;
}
