/** Text from documents and reviews is untrusted: it must not inject HTML into a page or a PR comment. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Escaped text on one line of Markdown. */
export function inline(s: string): string {
  return escapeHtml(s).replace(/\r?\n/g, ' ');
}

/** Escaped text in a Markdown table cell: a pipe must not end the cell. */
export function cell(s: string): string {
  return inline(s).replace(/\|/g, '\\|');
}
