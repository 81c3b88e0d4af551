/**
 * The help settings of the program, inherited by every subcommand: commander's own defaults
 * (`.option(…, '1000')`) print as `(default: 1000)`, not `(default: "1000")`, the one form the
 * option table's flags use (`cli/options.ts`). Loads nothing but commander (`--version` too).
 */
import { Help, type Option } from 'commander';

export const helpSettings: Partial<Help> = {
  optionDescription(this: Help, option: Option): string {
    return Help.prototype.optionDescription.call(this, option).replace(/\(default: "([^"]*)"\)/, '(default: $1)');
  },
};
