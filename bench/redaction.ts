// Prompt redaction on the request path: the single-pass scanner against the regular expressions it
// replaced, on the same inputs in the same run. Adversarial input (a long run of letters with no @) is what
// made the former e-mail pattern quadratic; ordinary prose is the everyday cost. Prints JSON.
import { performance } from 'node:perf_hooks';
import { redact } from '../src/gateway/prompt-privacy';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const CARD = /\b(?:\d[ -]?){12,18}\d\b/g;
const PHONE = /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,4}\b/g;
const regexRedact = (text: string): string =>
  text
    .replace(EMAIL, '[email]')
    .replace(CARD, '[card]')
    .replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 ? '[phone]' : m));

function time(fn: () => unknown, budgetMs = 300): number {
  const times: number[] = [];
  const until = performance.now() + budgetMs;
  do {
    const started = performance.now();
    fn();
    times.push(performance.now() - started);
  } while (performance.now() < until && times.length < 50);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

const prose = 'Hello, I am ann.lee@example.com and my order 12345 never came; call +44 20 7946 0958 please. '.repeat(100);
const rows: object[] = [];
for (const kib of [8, 64, 1024, 4096]) {
  const hostile = 'a'.repeat(kib * 1024);
  const scanner = time(() => redact(hostile));
  // The old pattern is measured only where it ends in reasonable time (seconds beyond 64 KiB).
  const regex = kib <= 64 ? time(() => regexRedact(hostile), 2000) : null;
  rows.push({
    input: `letters without an @, ${kib} KiB`,
    scannerMs: +scanner.toFixed(2),
    regexMs: regex === null ? 'not run (seconds to minutes)' : +regex.toFixed(2),
    speedup: regex === null ? null : +(regex / scanner).toFixed(1),
  });
}
const scannerProse = time(() => redact(prose));
const regexProse = time(() => regexRedact(prose));
rows.push({
  input: `prose with contacts, ${(prose.length / 1024).toFixed(0)} KiB`,
  scannerMs: +scannerProse.toFixed(3),
  regexMs: +regexProse.toFixed(3),
  speedup: +(regexProse / scannerProse).toFixed(2),
});
console.log(JSON.stringify({ bench: 'redaction', rows }, null, 1));
