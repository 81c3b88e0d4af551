/**
 * Byte → text decoding for ingested files.
 *
 * Accepted encodings: UTF-8 (with or without the EF BB BF byte-order mark) and UTF-16 LE/BE
 * (with a BOM, or without one when the NUL-byte pattern of mostly-ASCII UTF-16 gives it away).
 * Text that is not valid UTF-8 (and has no NUL byte) goes to a statistical detector (the
 * `chardet` package, a port of ICU's/Mozilla's detectors): its best guess is taken when it is at
 * least {@link MIN_DETECT_CONFIDENCE}% sure and the bytes decode cleanly in it — EUC-KR/CP949
 * (recorded as "cp949": the WHATWG euc-kr decoder is Windows code page 949), Shift_JIS, EUC-JP,
 * GB18030, Big5, windows-125x, ISO-8859-x, KOI8-R … Otherwise (and for binary files, UTF-32) an
 * `InputFormatError` names the file, the byte offset of the first bad byte and the guess.
 * `opts.encoding` (`index --encoding`) forces one WHATWG encoding label instead.
 *
 * The decoded text is then normalised the way `Document.text` promises (src/core/types.ts):
 * line endings CRLF and lone CR become LF, and the text is put in Unicode Normalization Form C
 * (so a Hangul syllable typed as conjoining jamo and one typed precomposed compare equal).
 */
import { createRequire } from 'node:module';
import { InputFormatError, InvalidParameterError } from '../core/errors.js';

/**
 * The encoding `decodeText` found: the Unicode forms by these names, a detected or forced legacy
 * encoding by its WHATWG name in lower case ("cp949" for euc-kr, "shift_jis", "windows-1252" …).
 */
export type TextEncodingName = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | (string & {});

/** Options of {@link decodeText}. */
export interface DecodeOptions {
  /** A WHATWG encoding label (`euc-kr`, `shift_jis`, `latin1` …) to decode with instead of detecting. */
  encoding?: string;
}

/** The detector's least confidence (0–100) for its guess to be used. */
export const MIN_DETECT_CONFIDENCE = 50;

type ChardetMatch = { name: string; confidence: number };
let chardetAnalyse: ((bytes: Uint8Array) => ChardetMatch[]) | undefined;
/** chardet, loaded on the first file that is not UTF-8 (most runs never need it). */
function analyse(bytes: Uint8Array): ChardetMatch[] {
  chardetAnalyse ??= (createRequire(import.meta.url)('chardet') as { analyse(b: Uint8Array): ChardetMatch[] }).analyse;
  return chardetAnalyse(bytes);
}

/** The recorded name of a decoder's encoding. */
const recordedName = (whatwg: string) => (whatwg === 'euc-kr' ? 'cp949' : whatwg);

/**
 * Checks an encoding label for `--encoding` / `DecodeOptions.encoding`.
 * @returns the WHATWG name it stands for ("latin1" → "windows-1252")
 * @throws InvalidParameterError naming `flag` for an unknown label
 */
export function checkEncodingLabel(label: string, flag = 'encoding'): string {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    throw new InvalidParameterError(`${flag}: unknown encoding ${JSON.stringify(label)} (a WHATWG label: utf-8, euc-kr, shift_jis, euc-jp, gb18030, big5, windows-1252, iso-8859-2, koi8-r …)`);
  }
}

export interface DecodedText {
  /** NFC-normalised text with `\n` line endings and no BOM. */
  text: string;
  encoding: TextEncodingName;
}

/** How many leading bytes the UTF-16-without-BOM sniffing looks at. */
const SNIFF_BYTES = 4096;

/**
 * Decode a file's bytes to normalised text.
 *
 * UTF-16 without a BOM is recognised when, over the first 4,096 bytes, at least a quarter of
 * the 2-byte units have a NUL high byte, the other byte position holds at most an eighth as
 * many NULs, and no unit is a C0 control other than tab, LF, FF, CR, ESC (the signature of
 * ASCII-range text; Hangul-only UTF-16 without a BOM is not detectable this way and is
 * rejected, as binary or as invalid UTF-8). Any other NUL byte marks the file binary.
 *
 * @param bytes the raw file contents
 * @param source the file's path, used in error messages
 * @returns text (NFC, LF line endings) and the encoding found
 * @throws InputFormatError `"<source>: binary file (NUL byte at offset N)"`,
 *   `"<source>: invalid UTF-8 at byte offset N"`, `"<source>: invalid UTF-16LE at byte offset N"`,
 *   `"<source>: truncated UTF-16 (odd byte count N)"`, or UTF-32 not supported
 */
export function decodeText(bytes: Uint8Array, source: string, opts: DecodeOptions = {}): DecodedText {
  if (opts.encoding !== undefined) return decodeForced(bytes, source, opts.encoding);
  let raw: string;
  let encoding: TextEncodingName;
  const b0 = bytes[0];
  const b1 = bytes[1];
  if (bytes.length >= 4 && b0 === 0xff && b1 === 0xfe && bytes[2] === 0 && bytes[3] === 0) {
    throw new InputFormatError(`${source}: UTF-32 text is not supported; convert it to UTF-8`);
  }
  if (bytes.length >= 3 && b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf) {
    encoding = 'utf-8-bom';
    raw = decodeUtf8(bytes, 3, source);
  } else if (bytes.length >= 2 && b0 === 0xff && b1 === 0xfe) {
    encoding = 'utf-16le';
    raw = decodeUtf16(bytes, 2, false, source);
  } else if (bytes.length >= 2 && b0 === 0xfe && b1 === 0xff) {
    encoding = 'utf-16be';
    raw = decodeUtf16(bytes, 2, true, source);
  } else {
    const sniffed = sniffUtf16(bytes);
    if (sniffed === 'le') {
      encoding = 'utf-16le';
      raw = decodeUtf16(bytes, 0, false, source);
    } else if (sniffed === 'be') {
      encoding = 'utf-16be';
      raw = decodeUtf16(bytes, 0, true, source);
    } else {
      try {
        encoding = 'utf-8';
        raw = decodeUtf8(bytes, 0, source);
      } catch (err) {
        if (!(err instanceof InputFormatError) || !/invalid UTF-8/.test(err.message)) throw err;
        ({ raw, encoding } = decodeDetected(bytes, source, err));
      }
    }
  }
  return { text: normalizeText(raw), encoding };
}

/** Decodes with a forced label; invalid bytes in it are an error naming the file and offset. */
function decodeForced(bytes: Uint8Array, source: string, label: string): DecodedText {
  const name = checkEncodingLabel(label);
  if (name === 'utf-8' || name === 'utf-16le' || name === 'utf-16be') {
    // The Unicode forms keep their own checks (BOM, NUL, surrogates).
    const d = decodeText(bytes, source);
    return d;
  }
  try {
    return { text: normalizeText(new TextDecoder(name, { fatal: true }).decode(bytes)), encoding: recordedName(name) };
  } catch (cause) {
    throw new InputFormatError(`${source}: not valid ${name} text (--encoding ${label})`, { cause });
  }
}

/** Text that is not UTF-8: the detector's guess when it is sure enough and decodes cleanly. */
function decodeDetected(bytes: Uint8Array, source: string, utf8Error: InputFormatError): { raw: string; encoding: string } {
  const matches = analyse(bytes);
  for (const m of matches) {
    if (m.confidence < MIN_DETECT_CONFIDENCE) break;
    let decoder: InstanceType<typeof TextDecoder>;
    try {
      decoder = new TextDecoder(m.name, { fatal: true });
    } catch {
      continue; // a name the WHATWG decoders lack (ISO-2022-CN …)
    }
    if (decoder.encoding === 'utf-8' || decoder.encoding.startsWith('utf-16')) continue;
    try {
      return { raw: decoder.decode(bytes), encoding: recordedName(decoder.encoding) };
    } catch {
      // bytes outside that encoding: try the next guess
    }
  }
  const best = matches[0];
  const at = utf8Error.message.match(/byte offset (\S+?);/)?.[1] ?? '?';
  const guess = best ? `best guess ${best.name}, ${best.confidence}% sure` : 'no guess';
  throw new InputFormatError(
    `${source}: not UTF-8 (invalid UTF-8 at byte offset ${at}) and its encoding could not be detected (${guess}); name it with --encoding (e.g. --encoding euc-kr) or save the file as UTF-8`,
    { cause: utf8Error },
  );
}

/** CRLF and lone CR → LF, then Unicode NFC. Idempotent. */
export function normalizeText(text: string): string {
  const lf = text.indexOf('\r') === -1 ? text : text.replace(/\r\n?/g, '\n');
  return lf.normalize('NFC');
}

/** 'le' / 'be' when the NUL pattern says UTF-16 without BOM, else null. */
function sniffUtf16(bytes: Uint8Array): 'le' | 'be' | null {
  const n = Math.min(bytes.length, SNIFF_BYTES) & ~1;
  if (n < 2) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  let leControl = false; // a unit 00xx (LE: bytes xx 00) with xx a C0 control other than \t \n \f \r
  let beControl = false;
  for (let i = 0; i < n; i += 2) {
    const a = bytes[i];
    const b = bytes[i + 1];
    if (a === 0) evenZeros++;
    if (b === 0) oddZeros++;
    if (b === 0 && isBinaryControl(a)) leControl = true;
    if (a === 0 && isBinaryControl(b)) beControl = true;
  }
  const units = n / 2;
  // ASCII in UTF-16LE is "x\0": NULs at odd offsets; in UTF-16BE "\0x": NULs at even offsets.
  if (!leControl && oddZeros * 4 >= units && evenZeros * 8 <= oddZeros) return 'le';
  if (!beControl && evenZeros * 4 >= units && oddZeros * 8 <= evenZeros) return 'be';
  return null;
}

/** C0 control bytes (incl. NUL) that do not occur in text: all but \t \n \f \r and ESC. */
function isBinaryControl(x: number): boolean {
  return x < 0x20 && x !== 0x09 && x !== 0x0a && x !== 0x0c && x !== 0x0d && x !== 0x1b;
}

function decodeUtf8(bytes: Uint8Array, from: number, source: string): string {
  const body = bytes.subarray(from);
  const nul = body.indexOf(0);
  if (nul !== -1) {
    throw new InputFormatError(`${source}: binary file (NUL byte at offset ${nul + from})`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch (cause) {
    const at = firstInvalidUtf8(body);
    throw new InputFormatError(
      `${source}: invalid UTF-8 at byte offset ${at === -1 ? '?' : at + from}; save the file as UTF-8 (or UTF-16 with a BOM)`,
      { cause },
    );
  }
}

function decodeUtf16(bytes: Uint8Array, from: number, bigEndian: boolean, source: string): string {
  const len = bytes.length - from;
  if (len % 2 !== 0) {
    throw new InputFormatError(`${source}: truncated UTF-16 (odd byte count ${len} after the BOM)`);
  }
  const units = new Uint16Array(len / 2);
  for (let i = 0, j = from; i < units.length; i++, j += 2) {
    units[i] = bigEndian ? (bytes[j] << 8) | bytes[j + 1] : bytes[j] | (bytes[j + 1] << 8);
  }
  // Unpaired surrogates are as invalid in UTF-16 as bad sequences are in UTF-8.
  for (let i = 0; i < units.length; i++) {
    const u = units[i];
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = units[i + 1];
      if (next !== undefined && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    } else if (u < 0xdc00 || u > 0xdfff) {
      continue;
    }
    const name = bigEndian ? 'UTF-16BE' : 'UTF-16LE';
    throw new InputFormatError(`${source}: invalid ${name} (unpaired surrogate) at byte offset ${from + 2 * i}`);
  }
  let out = '';
  const step = 8192;
  for (let i = 0; i < units.length; i += step) {
    out += String.fromCharCode.apply(null, units.subarray(i, i + step) as unknown as number[]);
  }
  return out;
}

/**
 * Offset of the first byte that does not start or continue a well-formed UTF-8 sequence
 * (Unicode 15, Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF), or -1.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    const second = bytes[i + 1];
    if (second === undefined || second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}
