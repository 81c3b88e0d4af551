/**
 * Whether the fault-injection tests (test/engine/fs-faults.test.ts) can run strace here.
 *
 * Without strace, ptrace, or on a machine other than x86-64 (the tests name x86-64 Linux's
 * syscalls) they skip with one line saying why. `.ci/run` installs strace and, when it can trace
 * on x86-64, exports OPENBOOK_STRACE_REQUIRED=1: then any of these is a failure, never a skip.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const STRACE = '/usr/bin/strace';

/**
 * @returns undefined when the tests can run, else the reason they skip
 * @throws Error naming the reason when `env.OPENBOOK_STRACE_REQUIRED` is "1"
 */
export function straceSkipReason(env: NodeJS.ProcessEnv = process.env, strace: string = STRACE, arch: string = process.arch): string | undefined {
  let reason: string | undefined;
  if (!existsSync(strace)) reason = `${strace} is missing (apt-get install strace)`;
  else if (arch !== 'x64') reason = `the injected syscalls are x86-64 Linux's, this is ${arch}`;
  else {
    const r = spawnSync(strace, ['-qq', '-o', '/dev/null', 'true']);
    if (r.status !== 0) reason = `${strace} cannot trace here (ptrace not permitted? exit ${r.status})`;
  }
  if (reason !== undefined && env.OPENBOOK_STRACE_REQUIRED === '1') throw new Error(`OPENBOOK_STRACE_REQUIRED=1 but ${reason}`);
  return reason;
}
