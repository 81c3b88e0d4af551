// Makes the CLI entry executable after `tsc` (npm links bins to it on install) and copies
// the web page's static files into dist so the server can serve them.
import { chmodSync, cpSync, existsSync } from 'node:fs';

if (existsSync('dist/cli/main.js')) chmodSync('dist/cli/main.js', 0o755);
if (existsSync('src/server/static')) cpSync('src/server/static', 'dist/server/static', { recursive: true });
