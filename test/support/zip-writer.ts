/**
 * A minimal zip writer for tests (APPNOTE.TXT local headers + central directory, deflate or
 * stored, no ZIP64): builds real DOCX/XLSX/HWPX-shaped archives and zip bombs in memory.
 * `lieSize` records a false uncompressed size, as a hostile archive would.
 */
import { constants, createDeflateRaw, crc32, deflateRawSync } from 'node:zlib';

export interface ZipMember {
  name: string;
  data?: Uint8Array | string;
  /** Pre-deflated data with its true size and CRC (see deflateZeros). */
  deflated?: { data: Uint8Array; size: number; crc: number };
  store?: boolean;
  lieSize?: number;
}

export function makeZip(members: ZipMember[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    let comp: Uint8Array;
    let size: number;
    let crc: number;
    let method: number;
    if (m.deflated) {
      ({ data: comp, size, crc } = m.deflated);
      method = 8;
    } else {
      const raw = typeof m.data === 'string' ? Buffer.from(m.data, 'utf8') : Buffer.from(m.data ?? new Uint8Array());
      size = raw.length;
      crc = crc32(raw);
      method = m.store ? 0 : 8;
      comp = m.store ? raw : deflateRawSync(raw);
    }
    const recorded = m.lieSize ?? size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(recorded, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(comp.length, 20);
    central.writeUInt32LE(recorded, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(comp));
    centrals.push(central, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** `sizeBytes` of a repeated byte pattern, deflated as a stream (never held whole in memory). */
export async function deflateZeros(sizeBytes: number, prefix = '', suffix = ''): Promise<{ data: Uint8Array; size: number; crc: number }> {
  const z = createDeflateRaw({ level: constants.Z_BEST_COMPRESSION });
  const parts: Buffer[] = [];
  z.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise<void>((resolve, reject) => z.on('end', resolve).on('error', reject));
  const block = Buffer.alloc(1 << 20, 0x20);
  let crc = 0;
  const write = async (b: Buffer) => {
    crc = crc32(b, crc);
    if (!z.write(b)) await new Promise((r) => z.once('drain', r));
  };
  const pre = Buffer.from(prefix, 'utf8');
  const post = Buffer.from(suffix, 'utf8');
  await write(pre);
  let left = sizeBytes - pre.length - post.length;
  while (left > 0) {
    const b = left >= block.length ? block : block.subarray(0, left);
    await write(b);
    left -= b.length;
  }
  await write(post);
  z.end();
  await done;
  return { data: Buffer.concat(parts), size: sizeBytes, crc };
}
