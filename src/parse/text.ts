import { LIMITS } from '../limits.js';
import type { Problem } from './problem.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns the bytes of an untrusted file into text with LF line ends, or says why it cannot.
 * Binary content (a NUL byte, invalid UTF-8) and oversize files are refused before any parser sees them.
 */
export function decodeText(bytes: Uint8Array): { text: string } | { problem: Problem } {
  if (bytes.byteLength > LIMITS.maxFileBytes) return { problem: tooLarge(bytes.byteLength) };
  if (bytes.indexOf(0) !== -1) {
    return {
      problem: {
        message: 'the file is binary (it contains NUL bytes), not text',
        fix: 'Commit the document as UTF-8 text (Markdown, YAML or JSON); keep binaries such as weights out of document paths.',
      },
    };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return {
      problem: { message: 'the file is not valid UTF-8 text', fix: 'Save the document with UTF-8 encoding.' },
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  return { text };
}

export function tooLarge(size: number): Problem {
  return {
    message: `the file is ${formatBytes(size)}, over the ${formatBytes(LIMITS.maxFileBytes)} limit for governance documents`,
    fix: 'Keep the document to its governance content; move large data (evaluation dumps, datasets) elsewhere and link to it.',
  };
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}
