/**
 * The HTTP API and the web page, as a Hono app object: tests call `app.request(...)` without a
 * socket, and `listen.ts` puts the same object on a port.
 *
 * Endpoints (all JSON; errors are `{"error": {"code", "message"}}` with the status of the
 * typed error, never a stack trace):
 *
 *   GET    /healthz                 liveness, no auth
 *   GET    /openapi.json            the OpenAPI 3.1 document, generated from `schemas.ts`
 *   GET    /v1/status               index counts, active jobs, methods, limits, example questions
 *   GET    /v1/search?q=&topK=&retriever=&similarity=&k1=&b=&rerank=&rerankDepth=&filter=&highlight=
 *   POST   /v1/ask                  JSON; `Accept: text/event-stream` streams tokens, then citations, hits, trace
 *   POST   /v1/documents            multipart upload (field `files`), or JSON `{paths}` under server.roots → 202 + job
 *   GET    /v1/documents?offset=&limit=
 *   GET    /v1/documents/:id        metadata, text and chunk offsets (for the citation viewer)
 *   DELETE /v1/documents/:id        → 202 + job
 *   GET    /v1/jobs/:id             queued | running (with progress) | succeeded | failed
 *   GET    /                        the web page (static files from ./static)
 *
 * Guards, in order: security headers; the Host allow-list (421, against DNS rebinding); CORS
 * (only for `server.corsOrigins`); the cross-origin rule for POST/DELETE (403 unless
 * `Content-Type: application/json`, `X-Openbook-Request` or an origin in `corsOrigins`, see
 * `security.checkStateChange`); per-client rate limit on /v1 (off on a loopback bind unless
 * configured, 60/min elsewhere: `security.effectiveRateLimit`); bearer token on /v1 and
 * /openapi.json when an API key is set; body limits (`server.maxBodyBytes` for JSON,
 * `maxUploadBytes` for uploads).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { ServerConfig } from '../config/schema.js';
import type { RetrievalOptionKey, SearchOptionKey } from '../config/options.js';
import { IndexLockedError, InvalidParameterError, NotFoundError, OpenbookError } from '../core/errors.js';
import { filterFromInput } from '../core/filter.js';
import type { Answer, Hit } from '../core/types.js';
import { Engine, type EngineModels } from '../engine/engine.js';
import { indexPaths as realIndexPaths, type IndexSummary } from '../engine/indexer.js';
import type { LoadBudgets } from '../ingest/budgets.js';
import { answerJson, HitJsonCache, hitJson } from '../engine/json.js';
import { EngineHolder, StoreEngineHolder } from './engine-holder.js';
import { metadataFields } from '../index/store/metadata.js';
import { exampleQuestions } from './examples.js';
import { MalformedJsonError, PayloadTooLargeError, RateLimitedError, UnsupportedMediaTypeError, WriterBusyError } from './errors.js';
import { JobQueue, type JobContext } from './jobs.js';
import { makeRedactor } from './redact.js';
import { askMethodsFor, httpSearchOptions, pickMethod, rerankOptions, withRetrievalDefaults, type AskMethods } from './methods.js';
import { buildOpenApi } from './openapi.js';
import { AskRequest, IndexPathsRequest, ListQuery, SearchQuery } from './schemas.js';
import { checkBearer, checkHost, checkStateChange, effectiveRateLimit, RateLimiter, REQUEST_MARKER, resolveUnderRoots } from './security.js';
import { maskUrl } from '../index/pg/url.js';
import type { PgEngine } from '../engine/pg-engine.js';
import { deleteDocument, deleteStoreDocument, documentDetail, listDocuments, listStoreDocuments, storeDocumentDetail } from './documents.js';
import { acceptUploads, checkUploadNames, UPLOAD_DIR, writeUploads } from './uploads.js';

export interface ServerOptions {
  /** Absolute index folder. Uploads go to `<indexDir>/uploads`, job records to `<indexDir>/server-jobs`. */
  indexDir: string;
  /** The `server` section of the resolved config (`roots` absolute; empty = `cwd` only). */
  server: ServerConfig;
  /** Where relative server paths and document ids of `{paths}` jobs resolve (the CLI's cwd). */
  cwd: string;
  /** Total bytes of one upload request. Default 64 MiB. */
  maxUploadBytes?: number;
  /** Bytes of one uploaded file. Default 32 MiB. */
  maxFileBytes?: number;
  /** Language model, embedder and prompt templates for the engine (none = offline: BM25 + extractive). */
  models?: EngineModels;
  /** Answering methods by name; default `askMethodsFor(models)`. */
  methods?: AskMethods;
  /** Per-file loading budgets for uploads and server-side indexing (ingest/budgets.ts; defaults `DEFAULT_BUDGETS`). */
  budgets?: Partial<LoadBudgets>;
  /** The indexing pipeline (default `engine/indexer.indexPaths`); tests may wrap it. */
  indexPaths?: typeof realIndexPaths;
  now?: () => number;
  /** Server-side log lines (errors with stacks go here, never to clients). */
  log?: (line: string) => void;
  /** Folder of the web page; default `./static` beside this module. */
  staticDir?: string;
  /**
   * How long a write job waits for another process's writer lock (an `openbook index` run)
   * before it fails with INDEX_LOCKED; it shows as `queued`, phase `waiting-for-lock`, meanwhile.
   * Default 60 000 ms.
   */
  lockWaitMs?: number;
  /**
   * Serve a PostgreSQL store instead of the index folder (`openbook serve --store`): searches and
   * answers read the store's last commit, write jobs index into it (several servers may share
   * one store; one writer at a time). `indexDir` still holds this server's uploads and job records.
   */
  storeUrl?: string;
  /**
   * The retrieval values the configuration sets (`openbook.config.json` ← env; by config key,
   * e.g. `{ topK: 3, similarity: 'tfidf' }`): every search and ask request that leaves a field
   * out uses them, as the CLI does. Absent keys keep the engine's defaults.
   */
  retrieval?: Partial<Record<RetrievalOptionKey | SearchOptionKey, number | string>>;
}

export interface OpenbookServer {
  app: Hono<ServerEnv>;
  jobs: JobQueue;
  engines: EngineHolder | StoreEngineHolder;
  options: Required<Pick<ServerOptions, 'maxUploadBytes' | 'maxFileBytes'>>;
}

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Content-Security-Policy of the page: only our own files; inline styles from JS-set `style` attributes are not used. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Bindings @hono/node-server passes (the peer socket, for the rate limiter's client key). */
export type ServerEnv = { Bindings: { incoming?: { socket?: { remoteAddress?: string } } } };

/**
 * Builds the app and its job queue. Call `await server.jobs.recover()` once before serving
 * (`listen.ts` does) so jobs a killed process left running are reported as failed.
 */
export function createServer(options: ServerOptions): OpenbookServer {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const cfg = options.server;
  const roots = cfg.roots.length > 0 ? cfg.roots : [options.cwd];
  const maxUploadBytes = options.maxUploadBytes ?? 64 * 1024 * 1024;
  const maxFileBytes = options.maxFileBytes ?? 32 * 1024 * 1024;
  const models = options.models ?? {};
  const methods = options.methods ?? askMethodsFor(models);
  const runIndex = options.indexPaths ?? realIndexPaths;
  const lockWaitMs = options.lockWaitMs ?? 60_000;
  const redact = makeRedactor({ indexDir: options.indexDir, roots, cwd: options.cwd });
  const uploadDir = path.join(options.indexDir, UPLOAD_DIR);
  const storeUrl = options.storeUrl;
  const engines = storeUrl
    ? new StoreEngineHolder(storeUrl, async () => {
        // The pg client loads only for a store.
        const { PgEngine } = await import('../engine/pg-engine.js');
        return PgEngine.open(storeUrl, models);
      })
    : new EngineHolder(options.indexDir, { now, open: (dir) => Engine.open(dir, models), onReloadError: (err) => log(`reload failed: ${errorLine(err)}`) });
  /** The indexing pipeline into the folder, or into the store (a pool per job). */
  const indexInto: typeof realIndexPaths = async (o) => {
    if (!storeUrl) return runIndex(o);
    const { PgStore } = await import('../index/pg/store.js');
    const store = PgStore.connect(storeUrl);
    try {
      return await runIndex({ ...o, store });
    } finally {
      await store.close();
    }
  };
  /** Metadata fields of the store's documents, computed once per commit. */
  let storeFields: { generation: number; fields: ReturnType<typeof metadataFields> } | undefined;
  const storeMetadataFields = async (engine: PgEngine, generation?: number) => {
    const g = generation ?? (await engine.store.stats()).generation;
    if (storeFields?.generation !== g) storeFields = { generation: g, fields: metadataFields(await engine.reader.documents()) };
    return storeFields.fields;
  };
  const jobs = new JobQueue({
    dir: path.join(options.indexDir, 'server-jobs'),
    now,
    onUnexpectedError: (job, err) => log(`job ${job.id} (${job.kind}) failed: ${errorLine(err)}`),
    publicMessage: redact,
  });

  /**
   * Runs a write under the index's writer lock, waiting (status `queued`, phase
   * `waiting-for-lock`) while another process holds it, for at most `lockWaitMs`.
   */
  const underLock = async <T>(ctx: JobContext, write: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    for (;;) {
      try {
        const out = await write();
        return out;
      } catch (err) {
        if (!(err instanceof IndexLockedError)) throw err;
        const waited = Date.now() - started;
        if (waited >= lockWaitMs) throw new WriterBusyError(waited);
        ctx.waiting(true);
        await new Promise((r) => setTimeout(r, Math.min(200, lockWaitMs - waited)));
        ctx.waiting(false);
      }
    }
  };
  const rateLimit = effectiveRateLimit(cfg);
  const limiter = new RateLimiter(rateLimit, now);
  const staticFiles = loadStatic(options.staticDir ?? fileURLToPath(new URL('./static/', import.meta.url)));
  const openapi = buildOpenApi({ version, auth: Boolean(cfg.apiKey) });

  const app = new Hono<ServerEnv>();

  app.onError((err, c) => {
    if (err instanceof OpenbookError) {
      if (err instanceof RateLimitedError) c.header('Retry-After', String(err.retryAfterSeconds));
      if (err.httpStatus === 401) c.header('WWW-Authenticate', 'Bearer realm="openbook"');
      return c.json({ error: { code: err.code, message: redact(err.message) } }, err.httpStatus as 400);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 400 ? 'BAD_REQUEST' : `HTTP_${status}`;
      return c.json({ error: { code, message: err.message || 'bad request' } }, status);
    }
    const id = Math.floor(now()).toString(36);
    log(`internal error ${id} on ${c.req.method} ${c.req.path}: ${errorLine(err)}`);
    return c.json({ error: { code: 'INTERNAL', message: `internal server error (reference ${id} in the server log)` } }, 500);
  });

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));

  // Set before the handler runs: Hono merges these into whatever response the handler, onError or
  // notFound builds. Setting them after `next()` would rebuild the finished response (the node
  // adapter's light Response becomes a full fetch Response: ~10 % of a search request's CPU).
  app.use('*', async (c, next) => {
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    await next();
  });

  // DNS rebinding: a foreign name resolving to our address makes its page same-origin with us, so
  // the Host itself must be one of ours (421 otherwise), on every route including the page.
  app.use('*', async (c, next) => {
    checkHost(c.req.header('Host') ?? new URL(c.req.url).host, cfg.host, cfg.allowedHosts);
    await next();
  });

  if (cfg.corsOrigins.length > 0) {
    app.use(
      '/v1/*',
      cors({ origin: cfg.corsOrigins, allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'], allowHeaders: ['Authorization', 'Content-Type', 'Accept', REQUEST_MARKER], maxAge: 600 }),
    );
  }

  // CSRF: a state-changing request needs a header only a preflighted request can carry, or an allowed Origin.
  app.use('/v1/*', async (c, next) => {
    checkStateChange(
      {
        method: c.req.method,
        host: c.req.header('Host') ?? new URL(c.req.url).host,
        origin: c.req.header('Origin'),
        fetchSite: c.req.header('Sec-Fetch-Site'),
        contentType: c.req.header('Content-Type'),
        hasNonSimpleHeader: c.req.header(REQUEST_MARKER) !== undefined || c.req.header('Authorization') !== undefined,
      },
      cfg.corsOrigins,
    );
    await next();
  });

  app.use('/v1/*', async (c, next) => {
    const wait = limiter.take(clientId(c));
    if (wait > 0) throw new RateLimitedError(wait, rateLimit);
    await next();
  });

  if (cfg.apiKey) {
    const key = cfg.apiKey;
    const guard = async (c: Context, next: () => Promise<void>) => {
      checkBearer(c.req.header('Authorization'), key);
      await next();
    };
    app.use('/v1/*', guard);
    app.use('/openapi.json', guard);
  }

  const jsonLimit = withDeclaredLength(cfg.maxBodyBytes, 'request body', bodyLimit({ maxSize: cfg.maxBodyBytes, onError: () => { throw new PayloadTooLargeError('request body', cfg.maxBodyBytes); } }));
  const uploadLimit = bodyLimit({ maxSize: maxUploadBytes, onError: () => { throw new PayloadTooLargeError('upload', maxUploadBytes); } });

  // ---- health, schema, status --------------------------------------------------------------
  app.get('/healthz', (c) => c.json({ ok: true as const }));
  app.get('/openapi.json', (c) => c.json(openapi));

  app.get('/v1/status', async (c) => {
    let index = null;
    let retrievers = ['bm25'];
    let engine0: Engine | undefined;
    try {
      const engine = await engines.get();
      if (engine instanceof Engine) {
        engine0 = engine;
        if (models.embedder && engine.hasDenseIndex()) retrievers = ['bm25', 'dense', 'hybrid'];
        const s = engine.reader.stats();
        index = { dir: redact(options.indexDir), generation: s.generation, committedAt: s.committedAt, numDocuments: s.numDocuments, numChunks: s.numChunks, analyzer: s.analyzer, metadataFields: engine.reader.metadataFields() };
      } else {
        const s = await engine.store.stats();
        if (models.embedder && (await engine.hasVectors())) retrievers = ['bm25', 'dense', 'hybrid'];
        index = { dir: maskUrl(engine.store.url), generation: s.generation, committedAt: s.committedAt, numDocuments: s.numDocuments, numChunks: s.numChunks, analyzer: s.analyzer, metadataFields: await storeMetadataFields(engine, s.generation) };
      }
    } catch (err) {
      if (!(err instanceof OpenbookError && err.code === 'INDEX_NOT_FOUND')) throw err;
    }
    return c.json({
      version,
      index,
      jobs: { active: jobs.active },
      methods: [...methods.values()].map((m) => ({ name: m.name, description: m.description })),
      retrievers,
      examples: engine0 ? examplesOf(engine0) : [],
      auth: Boolean(cfg.apiKey),
      limits: { maxBodyBytes: cfg.maxBodyBytes, maxUploadBytes, rateLimitPerMinute: rateLimit },
    });
  });

  // ---- search and ask ----------------------------------------------------------------------
  app.get('/v1/search', async (c) => {
    const query = withRetrievalDefaults(parse(SearchQuery, c.req.query(), 'query string'), options.retrieval);
    const started = now();
    const engine = await engines.get();
    const hits = await engine.search(query.q, {
      ...httpSearchOptions(query, 10),
      ...rerankOptions(query, engine),
      ...(query.filter !== undefined ? { filter: filterFromInput(query.filter) } : {}),
      signal: c.req.raw.signal,
    });
    if (query.highlight) {
      // Highlights only when asked (the web page's search view): the CLI's analysis of each hit text.
      const withSpans = hits.map((h) => ({ ...hitJson(h), highlights: engine.highlightSpans(query.q, h.text) }));
      return c.json({ query: query.q, retriever: query.retriever ?? 'bm25', hits: withSpans, tookMs: now() - started });
    }
    return jsonResponse(c, jsonWithHits({ query: query.q, retriever: query.retriever ?? 'bm25', hits, tookMs: now() - started }, hitCacheOf(engine)));
  });

  app.post('/v1/ask', jsonLimit, async (c) => {
    const body = withRetrievalDefaults(parse(AskRequest, await readJson(c), 'request body'), options.retrieval);
    const method = pickMethod(methods, body.method);
    const started = now();
    const wantsStream = (c.req.header('Accept') ?? '').includes('text/event-stream');
    if (!wantsStream) {
      const engine = await engines.get();
      const answer = await method.run(body, { engine, onToken: () => {}, signal: c.req.raw.signal });
      return jsonResponse(c, jsonWithHits({ ...answerBody(answer, now() - started), hits: answer.hits }, hitCacheOf(engine)));
    }
    // Resolve the engine before the stream opens so "no index" is a plain 404, not an event.
    const engine = await engines.get();
    return streamSSE(c, async (stream) => {
      let writes = Promise.resolve();
      const send = (event: string, data: unknown) => {
        writes = writes.then(() => stream.writeSSE({ event, data: JSON.stringify(data) }));
        return writes;
      };
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      try {
        const answer = await method.run(body, { engine, onToken: (delta) => void send('token', { delta }), signal: abort.signal });
        const full = answerBody(answer, now() - started);
        await send('citations', full.citations);
        await send('hits', full.hits);
        await send('trace', full.trace ?? []);
        await send('done', full);
      } catch (err) {
        const e = err instanceof OpenbookError ? { code: err.code, message: redact(err.message) } : { code: 'INTERNAL', message: 'internal server error (see the server log)' };
        if (!(err instanceof OpenbookError)) log(`ask stream failed: ${errorLine(err)}`);
        await send('error', { error: e });
      }
    });
  });

  // ---- documents and jobs ------------------------------------------------------------------
  /** A job's indexing summary as clients see it: each skipped file's reason redacted like every message. */
  const publicSummary = (summary: IndexSummary) => ({ ...summary, skippedFiles: summary.skippedFiles.map((f) => ({ source: redact(f.source), reason: redact(f.reason) })) });

  /** The analyzer and norms of the committed index, so a write job never asks to change them (none yet: the indexer's defaults). */
  const existingSettings = async (): Promise<{ analyzer?: string; luceneNorms?: boolean }> => {
    const engine = await engines.get().catch((err: unknown) => {
      if (err instanceof OpenbookError && err.code === 'INDEX_NOT_FOUND') return undefined;
      throw err;
    });
    return engine ? { analyzer: engine.reader.config.analyzer, luceneNorms: engine.reader.config.luceneNorms } : {};
  };

  app.post('/v1/documents', async (c, next) => {
    const type = c.req.header('Content-Type') ?? '';
    if (type.startsWith('multipart/form-data')) return uploadLimit(c, next);
    return jsonLimit(c, next);
  }, async (c) => {
    const type = c.req.header('Content-Type') ?? '';
    if (type.startsWith('multipart/form-data')) {
      const files = await acceptUploads(c.req.raw, { maxFileBytes });
      const replace = c.req.query('replace') === 'true';
      checkUploadNames(uploadDir, files, replace);
      const { job } = jobs.enqueue('upload', files.map((f) => f.name), async (ctx) => {
        const written = await writeUploads(uploadDir, files, replace);
        const summary = await underLock(ctx, async () =>
          indexInto({ indexDir: options.indexDir, paths: written, cwd: options.indexDir, roots: [uploadDir], now, ...(options.budgets ? { budgets: options.budgets } : {}), ...(await existingSettings()), onProgress: ctx.report, onWarning: (m) => log(`upload warning: ${m}`) }),
        );
        if (summary.committed) await engines.reload();
        return publicSummary(summary);
      });
      return c.json(job, 202);
    }
    if (!type.startsWith('application/json')) throw new UnsupportedMediaTypeError(`POST /v1/documents takes multipart/form-data (field "files") or application/json {"paths": [...]}, got ${JSON.stringify(type || 'no Content-Type')}`);
    const body = parse(IndexPathsRequest, await readJson(c), 'request body');
    const resolved: string[] = [];
    for (const p of body.paths) resolved.push(await resolveUnderRoots(p, roots));
    const { job } = jobs.enqueue('index-paths', body.paths, async (ctx) => {
      const summary = await underLock(ctx, async () =>
        indexInto({ indexDir: options.indexDir, paths: resolved, cwd: options.cwd, roots, now, ...(options.budgets ? { budgets: options.budgets } : {}), ...(await existingSettings()), onProgress: ctx.report, onWarning: (m) => log(`index warning: ${m}`) }),
      );
      if (summary.committed) await engines.reload();
      return publicSummary(summary);
    });
    return c.json(job, 202);
  });

  app.get('/v1/documents', async (c) => {
    const q = parse(ListQuery, c.req.query(), 'query string');
    const engine = await engines.get().catch((err: unknown) => {
      if (err instanceof OpenbookError && err.code === 'INDEX_NOT_FOUND') return undefined;
      throw err;
    });
    if (!engine) return c.json({ total: 0, offset: 0, documents: [], metadataFields: [] });
    if (!(engine instanceof Engine)) return c.json({ ...(await listStoreDocuments(engine, options.indexDir, q.offset ?? 0, q.limit ?? 100)), metadataFields: await storeMetadataFields(engine) });
    return c.json(listDocuments(engine, options.indexDir, q.offset ?? 0, q.limit ?? 100));
  });

  app.get('/v1/documents/:id{.+}', async (c) => {
    const engine = await engines.get();
    if (!(engine instanceof Engine)) return c.json(await storeDocumentDetail(engine, options.indexDir, c.req.param('id')));
    return c.json(await documentDetail(engine, options.indexDir, c.req.param('id')));
  });

  app.delete('/v1/documents/:id{.+}', async (c) => {
    const id = c.req.param('id');
    const engine = await engines.get();
    const present = engine instanceof Engine ? engine.reader.document(id) !== undefined : (await engine.reader.document(id)) !== undefined;
    if (!present) throw new NotFoundError(`no document with id ${JSON.stringify(id)} in the index`);
    const { job } = jobs.enqueue('delete', [id], async (ctx) => {
      const result = await underLock(ctx, () => (engine instanceof Engine ? deleteDocument(options.indexDir, id, now) : deleteStoreDocument(engine, options.indexDir, id, now)));
      if (result.committed) await engines.reload();
      return result;
    });
    return c.json(job, 202);
  });

  app.get('/v1/jobs/:id', (c) => {
    const job = jobs.get(c.req.param('id'));
    if (!job) throw new NotFoundError(`no job ${JSON.stringify(c.req.param('id'))} (job records are kept for the last 500 jobs)`);
    return c.json(job);
  });

  // ---- the page ----------------------------------------------------------------------------
  const page = (name: string) => (c: Context) => {
    const f = staticFiles.get(name);
    if (!f) throw new NotFoundError(`no page file ${name}`);
    c.header('Content-Type', f.type);
    c.header('Cache-Control', 'no-cache');
    if (name.endsWith('.html')) c.header('Content-Security-Policy', CSP);
    return c.body(f.bytes);
  };
  app.get('/', page('index.html'));
  app.get('/static/:name', (c) => page(c.req.param('name'))(c));

  return { app, jobs, engines, options: { maxUploadBytes, maxFileBytes } };
}

/** Example questions per Engine (per commit), from its document titles. */
const exampleCache = new WeakMap<Engine, string[]>();
function examplesOf(engine: Engine): string[] {
  let ex = exampleCache.get(engine);
  if (!ex) {
    ex = exampleQuestions([...engine.reader.documents()]);
    exampleCache.set(engine, ex);
  }
  return ex;
}

/** One HitJsonCache per Engine, i.e. per commit: a reload starts a new one, and the old goes with its Engine. */
// The store's one PgEngine spans commits: its cache is safe because an entry is reused only for a hit with the same fixed part, and its meta is written per hit.
const hitCaches = new WeakMap<Engine | PgEngine, HitJsonCache>();
function hitCacheOf(engine: Engine | PgEngine): HitJsonCache {
  let cache = hitCaches.get(engine);
  if (!cache) {
    cache = engine instanceof Engine ? new HitJsonCache(undefined, (docId) => engine.documentMeta(docId)) : new HitJsonCache(undefined, (docId) => engine.documentMeta(docId), false);
    hitCaches.set(engine, cache);
  }
  return cache;
}

/**
 * `JSON.stringify(body)` with its `hits` field (the hits themselves, not their JSON shapes)
 * written by `cache.array`: the same text, keys in the same order (undefined fields left out).
 */
function jsonWithHits(body: Record<string, unknown> & { hits: readonly Hit[] }, cache: HitJsonCache): string {
  let out = '{';
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    out += (out.length > 1 ? ',' : '') + JSON.stringify(key) + ':' + (key === 'hits' ? cache.array(body.hits) : JSON.stringify(value));
  }
  return out + '}';
}

/** A 200 with a JSON text already written (what `c.json` sends, without serialising again). */
function jsonResponse(c: Context, text: string): Response {
  return c.body(text, 200, { 'Content-Type': 'application/json' });
}

/** The answer in the CLI's `ask --json` shape, plus each citation's `quoteStart` and the time taken. */
function answerBody(a: Answer, tookMs: number) {
  const base = answerJson(a);
  return { ...base, citations: base.citations.map((c, i) => ({ ...c, quoteStart: a.citations[i].quoteStart })), tookMs };
}

/**
 * A body limit that decides from `Content-Length` alone when the request declares one (Node's HTTP
 * parser never delivers more bytes than it declares), without touching the body stream; only a
 * chunked body goes through `streaming` (Hono's bodyLimit, which counts while reading). Asking
 * for the stream turns the node adapter's light request into a full fetch Request: ~8 % of an
 * ask request's CPU.
 */
function withDeclaredLength(maxBytes: number, what: string, streaming: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    const length = c.req.header('Content-Length');
    if (length !== undefined && c.req.header('Transfer-Encoding') === undefined && /^\d+$/.test(length.trim())) {
      if (Number(length) > maxBytes) throw new PayloadTooLargeError(what, maxBytes);
      return next();
    }
    return streaming(c, next);
  };
}

/** Reads a JSON body: 415 unless `Content-Type: application/json`, MalformedJsonError when it does not parse. */
async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('Content-Type') ?? '';
  if (!type.startsWith('application/json')) throw new UnsupportedMediaTypeError(`expected Content-Type: application/json, got ${JSON.stringify(type || 'none')}`);
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MalformedJsonError((err as Error).message);
  }
}

/** Validates with a schema; the first problems become one InvalidParameterError naming the fields. */
function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new InvalidParameterError(`invalid ${where}: ${problems.join('; ')}`);
}

/** The client key for rate limiting: the peer address, or "local" when called without a socket. */
function clientId(c: Context<ServerEnv>): string {
  return c.env?.incoming?.socket?.remoteAddress ?? 'local';
}

function errorLine(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Reads the page's files once per server (an allow-list: only files present at start are served). */
function loadStatic(dir: string): Map<string, { bytes: Uint8Array<ArrayBuffer>; type: string }> {
  const files = new Map<string, { bytes: Uint8Array<ArrayBuffer>; type: string }>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return files; // no page shipped: the API still works
  }
  for (const name of names) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type) files.set(name, { bytes: new Uint8Array(readFileSync(path.join(dir, name))), type });
  }
  return files;
}
