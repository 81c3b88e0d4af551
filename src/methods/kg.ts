/**
 * A small in-memory knowledge graph for RoG (`./rog.ts`): triples (head, relation, tail) read
 * from a file, topic-entity matching in a question, and the relation-path-constrained BFS that
 * turns a planned relation path into reasoning paths.
 *
 * File formats (one triple per line, blank lines and lines starting with `#` skipped; UTF-8):
 * - JSONL: `{"head": "Paris", "relation": "capital_of", "tail": "France"}`;
 * - TSV: `Paris\tcapital_of\tFrance` (exactly three tab-separated fields).
 * The format is chosen by the first non-blank line: `{` → JSONL, else TSV. Names are trimmed and
 * NFC-normalised; a triple repeated on a later line is kept once (its first line).
 *
 * The graph is directed: a triple lets the search go from head to tail only, and a path is
 * rendered `A —r1→ B —r2→ C`. (RoG's released code builds an undirected networkx graph, so its
 * BFS may also walk a triple backwards; we keep the direction so every rendered step is a triple
 * of the file as written.)
 */
import { readFile } from 'node:fs/promises';
import { InputFormatError, InvalidParameterError, NotFoundError } from '../core/errors.js';

/** One triple with the 1-based line of the file it came from. */
export interface Triple {
  head: string;
  relation: string;
  tail: string;
  /** 1-based line number in the source file. */
  line: number;
}

/**
 * An entity name found in a question: `question.slice(start, end)` equals `entity` after
 * lower-casing both (offsets are into the lower-cased question, the same as the question's
 * unless lower-casing changed a character's length, as for "İ").
 */
export interface TopicEntity {
  entity: string;
  start: number;
  end: number;
}

/** An entity–relation chain: `start`, then one triple per hop (triple i's head is the tail of triple i − 1). */
export interface ReasoningPath {
  start: string;
  triples: Triple[];
}

/** The result of following one relation path from one entity. */
export interface PathSearch {
  paths: ReasoningPath[];
  /** True when the search stopped at `limit` paths (or partial paths) before exhausting the graph. */
  truncated: boolean;
}

const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}\p{M}_]/u.test(ch);
const isHangul = (ch: string | undefined): boolean => ch !== undefined && /\p{Script=Hangul}/u.test(ch);

/** `A —r1→ B —r2→ C`: the entity–relation chain of a reasoning path. */
export function renderPath(path: ReasoningPath): string {
  return path.start + path.triples.map((t) => ` —${t.relation}→ ${t.tail}`).join('');
}

export class KnowledgeGraph {
  /** The triples in file order, duplicates removed. */
  readonly triples: readonly Triple[];
  /** Distinct entity names (heads and tails), in order of first appearance. */
  readonly entities: readonly string[];
  /** Distinct relation names, in order of first appearance. */
  readonly relations: readonly string[];
  private readonly out = new Map<string, Triple[]>();
  private readonly relationSet: Set<string>;
  /** Entity names sorted longest first (ties: first appearance), with their case-folded form. */
  private readonly byLength: Array<{ name: string; folded: string }>;

  /**
   * @param triples the triples (duplicates of (head, relation, tail) keep the first)
   * @param source where they came from (a path), used as the `source` of cited paths
   */
  constructor(
    triples: readonly Triple[],
    readonly source: string,
  ) {
    const seen = new Set<string>();
    const kept: Triple[] = [];
    const entities = new Set<string>();
    const relations = new Set<string>();
    for (const t of triples) {
      const key = `${t.head}\u0000${t.relation}\u0000${t.tail}`;
      if (seen.has(key)) continue;
      seen.add(key);
      kept.push(t);
      entities.add(t.head);
      entities.add(t.tail);
      relations.add(t.relation);
      let list = this.out.get(t.head);
      if (!list) this.out.set(t.head, (list = []));
      list.push(t);
    }
    this.triples = kept;
    this.entities = [...entities];
    this.relations = [...relations];
    this.relationSet = relations;
    this.byLength = this.entities.map((name) => ({ name, folded: name.toLowerCase() })).sort((a, b) => b.name.length - a.name.length);
  }

  /** The triples whose head is `entity`, in file order (empty for an unknown entity). */
  outgoing(entity: string): readonly Triple[] {
    return this.out.get(entity) ?? [];
  }

  hasRelation(relation: string): boolean {
    return this.relationSet.has(relation);
  }

  /**
   * Topic entities of a question: entity names of the graph that occur in it, compared after
   * lower-casing both (`String.prototype.toLowerCase`), longest names first; a match may not
   * overlap an earlier (longer) one, and must not continue a word on either side — except that
   * a name ending in Hangul may be followed by Hangul (Korean particles: "파리는" matches "파리").
   * Each entity is reported once, at its first non-overlapping occurrence.
   * @returns matches sorted by position in the question
   */
  topicEntities(question: string): TopicEntity[] {
    const q = question.toLowerCase();
    const taken: Array<[number, number]> = [];
    const found: TopicEntity[] = [];
    for (const { name, folded } of this.byLength) {
      if (folded.length === 0) continue;
      let from = 0;
      for (;;) {
        const i = q.indexOf(folded, from);
        if (i < 0) break;
        const end = i + folded.length;
        const before = q[i - 1];
        const after = q[end];
        const leftOk = !isWordChar(before) || !isWordChar(folded[0]);
        const rightOk = !isWordChar(after) || !isWordChar(folded[folded.length - 1]) || (isHangul(after) && isHangul(folded[folded.length - 1]));
        const overlaps = taken.some(([s, e]) => i < e && s < end);
        if (leftOk && rightOk && !overlaps) {
          taken.push([i, end]);
          found.push({ entity: name, start: i, end });
          break;
        }
        from = i + 1;
      }
    }
    return found.sort((a, b) => a.start - b.start);
  }

  /**
   * Relations on the out-edges of the entities reachable from `starts` within `maxHops` hops
   * (hop 1 = the starts' own out-edges), in order of first discovery (breadth first). These are
   * the relations a planned path from these entities can use.
   * @throws InvalidParameterError when maxHops is not an integer ≥ 1
   */
  relationsNear(starts: readonly string[], maxHops: number): string[] {
    if (!Number.isInteger(maxHops) || maxHops < 1) throw new InvalidParameterError(`relationsNear: maxHops must be an integer ≥ 1, got ${maxHops}`);
    const found = new Set<string>();
    const visited = new Set<string>(starts);
    let frontier = [...new Set(starts)];
    for (let hop = 0; hop < maxHops && frontier.length > 0; hop++) {
      const next: string[] = [];
      for (const e of frontier) {
        for (const t of this.outgoing(e)) {
          found.add(t.relation);
          if (!visited.has(t.tail)) {
            visited.add(t.tail);
            next.push(t.tail);
          }
        }
      }
      frontier = next;
    }
    return [...found];
  }

  /**
   * Breadth-first search constrained to a relation path (RoG's retrieval, Luo et al. 2024 §4.2):
   * from `start`, hop i may only follow a triple whose relation is `relations[i]`; every chain
   * of exactly `relations.length` hops is a reasoning path. Entities may repeat within a path
   * (a path "spouse, spouse" returns to the start), as in RoG's BFS.
   * @param limit the most paths returned, and the most partial paths kept at any depth (≥ 1)
   * @returns paths in BFS order (file order of the triples at each hop)
   * @throws InvalidParameterError on an empty relation path or a limit < 1
   */
  followRelationPath(start: string, relations: readonly string[], limit: number): PathSearch {
    if (relations.length === 0) throw new InvalidParameterError('followRelationPath: the relation path is empty');
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidParameterError(`followRelationPath: limit must be an integer ≥ 1, got ${limit}`);
    let frontier: ReasoningPath[] = [{ start, triples: [] }];
    let truncated = false;
    for (const relation of relations) {
      const next: ReasoningPath[] = [];
      for (const p of frontier) {
        const at = p.triples.length === 0 ? p.start : p.triples[p.triples.length - 1].tail;
        for (const t of this.outgoing(at)) {
          if (t.relation !== relation) continue;
          if (next.length === limit) {
            truncated = true;
            break;
          }
          next.push({ start: p.start, triples: [...p.triples, t] });
        }
      }
      frontier = next;
      if (frontier.length === 0) break;
    }
    return { paths: frontier, truncated };
  }
}

/**
 * Parses triples from file text (format by the first non-blank line; see the module comment).
 * @param source the file name used in error messages and as the graph's `source`
 * @throws InputFormatError naming `source:line` and the field when a line is not a triple
 */
export function parseKnowledgeGraph(text: string, source: string): KnowledgeGraph {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const firstLine = lines.find((l) => l.trim().length > 0 && !l.trim().startsWith('#'));
  const jsonl = firstLine?.trim().startsWith('{') ?? false;
  const triples: Triple[] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (s.length === 0 || s.startsWith('#')) return;
    let fields: [unknown, unknown, unknown];
    if (jsonl) {
      let obj: unknown;
      try {
        obj = JSON.parse(s);
      } catch (e) {
        throw new InputFormatError(`${source}:${line}: not valid JSON (${(e as Error).message})`, { cause: e });
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputFormatError(`${source}:${line}: expected an object {"head", "relation", "tail"}`);
      const o = obj as Record<string, unknown>;
      fields = [o.head, o.relation, o.tail];
    } else {
      const parts = raw.replace(/\r$/, '').split('\t');
      if (parts.length !== 3) throw new InputFormatError(`${source}:${line}: expected 3 tab-separated fields head\\trelation\\ttail, got ${parts.length}`);
      fields = [parts[0], parts[1], parts[2]];
    }
    const names = ['head', 'relation', 'tail'] as const;
    const values = fields.map((v, k) => {
      if (typeof v !== 'string' || v.trim().length === 0) throw new InputFormatError(`${source}:${line}: field "${names[k]}" must be a non-empty string, got ${JSON.stringify(v) ?? 'nothing'}`);
      return v.trim().normalize('NFC');
    });
    triples.push({ head: values[0], relation: values[1], tail: values[2], line });
  });
  return new KnowledgeGraph(triples, source);
}

/**
 * Reads a triples file (JSONL or TSV) into a graph whose `source` is `path` as given.
 * @throws NotFoundError when the file cannot be read; InputFormatError on a malformed line
 */
export async function loadKnowledgeGraph(path: string): Promise<KnowledgeGraph> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new NotFoundError(`knowledge graph ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseKnowledgeGraph(text, path);
}
