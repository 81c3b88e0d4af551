/**
 * Durability: `openbook serve` is killed with SIGKILL in the middle of indexing an upload. After a
 * restart, everything committed before is still served, the interrupted job reports failure
 * (it does not hang as "running"), and the stale writer lock does not block the next upload.
 */
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobSchema, SearchResponse, StatusResponse } from '../../src/server/schemas.js';
import { exited, startServe as startServeCli } from '../support/cli.js';
import { makeFixture, waitForJob, type Fixture } from './helpers.js';


function startServe(fx: Fixture): Promise<{ url: string; child: ChildProcess }> {
  return startServeCli(['--index', fx.indexDir, '--root', fx.docsDir, '--port', '0', '--rate-limit', '0']);
}

describe('kill -9 during an upload', () => {
  let fx: Fixture;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    fx = await makeFixture();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await rm(fx.dir, { recursive: true, force: true });
  });

  it('loses nothing committed, reports the job failed, and accepts the next upload', async () => {
    const first = await startServe(fx);
    child = first.child;
    // 30 000 JSONL documents: long enough to be caught mid-index.
    const lines = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ _id: `w${i}`, title: `wombat ${i}`, text: `Wombat burrow survey record ${i}, soil type ${i % 11}.` }));
    const form = new FormData();
    form.append('files', new Blob([lines.join('\n') + '\n']), 'wombats.jsonl');
    const up = await fetch(`${first.url}/v1/documents`, { method: 'POST', headers: { 'X-Openbook-Request': '1' }, body: form });
    expect(up.status).toBe(202);
    const id = JobSchema.parse(await up.json()).id;
    // Wait until the job is indexing, then kill the server without warning.
    for (;;) {
      const job = JobSchema.parse(await (await fetch(`${first.url}/v1/jobs/${id}`)).json());
      expect(job.status).not.toBe('succeeded'); // if this fires, make the upload bigger
      if (job.status === 'running' && job.progress?.phase === 'index') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    await exited(first.child);

    const second = await startServe(fx);
    child = second.child;
    const job = JobSchema.parse(await (await fetch(`${second.url}/v1/jobs/${id}`)).json());
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('JOB_INTERRUPTED');
    // The commit made before the upload (generation 1, 2 documents) is intact and served.
    const status = StatusResponse.parse(await (await fetch(`${second.url}/v1/status`)).json());
    expect(status.index).toMatchObject({ generation: 1, numDocuments: 2 });
    const hits = SearchResponse.parse(await (await fetch(`${second.url}/v1/search?q=term%20frequency`)).json()).hits;
    expect(hits[0].docId).toBe('docs/bm25.md');
    expect(SearchResponse.parse(await (await fetch(`${second.url}/v1/search?q=wombat`)).json()).hits).toEqual([]);

    // The dead process's writer lock is taken over: a new upload commits generation 2.
    const again = new FormData();
    again.append('files', new Blob(['# Echidna\n\nEchidnas lay eggs.\n']), 'echidna.md');
    const up2 = await fetch(`${second.url}/v1/documents`, { method: 'POST', headers: { 'X-Openbook-Request': '1' }, body: again });
    const done = await waitForJob(second.url, JobSchema.parse(await up2.json()).id);
    expect(done).toMatchObject({ status: 'succeeded', result: { added: 1, generation: 2 } });
    second.child.kill('SIGTERM');
    await exited(second.child);
    child = undefined;
  }, 120_000);
});
