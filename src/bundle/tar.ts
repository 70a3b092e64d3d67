// The tar framing of a project archive (POSIX ustar, with a pax header for a long path), written and read
// here by hand rather than with a library: a project archive holds regular files only, whose ustar header
// is 512 bytes of fixed fields, and the reader must refuse anything else (links, devices, paths that leave
// the archive) before a byte is written to disk, which is easier to hold to in these few lines than to
// check around a general-purpose extractor.

const BLOCK = 512;

/** One regular file of an archive: its path (relative, `/`-separated), whether it is executable, its bytes. */
export interface TarFile {
  path: string;
  executable: boolean;
  content: Uint8Array;
}

/** What a reader accepts: more bytes or more entries than this is refused. */
export interface TarLimits {
  maxBytes: number;
  maxEntries: number;
}

/** An archive that is not a project archive, or one that would write outside its directory. */
export class TarError extends Error {}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, mode: number, type: string, prefix = ""): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, "utf8");
  h.write(octal(mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii"); // uid
  h.write(octal(0, 8), 116, "ascii"); // gid
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(0, 12), 136, "ascii"); // mtime: fixed, so the same files give the same bytes
  h.write("        ", 148, "ascii"); // the checksum counts its own field as spaces
  h.write(type, 156, "ascii");
  h.write("ustar\u000000", 257, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + " ", 148, "ascii");
  return h;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** A pax extended header record: "<length> path=<value>\n", the length counting itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return Buffer.from(`${length}${body}`, "utf8");
}

/** The ustar name and prefix of a path, or undefined if it fits neither (it then goes in a pax header). */
function ustarName(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let i = path.indexOf("/"); i > 0; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  return undefined;
}

/** The tar bytes of these files, in the order given (the caller sorts them), with fixed owners, times and modes. */
export function writeTar(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const mode = f.executable ? 0o755 : 0o644;
    const fits = ustarName(f.path);
    if (fits) {
      parts.push(header(fits.name, f.content.byteLength, mode, "0", fits.prefix));
    } else {
      const pax = paxRecord("path", f.path);
      parts.push(header("PaxHeader", pax.byteLength, 0o644, "x"), pax, padding(pax.byteLength));
      // Readers without pax support extract the file under this name instead.
      parts.push(header("pando-long-path", f.content.byteLength, mode, "0"));
    }
    parts.push(Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength), padding(f.content.byteLength));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function text(h: Buffer, start: number, length: number): string {
  const field = h.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString("utf8");
}

function number(h: Buffer, start: number, length: number, what: string): number {
  const field = text(h, start, length).trim();
  if (!/^[0-7]+$/.test(field)) throw new TarError(`an entry's ${what} field is not an octal number`);
  return parseInt(field, 8);
}

const TYPE_NAMES: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
  "7": "a contiguous file",
  g: "a global pax header",
};

/** Why a path may not be written below the archive's directory, or undefined if it may. */
export function unsafePath(path: string): string | undefined {
  if (path === "") return "an empty path";
  if (path.includes("\0")) return "a NUL byte in its path";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "an absolute path";
  if (path.includes("\\")) return "a backslash in its path";
  if (path.split("/").some((s) => s === "..")) return "a '..' component in its path";
  return undefined;
}

function paxPath(records: Buffer): string | undefined {
  let path: string | undefined;
  for (let at = 0; at < records.length; ) {
    const space = records.indexOf(0x20, at);
    const length = Number(records.subarray(at, space).toString("ascii"));
    const record = records.subarray(space + 1, at + length);
    const eq = record.indexOf(0x3d);
    if (space === -1 || !Number.isInteger(length) || length <= 0 || eq === -1 || at + length > records.length) {
      throw new TarError("a pax header is malformed");
    }
    if (record.subarray(0, eq).toString("utf8") === "path") path = record.subarray(eq + 1, record.length - 1).toString("utf8");
    at += length;
  }
  return path;
}

/**
 * The regular files and directories of a tar, checked: every entry a regular file or a directory, every
 * path relative and inside the archive, the checksums right, within the limits. Throws a TarError saying
 * which entry is refused and why.
 */
export function readTar(tar: Uint8Array, limits: TarLimits): { files: TarFile[]; dirs: string[] } {
  const buf = Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength);
  const files: TarFile[] = [];
  const dirs: string[] = [];
  let total = 0;
  let longPath: string | undefined;
  for (let at = 0; ; ) {
    if (at + BLOCK > buf.length) throw new TarError("the archive ends in the middle of an entry (truncated)");
    const h = buf.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (number(h, 148, 8, "checksum") !== sum) throw new TarError(`the header at byte ${at} has a wrong checksum (not a tar, or damaged)`);
    const type = text(h, 156, 1) || "0";
    const size = number(h, 124, 12, "size");
    const prefix = text(h, 345, 155);
    const path = longPath ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
    const bodyStart = at + BLOCK;
    at = bodyStart + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (at > buf.length) throw new TarError(`entry '${path}' ends past the end of the archive (truncated)`);
    if (type === "x") {
      longPath = paxPath(buf.subarray(bodyStart, bodyStart + size));
      continue;
    }
    longPath = undefined;
    if (type !== "0" && type !== "5") throw new TarError(`entry '${path}' is ${TYPE_NAMES[type] ?? `of type '${type}'`}; a project archive holds only files and directories`);
    const clean = path.replace(/\/+$/, "").replace(/^(\.\/)+/, "");
    const unsafe = unsafePath(clean);
    if (unsafe) throw new TarError(`entry '${path}' has ${unsafe}; a project archive's paths stay inside it`);
    if (files.length + dirs.length + 1 > limits.maxEntries) throw new TarError(`the archive has more than ${limits.maxEntries} entries`);
    if (type === "5") {
      dirs.push(clean);
      continue;
    }
    total += size;
    if (total > limits.maxBytes) throw new TarError(`the archive's files add up to more than ${limits.maxBytes} bytes`);
    const mode = number(h, 100, 8, "mode");
    files.push({ path: clean, executable: (mode & 0o100) !== 0, content: buf.subarray(bodyStart, bodyStart + size) });
  }
  return { files, dirs };
}
