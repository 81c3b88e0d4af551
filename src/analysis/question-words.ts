/**
 * Question words: the words of a question that say what kind of answer is wanted ("what",
 * "how", "무엇", "어떻게" …), not where it is. Both `ask`'s retrieval (BM25) and the offline
 * extractive answerer drop them, so "What does asn1_parser2tree do?" searches for
 * `asn1_parser2tree` and not for every page that says "What do they do?".
 *
 * The lists (surface forms, matched case-insensitively on whole words, trailing punctuation
 * ignored):
 *  - English: `ENGLISH_QUESTION_WORDS` — interrogatives, auxiliaries and request words. They
 *    are not stop words for content: "can", "will" or "do" inside a sentence of a document are
 *    still indexed and matched; only the question loses them.
 *  - Korean: `KOREAN_QUESTION_WORDS` — interrogatives (무엇, 어떻게, 왜, 언제, 어디, 누구, 몇,
 *    얼마 …) and request words (설명해줘, 알려주세요 …), each also with a particle or copula
 *    ending attached (`KOREAN_ATTACHED`: 무엇을, 누구인가요, 어디에서 …); question-closing
 *    predicates that carry no content on their own (하나요, 인가요, 되나요, 있나요, 합니까 …).
 *    "몇 년" keeps "년"; "보정하나요" keeps the whole word (its stem is content).
 *
 * When every word of a question is a question word, the question is used unchanged.
 */

/** English question words (lower case). */
export const ENGLISH_QUESTION_WORDS: readonly string[] = (
  'what which who whom whose when where why how does do did is are was were can could should would will ' +
  "explain describe tell me please what's who's how's where's"
).split(' ');

/** Korean interrogatives and request words (bare forms). */
export const KOREAN_QUESTION_WORDS: readonly string[] = (
  '무엇 뭐 뭘 뭔 무슨 어떻게 어떤 어느 왜 언제 어디 누가 누구 몇 얼마 얼마나 ' +
  '설명해 설명해줘 설명해주세요 설명하라 알려줘 알려주세요 말해줘 ' +
  '하나요 인가요 되나요 있나요 합니까 입니까 됩니까 있습니까 했나요 였나요 이었나요 했는가 인가 일까 인지'
).split(' ');

/** Particles and copula endings that may follow a Korean interrogative in one word ("무엇을", "누구인가요"). */
export const KOREAN_ATTACHED: readonly string[] = (
  '을 를 이 가 은 는 의 에 에서 에게 으로 로 와 과 도 만 까지 부터 ' +
  '인가 인가요 인가? 인지 인지요 입니까 이었나 이었는가 였나 였는가 였을까 일까 일까요 이야 이에요 예요 이죠 죠 ' +
  '이라고 라고 이라는 라는 이든 든 나 냐 니 인데 에서는 에는 으로는 로는'
).split(' ');

const english = new Set(ENGLISH_QUESTION_WORDS);
const koreanBare = new Set(KOREAN_QUESTION_WORDS);
const attached = [...KOREAN_ATTACHED].sort((a, b) => b.length - a.length);

/** Whether one whitespace-separated word of a question is a question word (see the module comment). */
export function isQuestionWord(word: string): boolean {
  const w = word.toLowerCase().replace(/^[("'“‘«]+|[)"'”’».,;:!?？！。…]+$/gu, '');
  if (w === '') return false;
  if (english.has(w)) return true;
  if (koreanBare.has(w)) return true;
  for (const bare of ['무엇', '뭐', '어떻게', '어떤', '어느', '왜', '언제', '어디', '누가', '누구', '몇', '얼마', '얼마나', '무슨']) {
    if (!w.startsWith(bare)) continue;
    const rest = w.slice(bare.length);
    if (attached.some((p) => rest === p)) return true;
  }
  return false;
}

/**
 * The question without its question words, for retrieval: the remaining words joined by one
 * space, or the question unchanged when nothing would remain.
 * @example contentQuery('What does asn1_parser2tree do?') === 'asn1_parser2tree'
 */
export function contentQuery(question: string): string {
  const words = question.split(/\s+/).filter((w) => w !== '');
  const kept = words.filter((w) => !isQuestionWord(w));
  if (kept.length === 0) return question;
  return kept.join(' ');
}
