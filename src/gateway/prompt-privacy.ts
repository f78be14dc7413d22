// What a shadow pair keeps of the prompt: all of it, a redacted copy (emails, phone numbers and card
// numbers replaced), or only a hash — chosen per route.
import { createHash } from 'node:crypto';

export type PromptRecording = 'full' | 'redacted' | 'hash';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// 13–19 digits, optionally grouped by spaces or dashes: card numbers
const CARD = /\b(?:\d[ -]?){12,18}\d\b/g;
// +country codes, brackets, separators; at least 7 digits in all
const PHONE = /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){2,4}\b/g;

export function redact(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(CARD, '[card]')
    .replace(PHONE, (match) => (match.replace(/\D/g, '').length >= 7 ? '[phone]' : match));
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
