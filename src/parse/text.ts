import { LIMITS } from '../limits.js';
import type { Problem } from './problem.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A copy of a string that shares nothing with the string it came from. V8 cuts a piece of 13 characters or more
 * from a longer string as a reference to the whole (a "sliced string"), so an id cut from a document, kept to
 * the end of a check, would keep the whole document alive. JSON's round trip is exact (lone surrogates too).
 */
export function ownCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * Turns the bytes of an untrusted file into text with LF line ends, or says why it cannot.
 * Binary content (a NUL byte, invalid UTF-8) and oversize files are refused before any parser sees them;
 * text in UTF-16 or UTF-32 is told to be saved as UTF-8.
 */
export function decodeText(bytes: Uint8Array): { text: string } | { problem: Problem } {
  if (bytes.byteLength > LIMITS.maxFileBytes) return { problem: tooLarge(bytes.byteLength) };
  const wide = wideEncoding(bytes);
  if (wide) {
    return {
      problem: {
        message: `the file is ${wide} text; aims-gate reads UTF-8`,
        fix: 'Save the document as UTF-8 (in most editors: "Save with encoding" or "Reopen with encoding", then UTF-8).',
      },
    };
  }
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

/** Why a path that exists could not be read: too large, or not a regular file. */
export function unreadableFile(read: { tooLarge: number } | { notFile: string }): Problem {
  if ('tooLarge' in read) return tooLarge(read.tooLarge);
  return {
    message: `the path is ${read.notFile}, not a regular file`,
    fix: 'Commit the document itself at this path (copy the file the link points to); aims-gate does not follow links or read pipes and devices.',
  };
}

/**
 * UTF-16 or UTF-32, told by a byte-order mark or, without one, by where the NUL bytes of the first
 * (ASCII) character fall: the detection YAML 1.2 specifies (section 5.2).
 */
function wideEncoding(b: Uint8Array): string | undefined {
  const [b0, b1, b2, b3] = [b[0], b[1], b[2], b[3]];
  if (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) return 'UTF-32 (big-endian)';
  if (b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0) return 'UTF-32 (little-endian)';
  if (b0 === 0xfe && b1 === 0xff) return 'UTF-16 (big-endian)';
  if (b0 === 0xff && b1 === 0xfe) return 'UTF-16 (little-endian)';
  if (b.length < 4) return undefined;
  if (b0 === 0 && b1 === 0 && b2 === 0 && b3 !== 0) return 'UTF-32 (big-endian)';
  if (b0 !== 0 && b1 === 0 && b2 === 0 && b3 === 0) return 'UTF-32 (little-endian)';
  if (b0 === 0 && b1 !== 0 && b2 === 0 && b3 !== 0) return 'UTF-16 (big-endian)';
  if (b0 !== 0 && b1 === 0 && b2 !== 0 && b3 === 0) return 'UTF-16 (little-endian)';
  return undefined;
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
