/**
 * A local NLI model: an ONNX sequence-classification folder (config.json `id2label`,
 * tokenizer.json, model.onnx) read by `OnnxSequenceClassifier`, the same runtime and tokenizer
 * stack as the local embedder. It is what RetRobust's gate (`methods/retrobust.ts`) calls through
 * `MethodContext.nli`; the paper's model is `facebook/bart-large-mnli` (labels 0 contradiction,
 * 1 neutral, 2 entailment), and any MNLI/XNLI export works (`cross-encoder/nli-deberta-v3-*`,
 * `MoritzLaurer/mDeBERTa-v3-base-xnli-multilingual-nli-2mil7` for Korean).
 *
 * The premise is the first text of the pair, the hypothesis the second; a pair longer than the
 * model's limit loses premise tokens only (`truncation_strategy="only_first"`, as the RetRobust
 * authors' `nli/src/utils.py` encodes it). Labels are found by name prefix (`entail`, `neutral`,
 * `contradict`, case-insensitive); a model without a neutral label (two-way NLI) reports
 * neutral 0.
 */
import { join } from 'node:path';
import { InputFormatError } from '../core/errors.js';
import { findLabel, OnnxSequenceClassifier, softmax, type SequenceClassifierOptions } from './sequence-classifier.js';

/** Probabilities of the three NLI labels for one premise–hypothesis pair (softmax over all of the model's labels). */
export interface NliProbabilities {
  entailment: number;
  neutral: number;
  contradiction: number;
}

/** Fits `NliModel` of `methods/method.ts` (structurally; models do not import methods). */
export class OnnxNliModel {
  readonly id: string;
  private readonly classifier: OnnxSequenceClassifier;
  private labelIndex: { e: number; n: number; c: number } | undefined;

  /** Cheap: nothing is read until `load()` (or the first `classify`). Options as `OnnxSequenceClassifier`'s; truncation is `only_first`. */
  constructor(private readonly options: Omit<SequenceClassifierOptions, 'truncation'>) {
    this.classifier = new OnnxSequenceClassifier({ ...options, truncation: 'only_first' });
    this.id = this.classifier.id;
  }

  /**
   * Loads the folder and finds the entailment / neutral / contradiction logits.
   * @throws InputFormatError when config.json's id2label names no entailment or no contradiction label
   * @throws the load errors of `OnnxSequenceClassifier` (missing folder/files, runtime not installed)
   */
  async load(): Promise<void> {
    if (this.labelIndex) return;
    await this.classifier.load();
    const labels = this.classifier.labels ?? [];
    const e = findLabel(labels, 'entail');
    const c = findLabel(labels, 'contradict');
    if (e < 0 || c < 0) {
      throw new InputFormatError(
        `${join(this.options.modelDir, 'config.json')}: id2label ${JSON.stringify(labels)} needs an entailment and a contradiction label for an NLI model (e.g. facebook/bart-large-mnli: contradiction, neutral, entailment)`,
      );
    }
    this.labelIndex = { e, n: findLabel(labels, 'neutral'), c };
  }

  /** p(label | premise, hypothesis) for the three labels: softmax over all of the model's logits. */
  async classify(premise: string, hypothesis: string, signal?: AbortSignal): Promise<NliProbabilities> {
    await this.load();
    const [row] = await this.classifier.classify([{ text: premise, textPair: hypothesis }], signal ? { signal } : {});
    const p = softmax(row);
    const { e, n, c } = this.labelIndex!;
    return { entailment: p[e], neutral: n >= 0 ? p[n] : 0, contradiction: p[c] };
  }

  async close(): Promise<void> {
    this.labelIndex = undefined;
    await this.classifier.close();
  }
}
