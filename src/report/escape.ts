import { printableText } from './printable.js';

/** Text from documents and reviews is untrusted: it must not inject HTML into a page or a PR comment. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Escaped text on one line of Markdown: a line break of any kind becomes a space (a lone `\r` would end a table
 * row too), and every other control character is shown as an escape, so that the Markdown printed to a
 * terminal cannot repaint it.
 */
export function inline(s: string): string {
  return escapeHtml(printableText(s.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')));
}

/** Escaped text in a Markdown table cell: a pipe must not end the cell. */
export function cell(s: string): string {
  return inline(s).replace(/\|/g, '\\|');
}
