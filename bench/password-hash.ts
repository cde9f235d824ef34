import { DEFAULT_SCRYPT, hashPassword, verifyPassword } from '../api/accounts/passwords.js';

/**
 * What one login's password check costs at the default scrypt parameters (the
 * price of a memory-hard hash, paid per login attempt). `npm run bench:password`.
 */
const RUNS = 10;
const password = 'correct horse battery staple';
const stored = await hashPassword(password);
const ms: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = process.hrtime.bigint();
  if (!(await verifyPassword(password, stored))) throw new Error('the password did not verify');
  ms.push(Number(process.hrtime.bigint() - start) / 1e6);
}
ms.sort((a, b) => a - b);
const round = (x: number) => Math.round(x * 10) / 10;
console.log(JSON.stringify({ bench: 'password-verify', scrypt: DEFAULT_SCRYPT, runs: RUNS, medianMs: round(ms[RUNS / 2]!), minMs: round(ms[0]!), maxMs: round(ms[RUNS - 1]!), node: process.version }));
