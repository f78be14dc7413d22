// What a shadow pair keeps of the prompt (and, when the route asks, of the answers): all of it, a
// redacted copy (emails, phone numbers and card numbers replaced), or only a hash — chosen per route.
//
// Redaction runs on the request path, on text a client chose, so it is written as single forward
// scans rather than regular expressions: a backtracking pattern over unbounded input let one 4 MiB
// request hold the event loop for minutes. Every character is looked at a bounded number of times,
// and no more than MAX_REDACTED_CHARS are scanned at all; what lies beyond is not kept.
import { createHash } from 'node:crypto';

export type PromptRecording = 'full' | 'redacted' | 'hash';

/** Text past this many characters is dropped from a redacted copy, not scanned. */
export const MAX_REDACTED_CHARS = 256 * 1024;

// Character classes by code, for speed on the request path; `undefined` (past either end) is none.
const code = (text: string, i: number): number => (i >= 0 && i < text.length ? text.charCodeAt(i) : -1);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isWordChar = (c: number): boolean => isDigit(c) || isLetter(c) || c === 95;
// . _ % + -
const isLocalChar = (c: number): boolean => isDigit(c) || isLetter(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const isDomainChar = (c: number): boolean => isDigit(c) || isLetter(c) || c === 46 || c === 45;
// space . -
const isNumberSeparator = (c: number): boolean => c === 32 || c === 46 || c === 45;
const DOT = 46;
const PLUS = 43;
const OPEN = 40;
const CLOSE = 41;

/**
 * The end of the longest domain starting at `from` that ends in a dot and two or more letters
 * (`example.co.uk`), or -1. Looks only at the domain characters after `from`.
 */
function domainEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && isDomainChar(text.charCodeAt(end))) end++;
  for (let e = end; e > from; e--) {
    let letters = 0;
    while (letters < e - from && isLetter(text.charCodeAt(e - 1 - letters))) letters++;
    const dot = e - 1 - letters;
    if (letters >= 2 && dot > from && text.charCodeAt(dot) === DOT) return e;
    // No ending here: the next candidate ends before this letter run.
    e -= letters;
  }
  return -1;
}

/** Replaces e-mail addresses: one pass, each character read at most three times. */
function redactEmails(text: string): string {
  let out = '';
  let copied = 0;
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > copied && isLocalChar(text.charCodeAt(start - 1))) start--;
    const end = start < at ? domainEnd(text, at + 1) : -1;
    if (end !== -1) {
      out += `${text.slice(copied, start)}[email]`;
      copied = end;
      at = text.indexOf('@', end);
    } else at = text.indexOf('@', at + 1);
  }
  return out + text.slice(copied);
}

/**
 * The end of a phone- or card-like number starting at `start` (digits in groups joined by single
 * spaces, dots, dashes or brackets, after an optional +) and how many digits it holds.
 */
function numberAt(text: string, start: number): { end: number; digits: number; plain: boolean } {
  let i = start;
  let digits = 0;
  let end = start;
  let plain = true; // only digits, spaces and dashes: what a card number is written with
  if (code(text, i) === PLUS) {
    i++;
    plain = false;
  }
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const next = code(text, i + 1);
    if (isDigit(c)) {
      digits++;
      i++;
      end = i;
    } else if (c === OPEN && isDigit(next)) {
      plain = false;
      i++;
    } else if (c === CLOSE && isDigit(code(text, i - 1))) {
      plain = false;
      i++;
      if (isNumberSeparator(code(text, i)) && (isDigit(code(text, i + 1)) || code(text, i + 1) === OPEN)) i++;
    } else if (isNumberSeparator(c) && (isDigit(next) || next === OPEN) && isDigit(code(text, i - 1))) {
      if (c === DOT) plain = false;
      i++;
    } else break;
  }
  return { end, digits, plain };
}

/** Where a number may start: a digit, or + or ( before one. A single character class: linear. */
const NUMBER_START = /[0-9+(]/g;

/** Replaces card numbers (13–19 digits) and phone numbers (7 or more digits): one forward pass. */
function redactNumbers(text: string): string {
  let out = '';
  let copied = 0;
  NUMBER_START.lastIndex = 0;
  for (let found = NUMBER_START.exec(text); found; found = NUMBER_START.exec(text)) {
    const i = found.index;
    const c = text.charCodeAt(i);
    const starts = (isDigit(c) || isDigit(code(text, i + 1))) && !isWordChar(code(text, i - 1));
    if (!starts) continue;
    const number = numberAt(text, i);
    if (number.end > i && !isWordChar(code(text, number.end))) {
      const label = number.plain && number.digits >= 13 && number.digits <= 19 ? '[card]' : number.digits >= 7 ? '[phone]' : null;
      if (label) {
        out += text.slice(copied, i) + label;
        copied = number.end;
      }
    }
    NUMBER_START.lastIndex = Math.max(number.end, i + 1);
  }
  return out + text.slice(copied);
}

export function redact(text: string): string {
  const scanned = text.length > MAX_REDACTED_CHARS ? text.slice(0, MAX_REDACTED_CHARS) : text;
  const dropped = text.length - scanned.length;
  return redactNumbers(redactEmails(scanned)) + (dropped > 0 ? ` [${dropped} more characters not kept]` : '');
}

export function recordPrompt(prompt: string, mode: PromptRecording): string {
  switch (mode) {
    case 'full':
      return prompt;
    case 'redacted':
      return redact(prompt);
    case 'hash':
      return `sha256:${createHash('sha256').update(prompt).digest('hex')}`;
  }
}
