import type { DocumentKind, Pointer } from '../types.js';

/** One question of an assessment as its format wrote it: kept so findings and reports can show it. */
export interface Answer {
  question: string;
  /** The answer as written; undefined where the form is not filled in (a template's "$ANSWER"). */
  answer?: string;
  from: Pointer;
  /** The answer's line in the original file (filled in by importDocument). */
  line?: number;
}

/**
 * A document in another organisation's format, mapped onto aims-gate's model: `value` is the document as
 * aims-gate's own schema describes it, `mapped` says which of its fields came from where in the original
 * (so `locate` and `explain` point into the file the user wrote), `unmapped` names every original field that
 * has no place in aims-gate's model.
 */
export interface Imported {
  format: string;
  value: Record<string, unknown>;
  /** `line` and `text` (the original value, where it is text) are filled in by importDocument. */
  mapped: { to: Pointer; from: Pointer; line?: number; text?: string }[];
  unmapped: string[];
  answers: Answer[];
}

export interface Importer {
  /** The name `format:` in the config's `documents:` uses. */
  id: string;
  /** The format's name in messages, e.g. "MinBZK IAMA". */
  name: string;
  kind: DocumentKind;
  /** What `recognise` looks for, in words: said when the config names this format and the file is not in it. */
  expects: string;
  /** Whether a parsed document is in this format, by its content. */
  recognise(value: Record<string, unknown>): boolean;
  /** `body` is the Markdown after the front matter, for a format that keeps its text there. */
  map(value: Record<string, unknown>, body?: string): Imported;
}

/** A record of where each field came from, written as the importer fills them in. */
export class Mapping {
  readonly value: Record<string, unknown> = {};
  readonly mapped: Imported['mapped'] = [];

  set(to: string | Pointer, value: unknown, from: Pointer): void {
    if (value === undefined || value === null || value === '') return;
    const path = typeof to === 'string' ? [to] : to;
    let at: Record<string, unknown> | unknown[] = this.value;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      const next =
        (at as Record<string | number, unknown>)[key] ?? (typeof path[i + 1] === 'number' ? [] : {});
      (at as Record<string | number, unknown>)[key] = next;
      at = next as Record<string, unknown>;
    }
    (at as Record<string | number, unknown>)[path.at(-1)!] = value;
    this.mapped.push({ to: path, from });
  }
}

/** Text of a value, or undefined: an empty string or a template placeholder ("$ANSWER") is no answer. */
export function answerText(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || /^\$[A-Z_.]+$/.test(trimmed) ? undefined : trimmed;
}

/** A format the config names for a document kind (`documents: { kind: { path, format } }`), and where. */
export interface DeclaredFormat {
  /** An importer's id, or `aims-gate`: the document is in aims-gate's own format, never imported. */
  id: string;
  /** Where the config says so, "path:line", for the message when the file is not in that format. */
  at: string;
}
