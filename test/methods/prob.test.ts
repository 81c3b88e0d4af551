import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/core/errors.js';
import { argmax, logMixture, logSumExp, majorityVote, meanLogprob, mixNextToken, softmax, stepBeams } from '../../src/methods/prob.js';
import { posterior } from '../../src/methods/replug.js';

describe('probability arithmetic (hand-computed)', () => {
  it('softmax with temperature', () => {
    // e^1, e^2, e^3 = 2.718282, 7.389056, 20.085537; sum 30.192875
    const w = softmax([1, 2, 3]);
    expect(w[0]).toBeCloseTo(0.090031, 6);
    expect(w[1]).toBeCloseTo(0.244728, 6);
    expect(w[2]).toBeCloseTo(0.665241, 6);
    // γ = 2: e^0.5, e^1, e^1.5 = 1.648721, 2.718282, 4.481689; sum 8.848692
    const w2 = softmax([1, 2, 3], 2);
    expect(w2[0]).toBeCloseTo(0.186324, 6);
    expect(w2[2]).toBeCloseTo(0.50648, 5);
    // shift invariance and no overflow: s = 1000, 1001 → e^0/(e^0+e^1) = 0.268941
    expect(softmax([1000, 1001])[0]).toBeCloseTo(0.268941, 6);
    expect(() => softmax([1, 2], 0)).toThrow(InvalidParameterError);
    expect(() => softmax([])).toThrow(/at least one/);
  });

  it('log-sum-exp and mixtures in log space', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 9); // 1000.693147
    expect(logSumExp([])).toBe(-Infinity);
    // 0.25·0.5 + 0.75·0.1 = 0.125 + 0.075 = 0.2
    expect(logMixture([Math.log(0.5), Math.log(0.1)], [0.25, 0.75])).toBeCloseTo(Math.log(0.2), 12); // −1.609438
    // a −∞ component contributes nothing: 0.5·0 + 0.5·0.4 = 0.2
    expect(logMixture([-Infinity, Math.log(0.4)], [0.5, 0.5])).toBeCloseTo(-1.609438, 6);
    expect(() => logMixture([0], [0.5, 0.5])).toThrow(/1 log-probabilities but 2 weights/);
    expect(meanLogprob([-0.5, -0.1, -0.3])).toBeCloseTo(-0.3, 12);
  });

  it('RAG-Token step: mixes per-document next-token distributions over the union', () => {
    // doc1: a .6, b .3; doc2: b .8, c .1; w = .5/.5
    // a = .5·.6 = .30; b = .5·.3 + .5·.8 = .55; c = .5·.1 = .05 → b, a, c
    const mixed = mixNextToken(
      [
        [{ token: 'a', logprob: Math.log(0.6) }, { token: 'b', logprob: Math.log(0.3) }],
        [{ token: 'b', logprob: Math.log(0.8) }, { token: 'c', logprob: Math.log(0.1) }],
      ],
      [0.5, 0.5],
    );
    expect(mixed.map((m) => m.token)).toEqual(['b', 'a', 'c']);
    expect(mixed[0].logprob).toBeCloseTo(Math.log(0.55), 12); // −0.597837
    expect(mixed[1].perDoc).toEqual([Math.log(0.6), -Infinity]);
  });

  it('beam bookkeeping keeps the N best, finishes on EOS and carries finished beams', () => {
    const beams = [
      { tokens: ['x'], logprob: -1, done: false },
      { tokens: ['y'], logprob: -2, done: false },
    ];
    const exp = [
      [{ token: 'p', logprob: -0.5 }, { token: 'q', logprob: -1 }],
      [{ token: 'r', logprob: -0.1 }, { token: '', logprob: -0.2 }],
    ];
    // xp −1.5, xq −2.0, yr −2.1, y<eos> −2.2
    const three = stepBeams(beams, exp, 3);
    expect(three.map((b) => [b.tokens.join(''), b.logprob, b.done])).toEqual([
      ['xp', -1.5, false],
      ['xq', -2, false],
      ['yr', -2.1, false],
    ]);
    const four = stepBeams(beams, exp, 4);
    expect(four[3]).toMatchObject({ tokens: ['y'], done: true, from: { beam: 1, alternative: 1 } });
    expect(four[3].logprob).toBeCloseTo(-2.2, 12);
    // the finished beam (−2.2) competes next step with live ones: live x-beam extends to −1.5 − 1 = −2.5
    const next = stepBeams([four[3], { tokens: ['x'], logprob: -1.5, done: false }], [[], [{ token: 'z', logprob: -1 }]], 1);
    expect(next[0]).toMatchObject({ tokens: ['y'], done: true, from: { beam: 0, alternative: -1 } });
    // ties: the earlier survives
    expect(stepBeams([{ tokens: [], logprob: 0, done: false }], [[{ token: 'a', logprob: -1 }, { token: 'b', logprob: -1 }]], 1)[0].tokens).toEqual(['a']);
    expect(() => stepBeams(beams, exp, 0)).toThrow(/beam size/);
  });

  it('majority vote, argmax and the REPLUG posterior', () => {
    expect(majorityVote(['Paris', 'Lyon', 'paris ', 'Lyon', 'PARIS'])).toMatchObject({ answer: 'Paris', votes: 3, tally: { paris: 3, lyon: 2 } });
    expect(majorityVote(['a', 'b']).answer).toBe('a'); // tie → first seen
    expect(argmax([1, 3, 3])).toBe(1);
    // λ = .5/.5, p(y|d) = .2, .6 → mixture .4 → posterior .1/.4 = .25 and .3/.4 = .75
    const post = posterior([0.5, 0.5], [Math.log(0.2), Math.log(0.6)]);
    expect(post[0]).toBeCloseTo(0.25, 12);
    expect(post[1]).toBeCloseTo(0.75, 12);
  });
});
