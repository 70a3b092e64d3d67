// Tar entries no Pando packer writes (links, devices, paths leaving the archive), for the tests that check a
// pilot refuses them: raw ustar headers, with their checksums right so only what they say is wrong.
import { gzipSync } from "node:zlib";

/** One raw tar entry: a name, a type flag ("0" file, "2" symlink, "3" character device…), a body, a link target. */
export function rawTarEntry(name: string, type: string, body = "", linkName = ""): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100, "ascii");
  h.write("0000000\0", 108, "ascii");
  h.write("0000000\0", 116, "ascii");
  h.write(`${Buffer.byteLength(body).toString(8).padStart(11, "0")}\0`, 124, "ascii");
  h.write("00000000000\0", 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write(type, 156, "ascii");
  h.write(linkName, 157, 100, "utf8");
  h.write("ustar\u000000", 257, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  const content = Buffer.from(body);
  return Buffer.concat([h, content, Buffer.alloc((512 - (content.length % 512)) % 512)]);
}

/** A gzipped tar of these raw entries. */
export function rawTarGz(entries: readonly Buffer[]): Buffer {
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
}
