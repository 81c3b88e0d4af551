/**
 * The shared VectorIndex contract: every implementation (ExactIndex, HnswIndex) runs these cases.
 * The data sets are tiny (≤ 4 vectors), so an approximate index must answer exactly too.
 */
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DimensionMismatchError, IndexFormatError, InvalidParameterError } from '../../../src/core/errors.js';
import { loadVectorIndex } from '../../../src/index/dense/factory.js';
import type { VectorIndex, VectorMetric, VectorStorage } from '../../../src/index/dense/types.js';

export type MakeIndex = (o: { dimension: number; metric: VectorMetric; storage?: VectorStorage }) => VectorIndex;

const v = (...xs: number[]) => new Float32Array(xs);
/** ids 1, 2, 3 → [1,0], [0,2], [1,1]; query [2,1]. */
const DATA = v(1, 0, 0, 2, 1, 1);
const Q = v(2, 1);

export function vectorIndexContract(name: string, make: MakeIndex, options: { storages?: VectorStorage[] } = {}): void {
  describe(`${name}: VectorIndex contract`, () => {
    const dirs: string[] = [];
    afterEach(() => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    it('cosine: ranks by cos(q, x)', () => {
      // cos([2,1],[1,0]) = 2/√5 = 0.894427; cos([2,1],[0,2]) = 2/(√5·2) = 0.447214; cos([2,1],[1,1]) = 3/(√5·√2) = 0.948683
      const index = make({ dimension: 2, metric: 'cosine' });
      index.add([1, 2, 3], DATA);
      const hits = index.search(Q, 3);
      expect(hits.map((h) => h.id)).toEqual([3, 1, 2]);
      expect(hits.map((h) => h.score)).toEqual([expect.closeTo(0.948683, 5), expect.closeTo(0.894427, 5), expect.closeTo(0.447214, 5)]);
    });

    it('dot: ranks by q · x, ties by smaller id', () => {
      // [2,1]·[1,0] = 2; [2,1]·[0,2] = 2; [2,1]·[1,1] = 3
      const index = make({ dimension: 2, metric: 'dot' });
      index.add([1, 2, 3], DATA);
      const hits = index.search(Q, 3);
      expect(hits.map((h) => h.id)).toEqual([3, 1, 2]);
      expect(hits.map((h) => h.score)).toEqual([expect.closeTo(3, 5), expect.closeTo(2, 5), expect.closeTo(2, 5)]);
    });

    it('l2: score is −‖q − x‖²', () => {
      // ‖[2,1]−[1,0]‖² = 1+1 = 2; ‖[2,1]−[0,2]‖² = 4+1 = 5; ‖[2,1]−[1,1]‖² = 1
      const index = make({ dimension: 2, metric: 'l2' });
      index.add([1, 2, 3], [v(1, 0), v(0, 2), v(1, 1)]);
      expect(index.search(Q, 2).map((h) => [h.id, Math.round(h.score * 1e5) / 1e5])).toEqual([
        [3, -1],
        [1, -2],
      ]);
    });

    it('returns at most size hits; an empty index returns none', () => {
      const index = make({ dimension: 2, metric: 'cosine' });
      expect(index.search(Q, 5)).toEqual([]);
      index.add([7], v(0, 1));
      expect(index.size).toBe(1);
      expect(index.search(Q, 5).map((h) => h.id)).toEqual([7]);
    });

    it('replaces the vector of an id added again', () => {
      const index = make({ dimension: 2, metric: 'dot' });
      index.add([1, 2, 3], DATA);
      index.add([1], [v(5, 0)]); // [2,1]·[5,0] = 10
      expect(index.size).toBe(3);
      expect(index.search(Q, 1)).toEqual([{ id: 1, score: expect.closeTo(10, 4) }]);
    });

    it('rejects wrong dimensions, counts, ids and topK with typed errors', () => {
      const index = make({ dimension: 2, metric: 'cosine' });
      expect(() => index.add([1], v(1, 2, 3))).toThrow(DimensionMismatchError);
      expect(() => index.add([1], [v(1, 2, 3)])).toThrow(DimensionMismatchError);
      expect(() => index.add([1, 2], v(1, 2))).toThrow(/2 ids but 1 vectors/);
      expect(() => index.add([-1], v(1, 2))).toThrow(InvalidParameterError);
      expect(() => index.add([4, 4], v(1, 2, 3, 4))).toThrow(/appears twice/);
      index.add([1], v(1, 2));
      expect(() => index.search(v(1, 2, 3), 1)).toThrow(DimensionMismatchError);
      expect(() => index.search(Q, 0)).toThrow(InvalidParameterError);
    });

    it('saves and loads back with the same answers; a truncated file is an IndexFormatError', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'openbook-vec-'));
      dirs.push(dir);
      const index = make({ dimension: 2, metric: 'cosine' });
      index.add([1, 2, 3], DATA);
      const desc = await index.save(dir, 'g1');
      expect(desc.size).toBe(3);
      const back = await loadVectorIndex(dir, desc);
      expect(back.kind).toBe(index.kind);
      expect(back.search(Q, 3)).toEqual(index.search(Q, 3));
      truncateSync(join(dir, desc.files[0]), 3);
      await expect(loadVectorIndex(dir, desc)).rejects.toThrow(IndexFormatError);
    });

    for (const storage of options.storages ?? ['float16', 'int8']) {
      it(`${storage} storage keeps the ranking and scores within quantisation error`, async () => {
        const index = make({ dimension: 2, metric: 'cosine', storage });
        index.add([1, 2, 3], DATA);
        const hits = index.search(Q, 3);
        expect(hits.map((h) => h.id)).toEqual([3, 1, 2]);
        // binary16 keeps ~3 decimal digits; int8 keeps max|x|/254 per component
        expect(hits[0].score).toBeCloseTo(0.948683, storage === 'float16' ? 3 : 1);
        const dir = mkdtempSync(join(tmpdir(), 'openbook-vec-'));
        dirs.push(dir);
        const back = await loadVectorIndex(dir, await index.save(dir, 'q'));
        expect(back.storage).toBe(storage);
        expect(back.search(Q, 3)).toEqual(hits);
      });
    }
  });
}
