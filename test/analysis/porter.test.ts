import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PorterStemmer } from '../../src/analysis/porter.js';

const fixture = (name: string): string[] =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8').trim().split(/\s+/);

describe('PorterStemmer (Lucene / Porter reference implementation)', () => {
  it('matches 714 pairs of Porter\'s published voc.txt → output.txt test data', () => {
    // Words a…adown and b…beguiled of https://tartarus.org/martin/PorterStemmer/voc.txt with
    // the matching lines of output.txt (same page), transcribed into fixtures/porter-*.txt.
    const voc = fixture('porter-voc.txt');
    const out = fixture('porter-out.txt');
    expect(voc.length).toBe(714);
    expect(out.length).toBe(voc.length);
    const s = new PorterStemmer();
    const wrong = voc.map((w, i) => [w, s.stem(w), out[i]]).filter(([, got, want]) => got !== want);
    expect(wrong).toEqual([]);
  });

  it('reproduces the paper\'s step examples (Porter 1980, steps 1a–5b)', () => {
    const s = new PorterStemmer();
    const cases: Array<[string, string]> = [
      ['caresses', 'caress'], ['ponies', 'poni'], ['ties', 'ti'], ['cats', 'cat'], // 1a
      ['feed', 'feed'], ['agreed', 'agre'], ['plastered', 'plaster'], ['motoring', 'motor'], // 1b (+5a on agree)
      ['conflated', 'conflat'], ['hopping', 'hop'], ['falling', 'fall'], ['filing', 'file'], // 1b fix-ups (+4/5)
      ['happy', 'happi'], ['sky', 'sky'], // 1c
      ['relational', 'relat'], ['digitizer', 'digit'], ['vietnamization', 'vietnam'], // 2 (+4)
      ['triplicate', 'triplic'], ['hopeful', 'hope'], ['goodness', 'good'], // 3
      ['revival', 'reviv'], ['adoption', 'adopt'], ['effective', 'effect'], // 4
      ['probate', 'probat'], ['rate', 'rate'], ['controll', 'control'], ['roll', 'roll'], // 5
    ];
    for (const [w, want] of cases) expect(s.stem(w), w).toBe(want);
  });

  it('has the reference implementation\'s departures from the paper: -bli → -ble, -logi → -log', () => {
    const s = new PorterStemmer();
    // possibly → possibli (1c) → possible (step 2 "bli" → "ble", m("possi") = 1) → possibl (5a).
    // The paper's "abli" rule does not match, so it would leave "possibli".
    expect(s.stem('possibly')).toBe('possibl');
    // logi → log: "analogies" → analogi (1a, 1c) → analog (step 2 "logi") — the paper keeps "analogi".
    expect(s.stem('analogies')).toBe('analog');
    // archaeology → archaeologi (1c) → archaeolog (step 2 "logi", m("archaeo") = 1)
    expect(s.stem('archaeology')).toBe('archaeolog');
  });

  it('leaves words of one or two characters and unknown characters alone', () => {
    const s = new PorterStemmer();
    expect(s.stem('is')).toBe('is');
    expect(s.stem('as')).toBe('as');
    expect(s.stem('3.14')).toBe('3.14');
    expect(s.stem("don't")).toBe("don't");
    // é counts as a consonant (Lucene's PorterStemmer tests only a, e, i, o, u, y): cafés → café.
    expect(s.stem('cafés')).toBe('café');
  });
});
