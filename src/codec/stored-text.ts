// PostgreSQL's text cannot hold NUL (U+0000), yet arguments, results, step values, errors and logs must come
// back exactly as they were sent, NUL included, on every store. The PostgreSQL store therefore keeps a text
// that has a NUL, or that starts with the marker, in an escaped form: the marker U+E000 (a private-use
// character), then the text with each NUL written as U+E000 "0" and each U+E000 as U+E000 "E". Every other
// text, i.e. nearly all, is kept as it is. (A text written by an earlier version that starts with U+E000
// would be read as escaped; such a text could not hold a NUL then, and starting with a private-use
// character it is not something Pando writes.)

const MARK = 0xe000;
const ESCAPED = /[\0\uE000]/g;
const ESCAPES = /\uE000([0E])/g;

/** The text as the PostgreSQL store keeps it: itself unless it has a NUL or starts with the marker. */
export function encodeStoredText(text: string): string {
  if (text.charCodeAt(0) !== MARK && !text.includes("\0")) return text;
  return `\uE000${text.replace(ESCAPED, (c) => (c === "\0" ? "\uE0000" : "\uE000E"))}`;
}

/** The text encodeStoredText was given. */
export function decodeStoredText(stored: string): string {
  if (stored.charCodeAt(0) !== MARK) return stored;
  return stored.slice(1).replace(ESCAPES, (_, c: string) => (c === "0" ? "\0" : "\uE000"));
}

/** Whether some text in this JSON may need encoding (it has an escaped NUL, or the marker). */
export function jsonMayNeedEncoding(json: string): boolean {
  return json.includes("\\u0000") || json.includes("\uE000");
}
