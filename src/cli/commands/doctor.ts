/**
 * `openbook doctor [--json]` — connects to the configured endpoints and reports what each can
 * do: for the LLM, chat, streaming, token logprobs, echo scoring, prefill (is a trailing
 * assistant message continued?), `n` in one request and byte tokens (each with one call's
 * latency), whether the endpoint lists the model, and what the `auto` modes choose from that — the
 * measurement is stored in `<index>/capabilities.json` for later runs (src/models/capability-store.ts); for embeddings, the dimension and one
 * call's latency; for the cache, the backend and a write/read round trip.
 *
 * Exit code 0 when every configured endpoint answered (a missing capability is reported, not
 * an error); when a configured endpoint could not be reached, the report is printed and then one
 * line on stderr names each failed endpoint, exit code 2.
 */
import type { Command } from 'commander';
import { OpenbookError } from '../../core/errors.js';
import type { OpenbookConfig } from '../../config/index.js';
import { autoReplugMode } from '../../methods/replug.js';
import type { CapabilityReport, LanguageModelCapabilities, LocalCausalLMInfo } from '../../models/index.js';
import { action, colors, printJson, renderTable, useColor } from '../shared.js';
import { loadCliConfig, type ConfigFlags } from './config.js';

export interface DoctorReport {
  /** `stored`: the file the probe was saved to for later runs (`<index>/capabilities.json`); `storeError` when it could not be written. */
  llm: { configured: false } | ({ configured: true; reachable: boolean; modelListed?: boolean; stored?: string; storeError?: string } & CapabilityReport);
  /** The local causal LM of `llm.modelDir` (used when `llm.baseUrl` is unset): what its graph gives. */
  localLlm?: { modelDir: string; ok: boolean; error?: string; info?: LocalCausalLMInfo; latencyMs: number };
  embeddings:
    | { configured: false; modelDir?: string }
    | { configured: true; baseUrl: string; model: string; ok: boolean; dimension?: number; latencyMs: number; error?: string };
  cache: { enabled: boolean; backend?: string; ok?: boolean; latencyMs?: number; error?: string };
  /** False when a configured endpoint could not be reached. */
  ok: boolean;
}

/**
 * Probes the endpoints `config` names. Never throws for an endpoint failure; the report says
 * what failed and why.
 * @param now clock in ms for latencies
 */
export async function runDoctor(config: OpenbookConfig, now: () => number = () => performance.now()): Promise<DoctorReport> {
  // Loaded here, not at start-up: every other command would pay for the OpenAI SDK otherwise.
  const { cacheFromConfig, cacheKey, openAIEmbedderFromConfig, openAIModelFromConfig } = await import('../../models/index.js');
  let ok = true;

  let llm: DoctorReport['llm'] = { configured: false };
  const model = openAIModelFromConfig(config);
  if (model) {
    const report = await model.probeCapabilities();
    const reachable = report.probes.chat.ok || report.models !== undefined;
    if (!reachable) ok = false;
    // what was measured is kept for later runs (the `auto` modes start from it); an unreachable endpoint measured nothing
    let stored: string | undefined;
    let storeError: string | undefined;
    if (report.probes.chat.ok) {
      const { capabilityFile, saveProbe } = await import('../../models/capability-store.js');
      try {
        await saveProbe(capabilityFile(config.index), report);
        stored = capabilityFile(config.index);
      } catch (err) {
        storeError = (err as Error).message;
      }
    }
    llm = {
      configured: true,
      reachable,
      ...(report.models ? { modelListed: report.models.includes(model.model) } : {}),
      ...report,
      ...(stored ? { stored } : {}),
      ...(storeError ? { storeError } : {}),
    };
  }

  let localLlm: DoctorReport['localLlm'];
  if (!model && config.llm.modelDir) {
    const { LocalCausalLM } = await import('../../models/index.js');
    const t0 = now();
    const local = new LocalCausalLM({ modelDir: config.llm.modelDir });
    try {
      await local.load();
      localLlm = { modelDir: config.llm.modelDir, ok: true, info: local.info!, latencyMs: now() - t0 };
    } catch (err) {
      ok = false;
      localLlm = { modelDir: config.llm.modelDir, ok: false, error: (err as Error).message, latencyMs: now() - t0 };
    } finally {
      await local.close();
    }
  }

  let embeddings: DoctorReport['embeddings'] = { configured: false, ...(config.embed.modelDir ? { modelDir: config.embed.modelDir } : {}) };
  const embedder = openAIEmbedderFromConfig(config);
  if (embedder) {
    const t0 = now();
    try {
      const [v] = await embedder.embed(['openbook doctor'], { kind: 'query' });
      embeddings = { configured: true, baseUrl: embedder.baseUrl, model: embedder.model, ok: true, dimension: v.length, latencyMs: now() - t0 };
    } catch (err) {
      ok = false;
      embeddings = { configured: true, baseUrl: embedder.baseUrl, model: embedder.model, ok: false, latencyMs: now() - t0, error: (err as Error).message };
    }
  }

  let cache: DoctorReport['cache'] = { enabled: config.cache.enabled };
  const backend = cacheFromConfig(config);
  if (backend) {
    const t0 = now();
    try {
      const key = cacheKey({ kind: 'chat', provider: 'openbook-doctor', params: {}, input: 'round trip' });
      await backend.set(key, Buffer.from('ok'));
      const back = await backend.get(key);
      cache = { enabled: true, backend: backend.name, ok: back?.toString() === 'ok', latencyMs: now() - t0 };
    } catch (err) {
      ok = false;
      cache = { enabled: true, backend: backend.name, ok: false, latencyMs: now() - t0, error: (err as Error).message };
    } finally {
      await backend.close();
    }
  }
  return { llm, ...(localLlm ? { localLlm } : {}), embeddings, cache, ok };
}

/**
 * What the `auto` modes and the token-level methods do with these capabilities, in words:
 * REPLUG `auto` (`autoReplugMode`), RAG-Token / RAG-Sequence beam (log-probabilities + prefill),
 * REALM `auto` (continuation scoring, else its own generation's log-probabilities).
 */
export function autoModes(caps: LanguageModelCapabilities): { replug: string; tokenLevel: string; realm: string } {
  const replug = autoReplugMode(caps);
  return {
    replug: replug === 'token' ? 'token (per-token mixture with prefill)' : replug === 'sequence' ? 'sequence (candidates rescored by echo)' : 'refuses (needs logprobs + prefill, or echo scoring)',
    tokenLevel: caps.logprobs && caps.prefill ? 'run' : `refuse (${caps.logprobs ? 'no prefill' : 'no logprobs'})`,
    realm: caps.echoScoring ? 'continuation scoring' : caps.logprobs ? 'generation scoring (own answer only)' : 'refuses',
  };
}

/** One phrase per configured endpoint that failed ("LLM endpoint http://… could not be reached"); empty when all answered. */
export function doctorFailures(report: DoctorReport): string[] {
  const out: string[] = [];
  if (report.llm.configured && !report.llm.reachable) out.push(`LLM endpoint ${report.llm.baseUrl} could not be reached`);
  if (report.localLlm && !report.localLlm.ok) out.push(`local LLM ${report.localLlm.modelDir} could not be loaded`);
  if (report.embeddings.configured && !report.embeddings.ok) out.push(`embedding endpoint ${report.embeddings.baseUrl} could not be reached`);
  if (report.cache.enabled && report.cache.ok === false) out.push(`cache ${report.cache.backend ?? ''} failed its round trip`);
  return out;
}

/** The report as an aligned table plus one line per failure reason. */
export function renderDoctor(report: DoctorReport, useColor = false): string {
  const c = colors(useColor);
  const yes = c.green('yes');
  const no = c.red('no');
  const ms = (x: number | undefined) => (x === undefined ? '' : `${Math.round(x)} ms`);
  const rows: string[][] = [];
  const notes: string[] = [];
  const loc = report.localLlm;
  if (loc) {
    rows.push(['LLM (local folder)', loc.modelDir, loc.ok ? yes : no, ms(loc.latencyMs)]);
    if (loc.info) {
      rows.push(['  vocabulary / context', `${loc.info.vocabSize} tokens, ${loc.info.contextLength} positions`, '', '']);
      rows.push(['  next-token distribution', 'full (every token)', yes, '']);
      rows.push(['  hidden states', loc.info.hiddenStates ? `${loc.info.hiddenOutput}, ${loc.info.hiddenSize} dims (kNN-LM keys)` : 'not output by the graph (kNN-LM needs them; see docs/models.md)', loc.info.hiddenStates ? yes : no, '']);
      rows.push(['  chat template', loc.info.chatTemplate ? 'from tokenizer_config.json' : 'none (plain User:/Assistant: transcript)', '', '']);
    }
    if (loc.error) notes.push(`local LLM: ${loc.error}`);
  } else if (!report.llm.configured) {
    rows.push(['LLM', 'not configured (set OPENBOOK_LLM_BASE_URL and OPENBOOK_LLM_MODEL, or OPENBOOK_LLM_MODEL_DIR)', '', '']);
  } else {
    const l = report.llm;
    rows.push(['LLM endpoint', `${l.baseUrl} model ${l.model}`, l.reachable ? yes : no, '']);
    if (l.modelListed !== undefined) rows.push(['  model listed', l.modelListed ? 'in /models' : 'not in /models', l.modelListed ? yes : no, '']);
    for (const [name, label] of [
      ['chat', 'chat'],
      ['streaming', 'streaming'],
      ['logprobs', 'token logprobs'],
      ['echoScoring', 'echo scoring'],
      ['prefill', 'prefill'],
      ['n', 'n samples per request'],
      ['byteTokens', 'byte tokens'],
    ] as const) {
      const p = l.probes[name];
      rows.push([`  ${label}`, p.ok ? 'supported' : 'not supported', p.ok ? yes : no, ms(p.latencyMs)]);
      // Unreachable, every probe fails the same way: the reason is said once, below.
      if (!p.ok && p.error && l.reachable) notes.push(`${label}: ${p.error}`);
    }
    if (!l.reachable) notes.push(`LLM endpoint: ${l.probes.chat.error ?? 'no answer'}`);
    const m = autoModes(l.capabilities);
    rows.push(['  replug auto', m.replug, '', '']);
    rows.push(['  rag-token, rag-sequence beam', m.tokenLevel, '', '']);
    rows.push(['  realm auto', m.realm, '', '']);
    if (l.stored) rows.push(['  stored for later runs', l.stored, '', '']);
    if (l.storeError) notes.push(`stored capabilities: ${l.storeError}`);
  }
  const e = report.embeddings;
  if (!e.configured) rows.push(['embeddings', e.modelDir ? `local model folder ${e.modelDir}` : 'not configured (set OPENBOOK_EMBED_BASE_URL or OPENBOOK_EMBED_MODEL_DIR)', '', '']);
  else {
    rows.push(['embeddings', `${e.baseUrl} model ${e.model}${e.dimension !== undefined ? `, dimension ${e.dimension}` : ''}`, e.ok ? yes : no, ms(e.latencyMs)]);
    if (e.error) notes.push(`embeddings: ${e.error}`);
  }
  const k = report.cache;
  if (!k.enabled) rows.push(['cache', 'disabled', '', '']);
  else {
    rows.push(['cache', k.backend ?? '', k.ok ? yes : no, ms(k.latencyMs)]);
    if (k.error) notes.push(`cache: ${k.error}`);
  }
  return renderTable(['check', 'detail', 'ok', 'latency'], rows) + (notes.length ? '\n\n' + notes.map((n) => c.dim(n)).join('\n') : '') + '\n';
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('connect to the configured model endpoints and report their capabilities and latency')
    .addHelpText('after', '\nExamples:\n  $ openbook doctor\n  $ openbook doctor --json\n  $ OPENBOOK_LLM_BASE_URL=http://127.0.0.1:11434/v1 OPENBOOK_LLM_MODEL=qwen2.5:7b openbook doctor')
    .option('--index <dir>', 'index folder (default: .openbook, or $OPENBOOK_INDEX)')
    .option('--config <file>', 'use this config file instead of searching for openbook.config.json')
    .option('--json', 'print JSON')
    .action(
      action(async (flags: ConfigFlags & { json?: boolean }) => {
        const { config } = await loadCliConfig(flags);
        const report = await runDoctor(config);
        if (flags.json) printJson(report);
        else process.stdout.write(renderDoctor(report, useColor()));
        const failed = doctorFailures(report);
        if (failed.length > 0) throw new OpenbookError('UNREACHABLE', `doctor: ${failed.join('; ')}`);
      }),
    );
}
