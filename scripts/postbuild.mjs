// Makes the CLI entry executable after `tsc` (npm links bins to it on install), copies the web
// page's static files into dist so the server can serve them, and adds the `require` entry that
// says openbook is ESM-only.
import { chmodSync, copyFileSync, cpSync, existsSync } from 'node:fs';

if (existsSync('dist/cli/main.js')) chmodSync('dist/cli/main.js', 0o755);
if (existsSync('src/server/static')) cpSync('src/server/static', 'dist/server/static', { recursive: true });
copyFileSync('scripts/esm-only.cjs', 'dist/esm-only.cjs');
