import { collectEvaluation, streamOf } from '../stream.js';
import type { Evaluation, EvaluationStream } from '../types.js';
import { compactWriter } from './compact.js';
import { githubWriter } from './github.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { printable } from './printable.js';
import { sarifWriter } from './sarif.js';
import { Spill } from './spill.js';
import { textWriter } from './text.js';
import { nestedJson, type Writer, write } from './writer.js';

export interface RenderOptions {
  color: boolean;
  version: string;
}

/** A format that needs the whole evaluation before its first line (the verdict heads a PR comment). */
type Whole = (e: Evaluation, o: RenderOptions) => string;

/**
 * Every output format, by name: each makes its output from the evaluation and never re-evaluates. Text, JSON,
 * SARIF, compact and github are written as systems are judged; Markdown and JUnit take the evaluation whole.
 * Text, Markdown, compact and github show every string with its control characters escaped (JSON and SARIF
 * escape them already; JUnit does its own).
 */
const WRITERS = {
  text: (o: RenderOptions): Writer => textWriter(o),
  json: (): Writer => jsonWriter(),
  markdown: ((e) => renderMarkdown(printable(e))) satisfies Whole,
  sarif: (o: RenderOptions): Writer => sarifWriter(o.version),
  compact: (): Writer => compactWriter(),
  github: (): Writer => githubWriter(),
  junit: ((e) => renderJunit(e)) satisfies Whole,
} as const;

export type Format = keyof typeof WRITERS;

const isWhole = (format: Format) => format === 'markdown' || format === 'junit';

/** Each format as a function of a whole evaluation (the CLI writes them from the stream: `renderChunks`). */
export const FORMATS = Object.fromEntries(
  (Object.keys(WRITERS) as Format[]).map((format) => [
    format,
    (e: Evaluation, o: RenderOptions = { color: false, version: '' }) =>
      isWhole(format)
        ? (WRITERS[format] as Whole)(e, o)
        : [...write((WRITERS[format] as (o: RenderOptions) => Writer)(o), streamOf(e))].join(''),
  ]),
) as Record<Format, (e: Evaluation, o?: RenderOptions) => string>;

/**
 * A format's output in pieces, each written as it is made: a system's part as soon as it is judged (a repository
 * of 25,000 systems renders to hundreds of megabytes, and its findings are not held to the end). Markdown and
 * JUnit collect the evaluation first.
 */
export async function* renderChunks(
  format: Format,
  stream: EvaluationStream,
  o: RenderOptions,
): AsyncGenerator<string> {
  if (isWhole(format)) {
    yield (WRITERS[format] as Whole)(await collectEvaluation(stream), o);
    return;
  }
  const writer = (WRITERS[format] as (o: RenderOptions) => Writer)(o);
  // A piece per system, not per finding: each piece passes through async generators, and their promises cost.
  yield [...writer.head(stream.head)].join('');
  for await (const result of stream.results) yield [...writer.system(result)].join('');
  yield* writer.tail(stream.tail());
}

/** Pieces joined into writes of about 64 KiB: one write per finding would cost more than making it. */
export async function* batched(chunks: AsyncIterable<string>, size = 1 << 16): AsyncGenerator<string> {
  let pending = '';
  for await (const chunk of chunks) {
    pending += chunk;
    if (pending.length >= size) {
      yield pending;
      pending = '';
    }
  }
  if (pending) yield pending;
}

/**
 * The evaluation as JSON, `JSON.stringify(…, null, 2)` and a line end, with its keys in the order they become
 * known: what the policy and the base say, the findings (written as each system is judged, by system in path
 * order), the systems (put aside as they are judged, written after the findings), then the rules that ran, the
 * per-control results, the waivers, the notices, the disabled rules and the verdict. JSON escapes every line
 * end inside a string, so indenting each item's lines by its depth is exact.
 */
export function jsonWriter(): Writer {
  const systems = new Spill();
  let systemCount = 0;
  let findingCount = 0;
  let keys = 0;
  const key = (name: string) => `${keys++ ? ',' : ''}\n  ${JSON.stringify(name)}: `;
  const item = (n: number, value: unknown) => `${n ? ',' : ''}\n    ${nestedJson(value, '    ')}`;
  function* array(name: string, items: unknown[]): Generator<string> {
    yield `${key(name)}[`;
    for (const [i, value] of items.entries()) yield item(i, value);
    yield items.length ? '\n  ]' : ']';
  }
  return {
    *head({ systems: _, ruleIds: __, ...head }) {
      yield '{';
      // As JSON.stringify: a key whose value is undefined is left out.
      for (const [name, value] of Object.entries(head))
        if (value !== undefined) yield `${key(name)}${nestedJson(value, '  ')}`;
      yield `${key('findings')}[`;
    },
    *system({ summary, findings }) {
      for (const finding of findings) yield item(findingCount++, finding);
      if (summary) systems.write(item(systemCount++, summary));
    },
    *tail({ verdict, rules, controls, waivers, notices, disabled }) {
      yield findingCount ? '\n  ]' : ']';
      yield `${key('systems')}[`;
      yield* systems.read();
      yield systemCount ? '\n  ]' : ']';
      yield* array('rules', rules);
      for (const [name, value] of Object.entries({ controls, waivers, notices, disabled, verdict }))
        yield `${key(name)}${nestedJson(value, '  ')}`;
      yield '\n}\n';
    },
  };
}
