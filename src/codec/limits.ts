// Payload size limits: the default, parsing sizes from config/CLI text, and formatting them for messages.

const KIB = 1024;

/** Largest encoded argument set or result accepted by default. */
export const DEFAULT_MAX_PAYLOAD_BYTES: number = 16 * KIB * KIB;

const UNITS: Record<string, number> = {
  b: 1,
  kib: KIB,
  mib: KIB ** 2,
  gib: KIB ** 3,
  tib: KIB ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

const ACCEPTED = 'a whole number of bytes ("1048576"), or a number with a unit: B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), e.g. "16MiB", "512 KiB", "2MB"';

/** Parses "16MiB", "512KiB", "2MB", "1048576" (bytes), case-insensitively, into a positive whole number of bytes. */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match?.[2]?.toLowerCase() ?? "";
  const multiplier = unit === "" ? 1 : UNITS[unit];
  if (!match || multiplier === undefined) {
    throw new Error(`invalid byte size ${JSON.stringify(text)}: expected ${ACCEPTED}`);
  }
  const amount = Number(match[1]);
  // Fractions are fine for larger units ("1.5GiB") but a fraction of a byte is meaningless.
  if (multiplier === 1 && !Number.isInteger(amount)) {
    throw new Error(`invalid byte size ${JSON.stringify(text)}: a size in bytes must be a whole number; expected ${ACCEPTED}`);
  }
  const bytes = Math.floor(amount * multiplier);
  if (bytes <= 0) {
    throw new Error(`invalid byte size ${JSON.stringify(text)}: it must be more than 0 bytes`);
  }
  if (!Number.isSafeInteger(bytes)) {
    throw new Error(`invalid byte size ${JSON.stringify(text)}: it is too large`);
  }
  return bytes;
}

const BINARY_UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** "12 B", "512.0 KiB", "16.0 MiB": one decimal in the largest binary unit that keeps the number below 1024. */
export function formatBytes(n: number): string {
  if (Math.abs(n) < KIB) return `${n} B`;
  let value = n / KIB;
  let unit = 0;
  // Also step up when rounding to one decimal would print "1024.0".
  while (Math.abs(value) >= KIB - 0.05 && unit < BINARY_UNITS.length - 1) {
    value /= KIB;
    unit++;
  }
  return `${value.toFixed(1)} ${BINARY_UNITS[unit]}`;
}
