/**
 * The import-direction lint (eslint.config.js, docs/architecture.md) has a row for every folder of
 * src/, server/ and cli/ included (#13 item 2): the server never imports the CLI (their shared
 * JSON shapes live in engine/json.ts), the CLI may start the server, and no stage imports a face.
 * Linted through ESLint's own API on probe files, as `npx eslint src` would see them.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

const eslint = new ESLint({ cwd: REPO_ROOT });

/** The direction errors of one import line in a probe file at `src/<stage>/probe.ts`. */
async function directionErrors(stage: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import '${specifier}';\n`, { filePath: path.join(REPO_ROOT, 'src', stage, 'probe.ts') });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message.replace(/^.* by a pattern\. /, ''));
}

describe('import direction', () => {
  it('every folder of src/ has its own row', async () => {
    const stages = readdirSync(path.join(REPO_ROOT, 'src'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(stages).toEqual(expect.arrayContaining(['server', 'cli', 'engine', 'config', 'core']));
    for (const stage of stages) {
      const config = (await eslint.calculateConfigForFile(path.join(REPO_ROOT, 'src', stage, 'probe.ts'))) as { rules?: Record<string, unknown> };
      expect(config.rules?.['no-restricted-imports'], `src/${stage}`).toBeDefined();
    }
  });

  it('src/server may not import src/cli', async () => {
    expect(await directionErrors('server', '../cli/shared.js')).toEqual(['src/server may not import src/cli (see docs/architecture.md)']);
    expect(await directionErrors('server', '../cli/commands/search.js')).toHaveLength(1);
    expect(await directionErrors('server', '../engine/json.js')).toEqual([]);
  });

  it('src/cli may import src/server (openbook serve) and everything before it', async () => {
    expect(await directionErrors('cli', '../server/listen.js')).toEqual([]);
    expect(await directionErrors('cli', '../engine/json.js')).toEqual([]);
    expect(await directionErrors('cli/commands', '../../server/app.js')).toEqual([]);
  });

  it('no stage imports a face', async () => {
    for (const stage of ['engine', 'eval', 'config', 'core']) {
      expect(await directionErrors(stage, '../server/app.js'), stage).toEqual([`src/${stage} may not import src/server (see docs/architecture.md)`]);
      expect(await directionErrors(stage, '../cli/shared.js'), stage).toEqual([`src/${stage} may not import src/cli (see docs/architecture.md)`]);
    }
  });
});
