/**
 * Prints a worked trace of every method for docs/methods.md: each runs against the loopback
 * server (scripted replies stand in for an LLM) over the five test passages.
 * Run: npx tsx test/methods/support/worked-traces.ts
 */
import { formatTrace } from '../../../src/methods/format.js';
import { parseKnowledgeGraph, type KnowledgeGraph } from '../../../src/methods/kg.js';
import { runMethod } from '../../../src/methods/registry.js';
import { startOpenAIServer, type ChatReply } from '../../support/openai-server.js';
import { byDocument, context, MemoryRetriever, model } from './memory.js';

const Q = 'What is the capital of France?';
/** RoG's knowledge graph: four triples (TSV), as a file `kg.tsv` would hold them. */
const KG = parseKnowledgeGraph('Hamlet\twritten_by\tWilliam Shakespeare\nWilliam Shakespeare\tborn_in\tStratford-upon-Avon\nWilliam Shakespeare\tspouse\tAnne Hathaway\nHamlet\tset_in\tDenmark\n', 'kg.tsv');
const runs: Array<{ name: string; replies?: ChatReply[]; params?: Record<string, unknown>; scripted?: boolean; question?: string; kg?: KnowledgeGraph }> = [
  { name: 'closed-book', replies: ['Paris'] },
  { name: 'naive', replies: ['Paris [1]'] },
  { name: 'hyde', replies: [{ content: ['Paris has been the capital of France since 987.', 'The French capital is Paris.'] }, 'Paris [1]'], params: { numHypotheses: 2 } },
  { name: 'lamer', replies: [{ content: ['The capital of France is Paris.', 'Paris, on the Seine, is the capital.'] }, 'Paris [1]'], params: { numAnswers: 2 } },
  { name: 'recitation', replies: [{ content: ['Paris is the capital and largest city of France.', 'Lyon is a city in France.', 'France: capital Paris.'] }, 'Paris', 'Lyon', 'Paris'], params: { numPaths: 3 } },
  { name: 'replug', scripted: true, params: { mode: 'token' } },
  { name: 'realm', scripted: true },
  { name: 'rag-sequence', scripted: true, params: { decoding: 'thorough' } },
  { name: 'rag-token', scripted: true, params: { beamSize: 2 } },
  { name: 'sure', replies: ['(a) Paris, (b) Lyon', 'Paris is the capital of France. [DONE]', 'Lyon is a large French city.', 'True', 'False', 'Passage 1', 'Passage 2'] },
  { name: 'retrobust', replies: ['Berlin [2]', 'contradiction', 'Paris'] },
  { name: 'self-rag', replies: ['Yes', 'Yes', 'Paris', 'Fully', '5', 'No', 'Berlin', 'No', '2'] },
  { name: 'search-r1', replies: ['<think>I need the capital.</think><search> capital of France </search>', '<think>Doc 1 says Paris.</think><answer> Paris </answer>'] },
  { name: 'duetrag', replies: ['Marseille', 'Paris [1]'] },
  { name: 'rog', replies: ['<PATH> written_by <SEP> born_in </PATH>\n<PATH> written_by <SEP> spouse </PATH>\n<PATH> directed_by </PATH>', 'Stratford-upon-Avon [1]'], question: 'Where was the author of Hamlet born?', kg: KG },
];

for (const run of runs) {
  const server = await startOpenAIServer(run.scripted ? { chat: byDocument } : {});
  if (run.replies) server.enqueueChat(...run.replies);
  const a = await runMethod(run.name, run.question ?? Q, context(model(server), new MemoryRetriever(), run.kg ? { kg: run.kg } : {}), run.params ?? {});
  process.stdout.write(`### ${run.name}\n\nanswer: ${a.answer}   (calls ${a.calls}, tokens ${a.usage!.promptTokens}+${a.usage!.completionTokens})\n\n${formatTrace(a.trace!, { maxChars: 90, maxItems: 4 })}\n`);
  await server.close();
}
