/**
 * Reading a local sentence-embedding model folder: where the ONNX file is, and what the
 * folder's own configuration says about pooling, normalisation and prompts.
 *
 * Recognised layouts (both as exported by Hugging Face Optimum / transformers.js):
 *   <dir>/model.onnx                 or  <dir>/onnx/model.onnx
 *   <dir>/tokenizer.json, <dir>/tokenizer_config.json
 * Optional sentence-transformers files:
 *   <dir>/1_Pooling/config.json      pooling_mode_mean_tokens / pooling_mode_cls_token
 *   <dir>/modules.json               a `sentence_transformers.models.Normalize` entry → normalise
 *   <dir>/config_sentence_transformers.json   `prompts: { query, passage }`
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CapabilityError, InputFormatError, ModelError, NotFoundError } from '../core/errors.js';
import { importPackage } from '../core/import-package.js';
import type { PoolingMode } from './onnx-pooling.js';

export interface ModelFolderInfo {
  dir: string;
  /** Absolute path of the ONNX file. */
  onnxPath: string;
  /** From 1_Pooling/config.json, when present. */
  pooling?: PoolingMode;
  /** From modules.json, when present: whether a Normalize module follows pooling. */
  normalize?: boolean;
  /** From config_sentence_transformers.json `prompts`, when present. */
  prompts?: { query?: string; passage?: string };
  /** tokenizer_config.json `model_max_length`, when present and sane (< 1e6). */
  modelMaxLength?: number;
}

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new InputFormatError(`${path} is not valid JSON`, { cause: err });
  }
}

/**
 * Inspects `dir`.
 * @param onnxFile explicit ONNX path relative to `dir` (e.g. "onnx/model_quantized.onnx")
 * @param what the kind of model, for messages (default "embedding model")
 * @param defaultOnnxFiles where to look when `onnxFile` is not given, in order (decoders add decoder_model_merged.onnx …)
 * @throws NotFoundError when the folder, the ONNX file or tokenizer.json is missing (the message lists what was looked for)
 * @throws InputFormatError when a config file is not valid JSON or asks for an unsupported pooling mode
 */
export function readModelFolder(dir: string, onnxFile?: string, what = 'embedding model', defaultOnnxFiles: readonly string[] = ['model.onnx', join('onnx', 'model.onnx')]): ModelFolderInfo {
  if (!existsSync(dir)) throw new NotFoundError(`${what} folder ${dir} does not exist`);
  const candidates = onnxFile ? [onnxFile] : defaultOnnxFiles;
  const found = candidates.map((c) => join(dir, c)).find((p) => existsSync(p));
  if (!found) {
    throw new NotFoundError(`no ONNX model in ${dir}: looked for ${candidates.join(', ')}; export the model to ONNX (see docs/models.md)`);
  }
  if (!existsSync(join(dir, 'tokenizer.json'))) {
    throw new NotFoundError(`no tokenizer.json in ${dir}; the folder needs the Hugging Face fast-tokenizer file (see docs/models.md)`);
  }
  const info: ModelFolderInfo = { dir, onnxPath: found };

  const poolingPath = join(dir, '1_Pooling', 'config.json');
  const pooling = readJson(poolingPath);
  if (pooling) {
    if (pooling.pooling_mode_cls_token === true) info.pooling = 'cls';
    else if (pooling.pooling_mode_mean_tokens === true) info.pooling = 'mean';
    else {
      const modes = Object.keys(pooling).filter((k) => k.startsWith('pooling_mode_') && pooling[k] === true);
      throw new InputFormatError(`${poolingPath} asks for ${modes.join(', ') || 'no pooling mode'}; openbook supports mean and cls pooling`);
    }
  }
  const modules = readJson(join(dir, 'modules.json'));
  if (Array.isArray(modules)) {
    info.normalize = (modules as Array<{ type?: string }>).some((m) => typeof m.type === 'string' && m.type.endsWith('.Normalize'));
  }
  const st = readJson(join(dir, 'config_sentence_transformers.json'));
  const prompts = st?.prompts as Record<string, unknown> | undefined;
  if (prompts && typeof prompts === 'object') {
    info.prompts = {};
    if (typeof prompts.query === 'string') info.prompts.query = prompts.query;
    if (typeof prompts.passage === 'string') info.prompts.passage = prompts.passage;
    else if (typeof prompts.document === 'string') info.prompts.passage = prompts.document;
  }
  const tc = readJson(join(dir, 'tokenizer_config.json'));
  const maxLen = tc?.model_max_length;
  if (typeof maxLen === 'number' && maxLen > 0 && maxLen < 1e6) info.modelMaxLength = maxLen;
  return info;
}

/** Whether the folder name marks an E5 model (Wang et al., "Text Embeddings by Weakly-Supervised Contrastive Pre-training", arXiv:2212.03533), which expects "query: " / "passage: " prefixes. */
export function looksLikeE5(dir: string): boolean {
  return /(^|[-_.])e5([-_.]|$)/i.test(basename(dir));
}

type OrtModule = typeof import('onnxruntime-node');
type TokenizerModule = typeof import('@huggingface/transformers');

/**
 * The command that installs the optional local-model stack (optional peer dependencies of
 * openbook, ~470 MB). `ONNXRUNTIME_NODE_INSTALL=skip` stops onnxruntime-node's install script
 * from downloading CUDA binaries from nuget: the CPU binaries are inside its npm tarball, so the
 * registry stays the only network.
 */
export const LOCAL_RUNTIME_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0 @huggingface/transformers@^4.3.1';

/**
 * Imports an optional runtime package; when it is not installed, a `CapabilityError` with the
 * install command (the local model stack is optional: openbook runs offline without it).
 */
export async function importRuntime<T>(name: string): Promise<T> {
  try {
    return await importPackage<T>(name);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CapabilityError(`the local model runtime is not installed (${name} is missing); install it with: ${LOCAL_RUNTIME_INSTALL}`);
    }
    throw err;
  }
}

/**
 * Opens the folder's ONNX graph and its tokenizer (local files only), as every local model
 * (embedder, sequence classifier, causal LM) does. `threads` sets onnxruntime's intra-op threads.
 * Throws CapabilityError when the runtime is not installed, ModelError when either cannot load.
 */
export async function openOnnxFolder(
  folder: ModelFolderInfo,
  threads?: number,
): Promise<{ ort: OrtModule; session: import('onnxruntime-node').InferenceSession; tokenizer: import('@huggingface/transformers').PreTrainedTokenizer }> {
  const ort = await importRuntime<OrtModule>('onnxruntime-node');
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(folder.onnxPath, {
      ...(threads !== undefined ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new ModelError(`onnxruntime cannot load ${folder.onnxPath}: ${(err as Error).message}`, { cause: err });
  }
  let tokenizer: import('@huggingface/transformers').PreTrainedTokenizer;
  try {
    const { AutoTokenizer } = await importRuntime<TokenizerModule>('@huggingface/transformers');
    tokenizer = await AutoTokenizer.from_pretrained(folder.dir, { local_files_only: true });
  } catch (err) {
    if (err instanceof CapabilityError) throw err;
    throw new ModelError(`cannot load the tokenizer in ${folder.dir}: ${(err as Error).message}`, { cause: err });
  }
  return { ort, session, tokenizer };
}
