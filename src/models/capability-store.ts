/**
 * Probed capabilities kept between runs: `openbook doctor` measures an endpoint + model
 * (`OpenAICompatibleModel.probeCapabilities`) and writes the result to `<index>/capabilities.json`;
 * the configured client (`openAIModelFromConfig`) starts from the stored entry, so the `auto` modes
 * (REPLUG, REALM) choose from measured capabilities in a later process, and a server that refuses `n`
 * gets one sample per request from the first call, without probing or a refused request first.
 *
 * File format (JSON, written atomically: a temporary file renamed over the old one):
 * `{ "version": 1, "entries": [{ "baseUrl", "model", "capabilities": { chat, streaming, logprobs,
 * echoScoring, prefill }, "n": bool, "byteTokens": bool, "probedAt": ISO-8601 }] }`, one entry per
 * endpoint (base URL without trailing slashes) + model. An entry older than
 * `STORED_PROBE_MAX_AGE_MS` (7 days) is ignored — a server behind the same address may have been
 * replaced or upgraded; run `openbook doctor` again to refresh it. A missing, unreadable or damaged
 * file counts as no entry (capabilities are then assumed until measured, as before).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CapabilityReport } from './openai-compatible.js';
import type { LanguageModelCapabilities } from './types.js';

/** How long a stored probe is trusted: 7 days, in ms. */
export const STORED_PROBE_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** The file of an index folder that holds the probes. */
export function capabilityFile(indexDir: string): string {
  return path.join(indexDir, 'capabilities.json');
}

/** One stored probe. */
export interface StoredProbe {
  baseUrl: string;
  model: string;
  capabilities: LanguageModelCapabilities;
  /** Two choices came back for n = 2 in one request. */
  n: boolean;
  /** Logprob entries carried `bytes`. */
  byteTokens: boolean;
  /** When it was measured (ISO 8601). */
  probedAt: string;
}

const CAP_KEYS: Array<keyof LanguageModelCapabilities> = ['chat', 'streaming', 'logprobs', 'echoScoring', 'prefill'];
const norm = (url: string) => url.replace(/\/+$/, '');

function readEntries(file: string): StoredProbe[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  const entries = (raw as { version?: unknown; entries?: unknown })?.entries;
  if ((raw as { version?: unknown })?.version !== 1 || !Array.isArray(entries)) return [];
  return entries.filter(
    (e): e is StoredProbe =>
      typeof e === 'object' && e !== null && typeof e.baseUrl === 'string' && typeof e.model === 'string' && typeof e.probedAt === 'string' &&
      typeof e.n === 'boolean' && typeof e.byteTokens === 'boolean' && typeof e.capabilities === 'object' && e.capabilities !== null &&
      CAP_KEYS.every((k) => typeof e.capabilities[k] === 'boolean'),
  );
}

/**
 * The stored probe of `baseUrl` + `model`, or undefined when there is none, it is older than
 * `maxAgeMs`, or the file is missing or damaged.
 * @param now the current time in ms since the epoch
 */
export function loadStoredProbe(file: string, baseUrl: string, model: string, now: number = Date.now(), maxAgeMs = STORED_PROBE_MAX_AGE_MS): StoredProbe | undefined {
  const e = readEntries(file).find((x) => norm(x.baseUrl) === norm(baseUrl) && x.model === model);
  if (!e) return undefined;
  const at = Date.parse(e.probedAt);
  if (!Number.isFinite(at) || now - at > maxAgeMs || at - now > maxAgeMs) return undefined;
  return e;
}

/**
 * Stores a probe (replacing the entry of the same endpoint + model), atomically.
 * @throws the file system's error when the folder cannot be written
 */
export async function saveProbe(file: string, report: CapabilityReport, now: number = Date.now()): Promise<StoredProbe> {
  const entry: StoredProbe = {
    baseUrl: norm(report.baseUrl),
    model: report.model,
    capabilities: { ...report.capabilities },
    n: report.probes.n.ok,
    byteTokens: report.probes.byteTokens.ok,
    probedAt: new Date(now).toISOString(),
  };
  const entries = readEntries(file).filter((x) => !(norm(x.baseUrl) === entry.baseUrl && x.model === entry.model));
  entries.push(entry);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, JSON.stringify({ version: 1, entries }, null, 2) + '\n');
  await fs.promises.rename(tmp, file);
  return entry;
}
