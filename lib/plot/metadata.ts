/** Provenance embedded in static figure files: PNG tEXt chunks and an SVG <metadata> element. */
import type { Provenance } from "../runtime/provenance";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height of a PNG, read from its IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (b.length < 24 || !b.subarray(0, 8).equals(PNG_SIGNATURE) || b.toString("latin1", 12, 16) !== "IHDR") {
    throw new Error("not a PNG file (bad signature or missing IHDR)");
  }
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** Key/value pairs of provenance, as strings. */
export function provenanceEntries(p: Provenance): Array<[string, string]> {
  return [
    ["Software", "crossbar-lab"],
    ["crossbar-lab:experiment", p.experiment],
    ["crossbar-lab:parameters", JSON.stringify(p.parameters)],
    ["crossbar-lab:seed", String(p.seed)],
    ["crossbar-lab:git-commit", p.gitCommit],
    ["crossbar-lab:date", p.date],
    ...(p.backend ? ([["crossbar-lab:backend", p.backend]] as Array<[string, string]>) : []),
  ];
}

/** Insert tEXt chunks (Latin-1 keyword, max 79 chars) right after IHDR. */
export function pngWithText(png: Uint8Array, entries: Array<[string, string]>): Buffer {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  pngSize(b);
  const ihdrEnd = 8 + 4 + 4 + b.readUInt32BE(8) + 4;
  const chunks = entries.map(([k, v]) => {
    if (k.length === 0 || k.length > 79) throw new Error(`PNG text keyword must be 1–79 chars: ${k}`);
    const data = Buffer.concat([Buffer.from(k, "latin1"), Buffer.from([0]), Buffer.from(v, "latin1")]);
    const typeAndData = Buffer.concat([Buffer.from("tEXt", "latin1"), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typeAndData));
    return Buffer.concat([len, typeAndData, crc]);
  });
  return Buffer.concat([b.subarray(0, ihdrEnd), ...chunks, b.subarray(ihdrEnd)]);
}

/** Read back the tEXt chunks of a PNG. */
export function pngText(png: Uint8Array): Record<string, string> {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  pngSize(b);
  const out: Record<string, string> = {};
  let off = 8;
  while (off + 8 <= b.length) {
    const len = b.readUInt32BE(off);
    const type = b.toString("latin1", off + 4, off + 8);
    if (type === "tEXt") {
      const data = b.subarray(off + 8, off + 8 + len);
      const z = data.indexOf(0);
      out[data.toString("latin1", 0, z)] = data.toString("latin1", z + 1);
    }
    if (type === "IEND") break;
    off += 12 + len;
  }
  return out;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Insert a <metadata> element with the provenance right after the opening <svg> tag. */
export function svgWithMetadata(svg: string, entries: Array<[string, string]>): string {
  const m = /<svg\b[^>]*>/.exec(svg);
  if (!m) throw new Error("not an SVG document (no <svg> element)");
  const meta =
    `<metadata><crossbar-lab xmlns="https://github.com/crossbar-lab">` +
    entries.map(([k, v]) => `<entry key="${xmlEscape(k)}">${xmlEscape(v)}</entry>`).join("") +
    `</crossbar-lab></metadata>`;
  const at = m.index + m[0].length;
  return svg.slice(0, at) + meta + svg.slice(at);
}
