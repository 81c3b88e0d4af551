/** Shared fixtures of the server tests: a small bilingual corpus on disk and a real server on 127.0.0.1. */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ServerConfig } from '../../src/config/schema.js';
import { indexPaths } from '../../src/engine/indexer.js';
import type { ServerOptions } from '../../src/server/app.js';
import { listen, type RunningServer } from '../../src/server/listen.js';

export const EN_DOC = `# BM25

BM25 ranks documents by term frequency and inverse document frequency.
The parameter k1 controls term-frequency saturation, and b controls length normalisation.
Lucene uses k1 = 1.2 and b = 0.75 by default.
`;

export const KO_DOC = `# 검색 증강 생성

검색 증강 생성(RAG)은 질문과 관련된 문서를 먼저 검색한 뒤 그 문서를 근거로 답을 생성한다.
HyDE는 질문에 대한 가상의 문서를 먼저 생성하고 그 문서로 검색한다.
인용은 답의 각 문장이 어느 문서에서 왔는지 보여 준다.
`;

export interface Fixture {
  /** Temp folder: `docs/` (the allowed root), `outside/`, and the index `.openbook/`. */
  dir: string;
  docsDir: string;
  indexDir: string;
}

/** Writes docs/bm25.md and docs/rag-ko.md (and outside/secret.md) and indexes docs/ with cwd = dir. */
export async function makeFixture(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'openbook-server-'));
  const docsDir = path.join(dir, 'docs');
  await mkdir(docsDir);
  await mkdir(path.join(dir, 'outside'));
  await writeFile(path.join(docsDir, 'bm25.md'), EN_DOC);
  await writeFile(path.join(docsDir, 'rag-ko.md'), KO_DOC);
  await writeFile(path.join(dir, 'outside', 'secret.md'), '# Secret\n\nThe launch code is 0000.\n');
  const indexDir = path.join(dir, '.openbook');
  await indexPaths({ indexDir, paths: ['docs'], cwd: dir, now: Date.now });
  return { dir, docsDir, indexDir };
}

/** A real server on 127.0.0.1 (free port) over the fixture; `server` overrides the config's server section. */
export async function startOn(fx: Fixture, server: Partial<ServerConfig> = {}, extra: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const cfg = ServerConfig.parse({ host: '127.0.0.1', port: 0, rateLimitPerMinute: 0, roots: [fx.docsDir], ...server });
  return listen({ indexDir: fx.indexDir, server: cfg, cwd: fx.dir, log: () => {}, ...extra });
}

/** Polls GET /v1/jobs/:id until the job ends (or `timeoutMs` passes). */
export async function waitForJob(url: string, id: string, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await fetch(`${url}/v1/jobs/${id}`, { headers })).json()) as Record<string, unknown>;
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${String(job.status)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Parses an SSE body into [event, data] pairs. */
export function parseSse(body: string): Array<[string, unknown]> {
  return body
    .split('\n\n')
    .filter((f) => f.trim() !== '')
    .map((frame) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return [event, JSON.parse(data.join('\n'))] as [string, unknown];
    });
}
