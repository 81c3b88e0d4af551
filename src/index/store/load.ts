/**
 * Loading the last committed generation of an index directory, with the checks that turn any
 * defect into a typed error: no manifest → IndexNotFoundError; unreadable manifest, newer
 * formatVersion, missing file, wrong size or CRC-32, undecodable content → IndexFormatError
 * naming the file.
 *
 * A concurrent writer may commit twice while we read and delete the files our manifest named; a
 * missing file therefore triggers a re-read of the manifest, and we retry when it moved on.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IndexFormatError, IndexNotFoundError } from '../../core/errors.js';
import { readJsonManifest } from './atomic-file.js';
import { checksum, decodeGeneration, FILE_ROLES, MANIFEST_FILE, manifestProblem, type FileRole, type GenerationData, type Manifest } from './format.js';

export interface LoadedGeneration {
  manifest: Manifest;
  data: GenerationData;
  /** Manifest + the five files, in bytes. */
  bytesOnDisk: number;
}

/** Reads and parses `manifest.json`, or returns null when there is none. */
export async function readManifest(dir: string): Promise<{ manifest: Manifest; bytes: number } | null> {
  const read = await readJsonManifest<Manifest>(join(dir, MANIFEST_FILE), manifestProblem, 'rebuild the index');
  if (read === null) return null;
  // A manifest written before the setting existed: its chunks were analysed without titles.
  read.value.config.titleTerms = read.value.config.titleTerms === true;
  return { manifest: read.value, bytes: read.bytes };
}

/** Loads the last committed generation of `dir`. */
export async function loadGeneration(dir: string): Promise<LoadedGeneration> {
  for (let attempt = 0; ; attempt++) {
    const read = await readManifest(dir);
    if (read === null) throw new IndexNotFoundError(dir);
    const { manifest } = read;
    const files = {} as Record<FileRole, Uint8Array>;
    let missing: string | null = null;
    for (const role of FILE_ROLES) {
      const entry = manifest.files[role];
      try {
        files[role] = await readFile(join(dir, entry.name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        missing = entry.name;
        break;
      }
    }
    if (missing !== null) {
      const again = await readManifest(dir);
      if (again !== null && again.manifest.generation !== manifest.generation && attempt < 5) continue;
      throw new IndexFormatError(`index ${dir} is missing ${missing} (generation ${manifest.generation}); rebuild the index`);
    }
    let bytesOnDisk = read.bytes;
    for (const role of FILE_ROLES) {
      const entry = manifest.files[role];
      const data = files[role];
      if (data.length !== entry.bytes) {
        throw new IndexFormatError(`index file ${join(dir, entry.name)} has ${data.length} bytes, manifest says ${entry.bytes}; the index is corrupt, rebuild it`);
      }
      if (checksum(data) !== entry.crc32) {
        throw new IndexFormatError(`index file ${join(dir, entry.name)} fails its CRC-32 check; the index is corrupt, rebuild it`);
      }
      bytesOnDisk += data.length;
    }
    try {
      return { manifest, data: decodeGeneration(manifest, files), bytesOnDisk };
    } catch (err) {
      throw new IndexFormatError(`index ${dir}: ${(err as Error).message}; rebuild the index`, { cause: err });
    }
  }
}
