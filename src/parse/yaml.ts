import {
  Composer,
  type CST,
  type Document,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  LineCounter,
  Parser,
  type ScalarTag,
  YAMLParseError,
} from 'yaml';
import { LIMITS } from '../limits.js';
import type { Pointer, Position } from '../types.js';
import { expand, prescan, resolveQuoted } from './bounds.js';
import type { Problem } from './problem.js';

const INCLUDE: ScalarTag = {
  tag: '!include',
  resolve: (path: string) => `!include ${path}`,
};

/** A parsed YAML or JSON document that still knows where each of its values came from. */
export interface ParsedData {
  value: unknown;
  /** The line (and column) of the value at `pointer`, or of its nearest existing ancestor. */
  locate(pointer: Pointer): Position;
}

/**
 * Parses untrusted YAML or JSON (JSON is YAML 1.2) with the core schema only: no custom tags, no
 * duplicate keys, bounded size, depth and alias expansion (each bound checked before the work it
 * bounds is done: see bounds.ts). `lineOffset` shifts reported lines, for front matter that starts
 * below line 1.
 */
export function parseData(text: string, lineOffset = 0): { data: ParsedData } | { problem: Problem } {
  const scan = prescan(text);
  if ('exceeded' in scan) {
    const early = scan.exceeded;
    const before = text.slice(0, early.offset);
    const line = before.split('\n').length;
    return {
      problem: { line: line + lineOffset, column: early.offset - before.lastIndexOf('\n'), ...early.problem },
    };
  }
  // The library's parseDocument, with the syntax tree's long double-quoted strings resolved (resolveQuoted)
  // before the composer builds the document.
  const lineCounter = new LineCounter();
  const quoted = new Map<number, string>();
  function* resolved(tokens: Generator<CST.Token>): Generator<CST.Token> {
    for (const token of tokens) {
      if (token.type === 'document') resolveQuoted(token, quoted);
      yield token;
    }
  }
  const tokens = new Parser(lineCounter.addNewLine).parse(text);
  const composer = new Composer({
    lineCounter,
    // The library compares each key with every earlier one (quadratic: 18 s for a 1 MiB mapping);
    // checkStructure finds repeated keys in one pass instead.
    uniqueKeys: false,
    // MinBZK system cards pull in files with !include: read as the text "!include <path>", never followed.
    customTags: [INCLUDE],
    strict: true,
    logLevel: 'error',
  });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(scan.longQuoted ? resolved(tokens) : tokens, true, text.length)) {
    if (doc) {
      // As parseDocument does: a second document is an error of the first.
      doc.errors.push(
        new YAMLParseError(
          next.range.slice(0, 2) as [number, number],
          'MULTIPLE_DOCS',
          'Source contains multiple documents; please use YAML.parseAllDocuments()',
        ),
      );
      break;
    }
    doc = next;
  }
  // compose() ends with a document, an empty one for an empty text.
  doc = doc!;
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: line + lineOffset, column: col };
  };

  const first = doc.errors[0] ?? doc.warnings[0];
  if (first) {
    // An error at the end of the input (an unclosed bracket) is reported on the last line with text, not on
    // the empty line after the final newline, which an editor does not show.
    const end = text.trimEnd().length;
    const at = position(first.pos[0] >= end ? Math.max(0, end - 1) : first.pos[0]);
    return { problem: { ...at, message: yamlMessage(first.code, first.message), fix: yamlFix(first.code) } };
  }
  // A scalar's value: resolveQuoted's for the long double-quoted ones the composer was given empty.
  const scalarValue = scan.longQuoted
    ? (node: unknown) => (isScalar(node) ? (quoted.get(node.range?.[0] ?? -1) ?? node.value) : node)
    : (node: unknown) => (isScalar(node) ? node.value : node);
  const structural = checkStructure(doc, scalarValue);
  if (structural) return { problem: { ...position(structural.offset), ...structural.problem } };
  const expanded = expand(doc, scalarValue);
  if ('problem' in expanded) return { problem: { ...position(expanded.offset), ...expanded.problem } };
  const { value } = expanded;

  return {
    data: {
      value,
      locate(pointer) {
        for (let depth = pointer.length; depth >= 0; depth--) {
          const node = doc.getIn(pointer.slice(0, depth), true);
          if (isNode(node) && node.range) return position(node.range[0]);
        }
        return { line: 1 + lineOffset };
      },
    },
  };
}

/**
 * Keys that are collections, repeated keys and nesting depth, checked on the syntax tree: the first problem in
 * document order (a pair's key before its value). A walk of its own rather than the library's visit, which
 * copies the path of ancestors at every node; aliases are not followed, and depth is bounded (the pre-scan
 * refused deeper documents).
 */
function checkStructure(
  doc: Document,
  scalarValue: (node: unknown) => unknown,
): { offset: number; problem: Problem } | undefined {
  /** `depth`: how many collections hold the node. */
  const check = (node: unknown, depth: number): { offset: number; problem: Problem } | undefined => {
    if (isPair(node)) {
      if (!isScalar(node.key))
        return {
          offset: (isNode(node.key) && node.key.range?.[0]) || 0,
          problem: {
            message: 'a key is a list or mapping, not plain text',
            fix: 'Write keys as plain text; a value that starts with "{" or "[" must be quoted, e.g. system: "{name}".',
          },
        };
      return check(node.value, depth);
    }
    if (!isCollection(node)) return undefined;
    if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const pair of node.items) {
        const key = scalarValue(pair.key);
        if (!keys.has(key)) {
          keys.add(key);
          continue;
        }
        return {
          offset: (isNode(pair.key) && pair.key.range?.[0]) || 0,
          problem: { message: 'invalid YAML: map keys must be unique', fix: yamlFix('DUPLICATE_KEY') },
        };
      }
    }
    if (depth >= LIMITS.maxDepth)
      return {
        offset: node.range?.[0] ?? 0,
        problem: {
          message: `the document nests deeper than ${LIMITS.maxDepth} levels`,
          fix: 'Flatten the structure: governance documents need only a few levels of nesting.',
        },
      };
    for (const item of node.items) {
      const found = check(item, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return check(doc.contents, 0);
}

function yamlMessage(code: string, message: string): string {
  const text = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'TAG_RESOLVE_FAILED') return `${text} (custom YAML tags are not allowed)`;
  return `invalid YAML: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

function yamlFix(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'Remove or rename one of the repeated keys.';
    case 'TAG_RESOLVE_FAILED':
      return 'Remove the tag (the part starting with "!") and write a plain value.';
    case 'MULTIPLE_DOCS':
      return 'Keep one YAML document per file: remove the extra "---" line.';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'Check indentation (spaces, not tabs) and that every bracket and quote is closed.';
    default:
      return 'Fix the YAML syntax at this line; a YAML linter or editor with a schema shows the exact spot.';
  }
}
