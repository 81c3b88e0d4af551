/**
 * Reading zip archives (DOCX, XLSX, PPTX, HWPX, EPUB) and flate streams (PDF) under a cap on
 * decompressed bytes, so a zip bomb is refused after at most `maxBytes` of output instead of
 * inflating to gigabytes.
 *
 * The archive is read from its central directory (APPNOTE.TXT 6.3.10, §4.3.12 and §4.3.16; ZIP64
 * sizes from the 0x0001 extra field, §4.5.3), never from the sizes a local header claims; each
 * entry is inflated with Node's zlib under `maxOutputLength`, so the cap holds even when the
 * recorded uncompressed size lies. One {@link DecompressionBudget} is shared by every entry read
 * from one file: the cap is on the file's total decompressed bytes.
 *
 * ```ts
 * const zip = openZip(bytes, { relPath: 'a.docx', maxBytes: 64 << 20 });
 * const xml = zip.readText('word/document.xml');       // throws BudgetExceededError past the cap
 * ```
 */
import { constants as zlibConstants, inflateRawSync, inflateSync } from 'node:zlib';
import { BudgetExceededError, InputFormatError } from '../core/errors.js';

/** Default cap on the decompressed bytes of one file: 256 MiB. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** One member of an archive, as its central-directory record describes it. */
export interface ZipEntry {
  /** Name inside the archive (forward slashes), decoded as UTF-8 (or CP437 bytes as Latin-1). */
  name: string;
  /** 0 = stored, 8 = deflate; others are refused on read. */
  method: number;
  compressedSize: number;
  /** As recorded; not trusted for the cap. */
  uncompressedSize: number;
  localHeaderOffset: number;
}

/**
 * Decompressed bytes still allowed for one file. `take(n)` charges n bytes.
 * @throws BudgetExceededError from `take` once the total passes `maxBytes`
 */
export class DecompressionBudget {
  private used = 0;
  constructor(
    /** Cap in bytes (≥ 0). */
    readonly maxBytes: number,
    /** Names the file in the error ("docs/a.docx"). */
    readonly relPath: string,
  ) {}

  /** Bytes still allowed. */
  get remaining(): number {
    return Math.max(0, this.maxBytes - this.used);
  }

  take(n: number): void {
    this.used += n;
    if (this.used > this.maxBytes) throw this.exceeded();
  }

  exceeded(): BudgetExceededError {
    return new BudgetExceededError(this.relPath, `decompresses to more than ${formatBytes(this.maxBytes)}`, 'maxDecompressedBytes');
  }
}

/** An opened archive: its entries and size-capped reads. */
export interface ZipArchive {
  readonly entries: ZipEntry[];
  /** The entry named `name`, or undefined. */
  entry(name: string): ZipEntry | undefined;
  /**
   * Decompressed bytes of `name`.
   * @throws InputFormatError when absent or corrupt; BudgetExceededError past the budget
   */
  read(name: string): Uint8Array;
  /** `read` decoded as UTF-8 (a BOM dropped). */
  readText(name: string): string;
  readonly budget: DecompressionBudget;
}

/**
 * Opens a zip archive held in memory.
 * @param opts.relPath names the file in errors; opts.maxBytes the cap (default 256 MiB); or
 *   pass `opts.budget` to share one budget with other reads of the same file
 * @throws InputFormatError "<relPath>: not a zip archive (…)" when no central directory is found
 */
export function openZip(bytes: Uint8Array, opts: { relPath: string; maxBytes?: number; budget?: DecompressionBudget }): ZipArchive {
  const budget = opts.budget ?? new DecompressionBudget(opts.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES, opts.relPath);
  const entries = readCentralDirectory(bytes, opts.relPath);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const read = (name: string): Uint8Array => {
    const e = byName.get(name);
    if (!e) throw new InputFormatError(`${opts.relPath}: the archive has no ${name}`);
    return readEntry(bytes, e, budget, opts.relPath);
  };
  return {
    entries,
    entry: (name) => byName.get(name),
    read,
    readText: (name) => new TextDecoder('utf-8').decode(read(name)),
    budget,
  };
}

/**
 * Inflates a zlib (RFC 1950) or raw deflate (RFC 1951) stream, charging its output to `budget`.
 * `opts.partial`: a truncated stream gives the bytes it holds instead of an error.
 * @throws BudgetExceededError when the output would pass the budget; Error from zlib when corrupt
 */
export function inflateCapped(data: Uint8Array, budget: DecompressionBudget, opts: { raw?: boolean; partial?: boolean } = {}): Uint8Array {
  const limit = budget.remaining + 1;
  let out: Buffer;
  try {
    // partial: a truncated stream yields what it holds (Z_SYNC_FLUSH) instead of an error.
    const zopts = { maxOutputLength: limit, ...(opts.partial ? { finishFlush: zlibConstants.Z_SYNC_FLUSH } : {}) };
    out = opts.raw ? inflateRawSync(data, zopts) : inflateSync(data, zopts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw budget.exceeded();
    throw err;
  }
  budget.take(out.length);
  return out;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function readCentralDirectory(bytes: Uint8Array, relPath: string): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new InputFormatError(`${relPath}: not a zip archive (${why})`);
  // The end-of-central-directory record is 22 bytes plus a comment of at most 65,535 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end-of-central-directory record');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if ((count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) && eocd >= 20 && dv.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIG) {
    const z = Number(dv.getBigUint64(eocd - 20 + 8, true));
    if (z + 56 > bytes.length || dv.getUint32(z, true) !== ZIP64_EOCD_SIG) throw bad('bad ZIP64 end record');
    count = Number(dv.getBigUint64(z + 32, true));
    cdSize = Number(dv.getBigUint64(z + 40, true));
    cdOffset = Number(dv.getBigUint64(z + 48, true));
  }
  if (cdOffset + cdSize > bytes.length) throw bad('central directory past the end of the file (truncated?)');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== CENTRAL_SIG) throw bad(`central directory record ${n + 1} is damaged`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let uncompressedSize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const nameBytes = bytes.subarray(p + 46, p + 46 + nameLen);
    const name = flags & 0x800 ? new TextDecoder('utf-8').decode(nameBytes) : latin1(nameBytes);
    // ZIP64 extended information: the 0xffffffff fields, in order, as 8-byte values.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true);
      const len = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        if (uncompressedSize === 0xffffffff && q + 8 <= x + 4 + len) {
          uncompressedSize = Number(dv.getBigUint64(q, true));
          q += 8;
        }
        if (compressedSize === 0xffffffff && q + 8 <= x + 4 + len) {
          compressedSize = Number(dv.getBigUint64(q, true));
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff && q + 8 <= x + 4 + len) localHeaderOffset = Number(dv.getBigUint64(q, true));
      }
      x += 4 + len;
    }
    entries.push({ name, method, compressedSize, uncompressedSize, localHeaderOffset });
    p = xEnd + commentLen;
  }
  return entries;
}

function readEntry(bytes: Uint8Array, e: ZipEntry, budget: DecompressionBudget, relPath: string): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = e.localHeaderOffset;
  if (h + 30 > bytes.length || dv.getUint32(h, true) !== LOCAL_SIG) throw new InputFormatError(`${relPath}: ${e.name} is damaged (no local header)`);
  const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
  const end = start + e.compressedSize;
  if (end > bytes.length) throw new InputFormatError(`${relPath}: ${e.name} runs past the end of the file (truncated?)`);
  const data = bytes.subarray(start, end);
  if (e.method === 0) {
    budget.take(data.length);
    return data;
  }
  if (e.method !== 8) throw new InputFormatError(`${relPath}: ${e.name} uses zip compression method ${e.method}; only stored (0) and deflate (8) are read`);
  try {
    return inflateCapped(data, budget, { raw: true });
  } catch (err) {
    if (err instanceof BudgetExceededError) throw err;
    throw new InputFormatError(`${relPath}: ${e.name} is damaged (${(err as Error).message})`, { cause: err });
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** "256 MiB", "1.5 GiB", "900 KiB", "12 bytes". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}
