import type { Evaluation } from '../types.js';
import { renderCompact } from './compact.js';
import { renderGithub } from './github.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { printable } from './printable.js';
import { renderSarif } from './sarif.js';
import { textChunks } from './text.js';

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
  text: (e: Evaluation, o: RenderOptions) => [...textChunks(e, o)].join(''),
  json: (e: Evaluation) => [...jsonChunks(e)].join(''),
  markdown: (e: Evaluation) => renderMarkdown(printable(e)),
  sarif: (e: Evaluation, o: RenderOptions) => renderSarif(e, o.version),
  compact: (e: Evaluation) => renderCompact(printable(e)),
  github: (e: Evaluation) => renderGithub(printable(e)),
  junit: (e: Evaluation) => renderJunit(e),
} as const;

export type Format = keyof typeof FORMATS;

/**
 * A format's output in pieces, to be written as they are made: text and JSON a system or a finding at a time
 * (a repository of 25,000 systems renders to hundreds of megabytes), the others whole.
 */
export function renderChunks(format: Format, e: Evaluation, o: RenderOptions): Iterable<string> {
  if (format === 'text') return textChunks(e, o);
  if (format === 'json') return jsonChunks(e);
  return [FORMATS[format](e, o)];
}

/** Pieces joined into writes of about 64 KiB: one write per finding would cost more than making it. */
export function* batched(chunks: Iterable<string>, size = 1 << 16): Generator<string> {
  let pending = '';
  for (const chunk of chunks) {
    pending += chunk;
    if (pending.length >= size) {
      yield pending;
      pending = '';
    }
  }
  if (pending) yield pending;
}

/** Arrays of the evaluation that grow with the repository: written an item at a time. */
const LONG = new Set(['systems', 'findings', 'rules']);

/**
 * `JSON.stringify(evaluation, null, 2)` and a line end, the same bytes, made an item at a time. JSON escapes
 * every line end inside a string, so indenting each item's lines by its depth is exact.
 */
export function* jsonChunks(evaluation: Evaluation): Generator<string> {
  const nested = (value: unknown, indent: string) =>
    JSON.stringify(value, null, 2).replaceAll('\n', `\n${indent}`);
  // As JSON.stringify: a key whose value is undefined is left out.
  const keys = Object.entries(evaluation).filter(([, v]) => v !== undefined);
  yield '{';
  for (const [n, [key, value]] of keys.entries()) {
    const head = `${n ? ',' : ''}\n  ${JSON.stringify(key)}: `;
    if (!LONG.has(key) || !Array.isArray(value) || value.length === 0) {
      yield head + nested(value, '  ');
      continue;
    }
    yield `${head}[`;
    for (const [i, item] of value.entries()) yield `${i ? ',' : ''}\n    ${nested(item, '    ')}`;
    yield '\n  ]';
  }
  yield keys.length ? '\n}\n' : '}\n';
}

export function isFormat(name: string): name is Format {
  return Object.hasOwn(FORMATS, name);
}
