import type { EvaluationHead, EvaluationStream, EvaluationTail, SystemResult } from '../types.js';

/**
 * A format written as the evaluation is made: its opening, each system's part as the system is judged, and its
 * closing once the verdict is known. It keeps what its closing needs (counts, the few things it lists), never
 * every finding.
 */
export interface Writer {
  head(head: EvaluationHead): Iterable<string>;
  system(result: SystemResult): Iterable<string>;
  tail(tail: EvaluationTail): Iterable<string>;
}

/** A writer's output for an evaluation whose results are all at hand. */
export function* write(writer: Writer, stream: EvaluationStream): Generator<string> {
  yield* writer.head(stream.head);
  for (const result of stream.results as Iterable<SystemResult>) yield* writer.system(result);
  yield* writer.tail(stream.tail());
}

/** `JSON.stringify(value, null, 2)` as it reads at this indent, so that pieces join into one document. */
export function nestedJson(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replaceAll('\n', `\n${indent}`);
}
