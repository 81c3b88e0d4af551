/**
 * The Porter stemmer as Lucene's `PorterStemFilter` runs it (`org.apache.lucene.analysis.en.PorterStemmer`),
 * which follows Martin Porter's own ANSI C / Java release 3 rather than the 1980 paper verbatim.
 *
 * Source: M. F. Porter, "An algorithm for suffix stripping", Program 14(3):130–137, 1980, with the
 * departures of Porter's reference implementation (https://tartarus.org/martin/PorterStemmer/):
 * - step 2 (paper numbering) maps `-bli` → `-ble` (the paper has `-abli` → `-able`) and adds
 *   `-logi` → `-log`;
 * - words of one or two characters are returned unchanged;
 * - `y` is a consonant at the start of a word or after a vowel, a vowel after a consonant;
 * - `-ion` is removed only after `s` or `t` and never from the bare word `ion`.
 *
 * Input is expected lower-cased. Any code unit other than `a e i o u` (and `y` by the rule above)
 * counts as a consonant, so digits, `'` and non-ASCII letters pass through as Lucene passes them.
 *
 * Each instance owns a scratch buffer and is not re-entrant; it holds no cache.
 */
export class PorterStemmer {
  private b = new Uint16Array(64);
  /** Index of the last character of the current word. */
  private k = 0;
  /** End of the stem before a matched suffix (set by `ends`). */
  private j = 0;

  /** The Porter stem of `word` (lower-case). Returns `word` itself when nothing changes. */
  stem(word: string): string {
    const n = word.length;
    if (n <= 2) return word;
    if (this.b.length < n + 8) this.b = new Uint16Array(n + 64);
    const b = this.b;
    for (let i = 0; i < n; i++) b[i] = word.charCodeAt(i);
    this.k = n - 1;
    let changed = false;
    changed = this.step1ab() || changed;
    changed = this.step1c() || changed;
    changed = this.step2() || changed;
    changed = this.step3() || changed;
    changed = this.step4() || changed;
    changed = this.step5() || changed;
    if (!changed && this.k === n - 1) return word;
    return String.fromCharCode.apply(null, b.subarray(0, this.k + 1) as unknown as number[]);
  }

  /** b[i] is a consonant. */
  private cons(i: number): boolean {
    const c = this.b[i];
    if (c === 97 || c === 101 || c === 105 || c === 111 || c === 117) return false; // a e i o u
    if (c === 121) return i === 0 ? true : !this.cons(i - 1); // y
    return true;
  }

  /** m(): the number of VC sequences in b[0..j] ([C](VC)^m[V]). */
  private measure(): number {
    const j = this.j;
    let n = 0;
    let i = 0;
    while (i <= j && this.cons(i)) i++;
    for (;;) {
      while (i <= j && !this.cons(i)) i++;
      if (i > j) return n;
      while (i <= j && this.cons(i)) i++;
      n++;
      if (i > j) return n;
    }
  }

  /** b[0..j] contains a vowel. */
  private vowelInStem(): boolean {
    for (let i = 0; i <= this.j; i++) if (!this.cons(i)) return true;
    return false;
  }

  /** b[i-1..i] is a double consonant. */
  private doubleC(i: number): boolean {
    return i >= 1 && this.b[i] === this.b[i - 1] && this.cons(i);
  }

  /** b[i-2..i] is consonant–vowel–consonant and b[i] is not w, x or y (*o in the paper). */
  private cvc(i: number): boolean {
    if (i < 2 || !this.cons(i) || this.cons(i - 1) || !this.cons(i - 2)) return false;
    const c = this.b[i];
    return c !== 119 && c !== 120 && c !== 121;
  }

  /** b[0..k] ends with `s`; on success sets j to the end of the remaining stem. */
  private ends(s: string): boolean {
    const l = s.length;
    const o = this.k - l + 1;
    if (o < 0) return false;
    for (let i = 0; i < l; i++) if (this.b[o + i] !== s.charCodeAt(i)) return false;
    this.j = this.k - l;
    return true;
  }

  /** Replaces b[j+1..k] by `s`. */
  private setTo(s: string): void {
    const o = this.j + 1;
    for (let i = 0; i < s.length; i++) this.b[o + i] = s.charCodeAt(i);
    this.k = this.j + s.length;
  }

  /** setTo(s) when m() > 0. Returns whether it replaced. */
  private replaceIfMeasure(s: string): boolean {
    if (this.measure() > 0) {
      this.setTo(s);
      return true;
    }
    return false;
  }

  /** Step 1a/1b: plurals, -eed, -ed, -ing. */
  private step1ab(): boolean {
    const b = this.b;
    let changed = false;
    if (b[this.k] === 115) {
      // s
      if (this.ends('sses')) {
        this.k -= 2;
        changed = true;
      } else if (this.ends('ies')) {
        this.setTo('i');
        changed = true;
      } else if (b[this.k - 1] !== 115) {
        this.k--;
        changed = true;
      }
    }
    if (this.ends('eed')) {
      if (this.measure() > 0) {
        this.k--;
        changed = true;
      }
    } else if ((this.ends('ed') || this.ends('ing')) && this.vowelInStem()) {
      this.k = this.j;
      changed = true;
      if (this.ends('at')) this.setTo('ate');
      else if (this.ends('bl')) this.setTo('ble');
      else if (this.ends('iz')) this.setTo('ize');
      else if (this.doubleC(this.k)) {
        const c = b[this.k];
        if (c !== 108 && c !== 115 && c !== 122) this.k--; // keep -ll, -ss, -zz
      } else {
        this.j = this.k;
        if (this.measure() === 1 && this.cvc(this.k)) this.setTo('e');
      }
    }
    return changed;
  }

  /** Step 1c: terminal y → i when the stem has a vowel. */
  private step1c(): boolean {
    if (this.ends('y') && this.vowelInStem()) {
      this.b[this.k] = 105;
      return true;
    }
    return false;
  }

  /** Step 2: double suffixes to single ones (-ization → -ize …), when m > 0. */
  private step2(): boolean {
    if (this.k === 0) return false;
    switch (this.b[this.k - 1]) {
      case 97: // a
        if (this.ends('ational')) return this.replaceIfMeasure('ate');
        if (this.ends('tional')) return this.replaceIfMeasure('tion');
        return false;
      case 99: // c
        if (this.ends('enci')) return this.replaceIfMeasure('ence');
        if (this.ends('anci')) return this.replaceIfMeasure('ance');
        return false;
      case 101: // e
        if (this.ends('izer')) return this.replaceIfMeasure('ize');
        return false;
      case 108: // l
        if (this.ends('bli')) return this.replaceIfMeasure('ble');
        if (this.ends('alli')) return this.replaceIfMeasure('al');
        if (this.ends('entli')) return this.replaceIfMeasure('ent');
        if (this.ends('eli')) return this.replaceIfMeasure('e');
        if (this.ends('ousli')) return this.replaceIfMeasure('ous');
        return false;
      case 111: // o
        if (this.ends('ization')) return this.replaceIfMeasure('ize');
        if (this.ends('ation')) return this.replaceIfMeasure('ate');
        if (this.ends('ator')) return this.replaceIfMeasure('ate');
        return false;
      case 115: // s
        if (this.ends('alism')) return this.replaceIfMeasure('al');
        if (this.ends('iveness')) return this.replaceIfMeasure('ive');
        if (this.ends('fulness')) return this.replaceIfMeasure('ful');
        if (this.ends('ousness')) return this.replaceIfMeasure('ous');
        return false;
      case 116: // t
        if (this.ends('aliti')) return this.replaceIfMeasure('al');
        if (this.ends('iviti')) return this.replaceIfMeasure('ive');
        if (this.ends('biliti')) return this.replaceIfMeasure('ble');
        return false;
      case 103: // g
        if (this.ends('logi')) return this.replaceIfMeasure('log');
        return false;
      default:
        return false;
    }
  }

  /** Step 3: -icate, -ative, -alize, -iciti, -ical, -ful, -ness, when m > 0. */
  private step3(): boolean {
    switch (this.b[this.k]) {
      case 101: // e
        if (this.ends('icate')) return this.replaceIfMeasure('ic');
        if (this.ends('ative')) return this.replaceIfMeasure('');
        if (this.ends('alize')) return this.replaceIfMeasure('al');
        return false;
      case 105: // i
        if (this.ends('iciti')) return this.replaceIfMeasure('ic');
        return false;
      case 108: // l
        if (this.ends('ical')) return this.replaceIfMeasure('ic');
        if (this.ends('ful')) return this.replaceIfMeasure('');
        return false;
      case 115: // s
        if (this.ends('ness')) return this.replaceIfMeasure('');
        return false;
      default:
        return false;
    }
  }

  /** Step 4: removes -al, -ance, -ence, -er, -ic, -able, … when m > 1. */
  private step4(): boolean {
    if (this.k === 0) return false;
    let matched: boolean;
    switch (this.b[this.k - 1]) {
      case 97: // a
        matched = this.ends('al');
        break;
      case 99: // c
        matched = this.ends('ance') || this.ends('ence');
        break;
      case 101: // e
        matched = this.ends('er');
        break;
      case 105: // i
        matched = this.ends('ic');
        break;
      case 108: // l
        matched = this.ends('able') || this.ends('ible');
        break;
      case 110: // n
        matched = this.ends('ant') || this.ends('ement') || this.ends('ment') || this.ends('ent');
        break;
      case 111: // o
        if (this.ends('ion') && this.j >= 0 && (this.b[this.j] === 115 || this.b[this.j] === 116)) matched = true;
        else matched = this.ends('ou');
        break;
      case 115: // s
        matched = this.ends('ism');
        break;
      case 116: // t
        matched = this.ends('ate') || this.ends('iti');
        break;
      case 117: // u
        matched = this.ends('ous');
        break;
      case 118: // v
        matched = this.ends('ive');
        break;
      case 122: // z
        matched = this.ends('ize');
        break;
      default:
        return false;
    }
    if (matched && this.measure() > 1) {
      this.k = this.j;
      return true;
    }
    return false;
  }

  /** Step 5: removes a final -e when m > 1 (or m = 1 and not *o), and -ll → -l when m > 1. */
  private step5(): boolean {
    let changed = false;
    this.j = this.k;
    if (this.b[this.k] === 101) {
      const m = this.measure();
      if (m > 1 || (m === 1 && !this.cvc(this.k - 1))) {
        this.k--;
        changed = true;
      }
    }
    // As in Porter's code, m() here still measures up to the old k (a removed final e is a
    // vowel and never changes m).
    if (this.b[this.k] === 108 && this.doubleC(this.k)) {
      if (this.measure() > 1) {
        this.k--;
        changed = true;
      }
    }
    return changed;
  }
}
