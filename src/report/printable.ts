/**
 * Text from documents, reviews and the audit log is untrusted, and a terminal or a CI log obeys what it
 * prints: an ESC sequence repaints the screen, a newline in a card's `version` starts a forged line (in
 * GitHub Actions, a `::error::` or `::add-mask::` command). Every control character in a string is shown as
 * an escape instead (`\n`, `\x1b`), and so cannot act.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to neutralise
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function printableText(s: string): string {
  return s.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The same value with every string in it made printable (objects and arrays copied, nothing else changed). */
export function printable<T>(value: T): T {
  if (typeof value === 'string') return printableText(value) as T;
  if (Array.isArray(value)) return value.map(printable) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printable(v)])) as T;
  return value;
}

/**
 * Output a GitHub Actions runner reads for workflow commands, wrapped so that it reads none: the runner stops
 * at `::stop-commands::TOKEN` and resumes at `::TOKEN::` (a token nobody could have written into the text).
 */
export async function* withoutWorkflowCommands(
  chunks: AsyncIterable<string>,
  token: string,
): AsyncGenerator<string> {
  yield `::stop-commands::${token}\n`;
  let last = '';
  for await (const chunk of chunks) {
    if (chunk) last = chunk;
    yield chunk;
  }
  yield `${last.endsWith('\n') ? '' : '\n'}::${token}::\n`;
}
