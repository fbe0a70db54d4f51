import type { Evaluation } from '../types.js';
import { renderCompact } from './compact.js';
import { renderGithub } from './github.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { printable } from './printable.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

export interface RenderOptions {
  color: boolean;
  version: string;
}

/**
 * Every output format, by name: each is a pure function of the evaluation and never re-evaluates. Text,
 * Markdown, compact and github show every string with its control characters escaped (JSON and SARIF escape
 * them already; JUnit does its own).
 */
export const FORMATS = {
  text: (e: Evaluation, o: RenderOptions) => renderText(printable(e), o),
  json: (e: Evaluation) => `${JSON.stringify(e, null, 2)}\n`,
  markdown: (e: Evaluation) => renderMarkdown(printable(e)),
  sarif: (e: Evaluation, o: RenderOptions) => renderSarif(e, o.version),
  compact: (e: Evaluation) => renderCompact(printable(e)),
  github: (e: Evaluation) => renderGithub(printable(e)),
  junit: (e: Evaluation) => renderJunit(e),
} as const;

export type Format = keyof typeof FORMATS;

export function isFormat(name: string): name is Format {
  return Object.hasOwn(FORMATS, name);
}
