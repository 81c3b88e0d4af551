/**
 * The methods' prompt templates, by name. A template is text with `{{slot}}`s, rendered by
 * `renderTemplate` of `src/generate/prompts.ts` (the one template mechanism of openbook): a slot
 * without a value is an error naming the template and the slot, never an empty string. Wording follows each
 * paper's prompt where the paper gives one (Search-R1's instruction, SuRe's candidate / summary /
 * validation / ranking prompts, HyDE's "write a passage"), shortened for chat models.
 */
import { renderTemplate } from '../generate/prompts.js';

export const methodPrompts = {
  /** Shared system line for answers grounded in numbered passages. */
  'answer.system':
    'Answer the question using the numbered passages. Cite every passage you use with its marker, e.g. [1]. Give a short answer (a few words or one sentence). If the passages do not contain the answer, say so.',
  'answer.user': 'Passages:\n{{passages}}\n\nQuestion: {{question}}\nAnswer:',
  'closed.system': 'Answer the question from your own knowledge. Give a short answer (a few words or one sentence).',
  'closed.user': 'Question: {{question}}\nAnswer:',
  /** Raw (non-chat) prompt for continuation scoring in REPLUG / RAG: one document, then the question. */
  'doc.raw': 'Document: {{passage}}\n\nQuestion: {{question}}\nAnswer:',
  'doc.user': 'Document: {{passage}}\n\nQuestion: {{question}}\nAnswer with a few words only.',
  /** HyDE (Gao et al. 2023, §4 "write a passage to answer the question"). */
  'hyde.user': 'Please write a passage to answer the question.\nQuestion: {{question}}\nPassage:',
  /** LameR: candidate answers written in-context from the first retrieval. */
  'lamer.user':
    'Candidate passages (retrieved, possibly wrong):\n{{passages}}\n\nQuestion: {{question}}\nWrite one short passage that answers the question, in the style of the candidate passages.',
  /** RECITE (Sun et al. 2023): recite, then answer from the recitation. */
  'recite.user': 'Question: {{question}}\nRecite a short passage from your memory (e.g. a Wikipedia paragraph) that contains the answer to the question. Write only the passage.',
  'recite.answer': 'Passage: {{recitation}}\n\nQuestion: {{question}}\nAnswer the question based on the passage, with a few words only.',
  /** SuRe (Kim et al. 2024), step 1: two candidates. */
  'sure.candidates':
    'Below are {{k}} passages related to the question, then the question. Give {{numCandidates}} short candidate answers (at most 3 words each) in the form "(a) ..., (b) ...".\n\n{{passages}}\n\nQuestion: {{question}}\nAnswer:',
  /** SuRe step 2: a candidate-conditioned summary. */
  'sure.summary':
    'You are a professional writer. Using only the passages below, write a short passage (at most 100 words) that supports the prediction for the question. Write [DONE] at the end.\n\n{{passages}}\n\nQuestion: {{question}}\nPrediction: {{candidate}}\nSummary:',
  /** SuRe step 3: validity. */
  'sure.validate': 'Question: {{question}}\nPrediction: {{candidate}}\nPassage: {{summary}}\n\nDoes the passage support the prediction? Answer True or False.',
  /** SuRe step 4: pairwise ranking. */
  'sure.rank': 'Question: {{question}}\n\nPassage 1: {{summary1}}\n\nPassage 2: {{summary2}}\n\nWhich passage is more informative and more relevant for answering the question? Answer "Passage 1" or "Passage 2".',
  /** RetRobust's gate through the LLM when no NLI model is configured. */
  'nli.user':
    'Premise: {{premise}}\n\nHypothesis: {{hypothesis}}\n\nDoes the premise entail the hypothesis? Answer with exactly one word: entailment, neutral, or contradiction.',
  /** Self-RAG, prompted form (no reflection-token model). */
  'selfrag.retrieve': 'Question: {{question}}\nTo answer this question well, would you need to look up external documents? Answer Yes or No.',
  'selfrag.relevant': 'Question: {{question}}\nPassage: {{passage}}\n\nIs the passage relevant to the question? Answer Yes or No.',
  'selfrag.supported':
    'Passage: {{passage}}\nQuestion: {{question}}\nAnswer: {{answer}}\n\nIs the answer supported by the passage? Answer with one word: Fully, Partially, or No.',
  'selfrag.useful': 'Question: {{question}}\nAnswer: {{answer}}\n\nRate how useful the answer is for the question on a scale from 1 (useless) to 5 (fully answers it). Reply with the digit only.',
  /** Search-R1 (Jin et al. 2025), the instruction of its released inference script, reworded. */
  'searchr1.user':
    'Answer the given question. You must conduct reasoning inside <think> and </think> first every time you get new information. After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query </search>, and it will return the top searched results between <information> and </information>. You can search as many times as you want. If you find no further external knowledge needed, you can directly provide the answer inside <answer> and </answer> without detailed illustrations. For example, <answer> Beijing </answer>. Question: {{question}}\n',
  /** DuetRAG referee by prompt. */
  'duet.referee':
    'Question: {{question}}\n\nEvidence:\n{{passages}}\n\nAnswer A (from the model\'s own knowledge): {{closed}}\nAnswer B (from the evidence): {{open}}\n\nWhich answer is correct? Reply "A" or "B" on the first line, then the final short answer on the second line, citing the evidence with [n] if you use it.',
} as const;

export type MethodPromptName = keyof typeof methodPrompts;

/**
 * Fills the `{{slot}}`s of the named method template (values inserted literally).
 * @throws InvalidParameterError naming the template and the slot when a value is missing
 */
export function renderPrompt(name: MethodPromptName, values: Record<string, string | number>): string {
  return renderTemplate(name, methodPrompts[name], values);
}
