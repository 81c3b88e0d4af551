/**
 * Pooling of token vectors into one sentence vector, as sentence-transformers' `Pooling` module
 * does (Reimers & Gurevych, "Sentence-BERT", EMNLP 2019, §3; reference implementation
 * sentence_transformers/models/Pooling.py):
 *   - mean: Σ_t m_t·h_t / max(Σ_t m_t, 1e-9) over the attention mask m (padding excluded);
 *   - cls:  h_0, the first token's vector ([CLS] / <s>).
 * And L2 normalisation as torch.nn.functional.normalize: v / max(‖v‖₂, 1e-12).
 *
 * `hidden` is the row-major [batch, seq, dim] output of the model (last_hidden_state).
 */
export type PoolingMode = 'mean' | 'cls';
export const poolingModes: readonly PoolingMode[] = ['mean', 'cls'];

/** Mean of the unmasked token vectors of each sequence. */
export function meanPool(hidden: Float32Array, mask: ArrayLike<number>, batch: number, seq: number, dim: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float32Array(dim);
    let count = 0;
    for (let t = 0; t < seq; t++) {
      const m = mask[b * seq + t];
      if (!m) continue;
      count += m;
      const off = (b * seq + t) * dim;
      for (let d = 0; d < dim; d++) v[d] += m * hidden[off + d];
    }
    const denom = Math.max(count, 1e-9);
    for (let d = 0; d < dim; d++) v[d] /= denom;
    out.push(v);
  }
  return out;
}

/** The first token's vector of each sequence. */
export function clsPool(hidden: Float32Array, batch: number, seq: number, dim: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) out.push(hidden.slice(b * seq * dim, b * seq * dim + dim));
  return out;
}

/** In-place L2 normalisation, v / max(‖v‖₂, 1e-12); returns `v`. */
export function l2NormalizeInPlace(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}
