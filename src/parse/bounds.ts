import { CST, type Document, isAlias, isMap, isScalar, isSeq, Lexer, type Node } from 'yaml';
import { LIMITS } from '../limits.js';
import type { Problem } from './problem.js';

/** Where in the text a bound was passed (an offset), and what to tell the user. */
export interface Exceeded {
  offset: number;
  /** Set when the bound passed is the number of nodes written (a card can then leave out its widget data). */
  bound?: 'nodes';
  problem: Problem;
}

const FLATTEN = 'Flatten the structure: governance documents need only a few levels of nesting.';

/**
 * One pass over the lexer's tokens, before the parser builds anything: how many nodes the document
 * writes (scalars, aliases, flow collections and list items) and how deep it nests. The YAML library's syntax tree costs about half a kilobyte per token and
 * its parser recurses once per level (a thousand levels overflow the stack), so both are bounded here,
 * where a token costs only its string and nothing is kept.
 *
 * Depth is estimated from indentation (a stack of the indents of lines that start content), dashes
 * that open a list inside a list item on the same line ("- - x"), and open flow brackets. The estimate
 * can count a scalar on its own more-indented line as one more level, so it refuses only past
 * `maxDepth + 1`; the exact depth is then checked on the parsed tree.
 */
export function prescan(text: string): { exceeded: Exceeded } | { longQuoted: boolean } {
  let longQuoted = false;
  let nodes = 0;
  let offset = 0;
  let flow = 0;
  let lineStart = true;
  let indent = 0;
  let lineDepth = 0;
  let scalarNext = false;
  const indents: number[] = [];
  for (const token of new Lexer().lex(text)) {
    const at = offset;
    offset += token.length;
    if (scalarNext) {
      // The text of a plain or block scalar follows its marker; it may start with spaces.
      scalarNext = false;
      continue;
    }
    const type = token === CST.SCALAR ? 'scalar' : CST.tokenType(token);
    switch (type) {
      case 'newline':
        lineStart = true;
        indent = 0;
        continue;
      case 'space':
        if (lineStart) indent = token.length;
        continue;
      case 'comment':
      case 'byte-order-mark':
      case 'doc-mode':
      case 'doc-start':
      case 'doc-end':
      case 'directive-line':
      case 'flow-error-end':
      case 'anchor':
      case 'tag':
      case 'comma':
      case 'map-value-ind': // a pair's key and value are counted, not its colon
      case null:
        continue;
    }
    if (token[0] === '"' && token.length >= QUOTED_VALUE) longQuoted = true;
    if (type === 'scalar') {
      scalarNext = true;
      offset -= token.length; // the marker is not in the source
    }
    if (++nodes > LIMITS.maxYamlNodes) {
      return {
        exceeded: {
          offset: at,
          bound: 'nodes',
          problem: {
            message: `the document has more than ${LIMITS.maxYamlNodes.toLocaleString('en')} YAML nodes (keys, values and list items)`,
            fix: 'Keep the document to its governance content; move large data (evaluation dumps, datasets) elsewhere and link to it.',
          },
        },
      };
    }
    if (lineStart) {
      lineStart = false;
      if (flow === 0) {
        while (indents.length > 0 && indents.at(-1)! >= indent) indents.pop();
        indents.push(indent);
      }
      lineDepth = indents.length;
    } else if (type === 'seq-item-ind' || type === 'explicit-key-ind') {
      lineDepth++; // "- - x": a list inside a list item, on one line
    }
    if (type === 'flow-seq-start' || type === 'flow-map-start') flow++;
    else if ((type === 'flow-seq-end' || type === 'flow-map-end') && flow > 0) flow--;
    if (lineDepth + flow > LIMITS.maxDepth + 1) {
      return {
        exceeded: {
          offset: at,
          problem: { message: `the document nests deeper than ${LIMITS.maxDepth} levels`, fix: FLATTEN },
        },
      };
    }
  }
  return { longQuoted };
}

/** What a node expands to: its value, and its size with every alias written out. */
interface Expanded {
  value: unknown;
  nodes: number;
  bytes: number;
}

/**
 * The document's value, built in one pass over the parsed tree, with its size once every alias is
 * written out: nodes, and bytes of scalar text. An anchored node's value and size are kept and reused by
 * its aliases (an alias is the same object, as in the YAML library), so reuse that a format intends (a
 * template anchored once and aliased per question, as the MinBZK IAMA and AIIA instruments do) stays
 * small, while a "billion laughs" of aliases of aliases, which grows geometrically, is refused before
 * anything walks its expansion. The library's own toJS looks up each alias by scanning every node before
 * it, quadratic in aliases (50,000 aliases take 90 s); this is linear. Depth is bounded, so recursion is
 * shallow. Keys are scalars (checkStructure), read as text the way the library reads them.
 */
export function expand(
  doc: Document,
  scalarValue: (node: unknown) => unknown,
): { value: unknown } | Exceeded {
  const anchored = new Map<string, Expanded>();
  /** Anchors of the nodes being built: an alias of one of them would make the value contain itself. */
  const open = new Set<string>();
  let exceeded: Exceeded | undefined;
  const refuse = (node: Node, message: string, fix: string): Expanded => {
    exceeded ??= { offset: node.range?.[0] ?? 0, problem: { message, fix } };
    return { value: null, nodes: 0, bytes: 0 };
  };
  const build = (node: unknown): Expanded => {
    if (exceeded || node === null || node === undefined) return { value: null, nodes: 1, bytes: 0 };
    if (isAlias(node)) {
      if (open.has(node.source))
        return refuse(
          node,
          `the alias *${node.source} is inside the value it names, so that value would contain itself`,
          'Write the value out in full; an alias can only repeat a value that is complete before it.',
        );
      // An alias names the last anchor before it; one with no anchor is the parser's error, reported before.
      return anchored.get(node.source) ?? { value: null, nodes: 1, bytes: 0 };
    }
    const anchor = (node as Node).anchor;
    if (anchor) open.add(anchor);
    let result: Expanded;
    if (isScalar(node)) {
      const value = scalarValue(node);
      result = { value, nodes: 1, bytes: typeof value === 'string' ? value.length : 8 };
    } else if (isSeq(node)) {
      const value: unknown[] = [];
      result = { value, nodes: 1, bytes: 0 };
      for (const item of node.items) {
        const part = build(item);
        value.push(part.value);
        result.nodes += part.nodes;
        result.bytes += part.bytes;
      }
    } else if (isMap(node)) {
      const value: Record<string, unknown> = {};
      result = { value, nodes: 1, bytes: 0 };
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? scalarValue(pair.key) : null;
        const name = key === null || key === undefined ? '' : String(key);
        const part = build(pair.value);
        // "__proto__", "constructor" and the like become own keys, never the object's prototype.
        if (name in value)
          Object.defineProperty(value, name, {
            value: part.value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        else value[name] = part.value;
        result.nodes += 1 + part.nodes;
        result.bytes += name.length + part.bytes;
      }
    } else {
      result = { value: null, nodes: 1, bytes: 0 };
    }
    if (anchor) {
      open.delete(anchor);
      anchored.set(anchor, result);
    }
    if (result.nodes > LIMITS.maxExpandedNodes || result.bytes > LIMITS.maxExpandedBytes) {
      return refuse(
        node as Node,
        `the document's YAML aliases expand it to more than ${
          result.nodes > LIMITS.maxExpandedNodes
            ? `${LIMITS.maxExpandedNodes.toLocaleString('en')} nodes`
            : `${LIMITS.maxExpandedBytes / 1024 / 1024} MiB of text`
        }`,
        'Write values out in full, or alias only small templates: aliases of aliases multiply the size of the document.',
      );
    }
    return result;
  };
  const { value } = build(doc.contents);
  return exceeded ?? { value };
}

/** A double-quoted value at least this long is resolved by resolveQuoted; a key, at least this long (past YAML's own 1,024 for implicit keys). */
const QUOTED_VALUE = 16;
const QUOTED_KEY = 1025;

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  '\t': '\t',
};

/**
 * The YAML library resolves a double-quoted scalar a character at a time into a string it appends to, which
 * V8 keeps as a chain of one 32-byte node per character until the string is read: 60 MiB for a 1 MiB string,
 * and a JSON document is nothing but double-quoted strings. So, in the syntax tree before it is composed, each
 * long double-quoted value (and each key past YAML's 1,024 characters) is resolved here, in runs between
 * escapes and line breaks, as the library does it (YAML 1.2's escapes and line folding), and the library is
 * given an empty string in its place: `resolved` gets its value under its offset, which expand and
 * checkStructure read. A tagged scalar is left to the library (the tag resolves its text), and so is one that
 * does not end with its quote (the library's error). At an invalid escape the library is given that escape
 * alone, at its place, and reports it as it would have.
 */
export function resolveQuoted(document: CST.Document, resolved: Map<number, string>): void {
  const take = (token: CST.Token | null | undefined, props: CST.SourceToken[][], shortest: number) => {
    if (!token) return;
    if ('items' in token) {
      for (const item of token.items) {
        take(item.key, [item.start], QUOTED_KEY);
        take(item.value, [item.start, item.sep ?? []], QUOTED_VALUE);
      }
      return;
    }
    if (token.type !== 'double-quoted-scalar' || token.source.length < shortest) return;
    if (props.some((tokens) => tokens.some((t) => t.type === 'tag'))) return;
    const result = doubleQuoted(token.source);
    if (result === undefined) return;
    if (typeof result === 'string') {
      resolved.set(token.offset, result);
      token.source = '""';
    } else {
      token.offset += result.at - 1;
      token.source = `"${token.source.substr(result.at, result.length)}"`;
    }
  };
  // Depth is bounded (the pre-scan refused deeper documents), so the recursion is shallow.
  take(document.value, [document.start], QUOTED_VALUE);
}

/**
 * A double-quoted scalar's value, from its source with both quotes; undefined for one without its closing quote;
 * where an escape is invalid, its index and length.
 */
function doubleQuoted(source: string): string | { at: number; length: number } | undefined {
  if (source.length < 2 || source[source.length - 1] !== '"') return undefined;
  const parts: string[] = [];
  let run = 1; // where the text taken as it is starts
  const cut = (end: number, next: number, text?: string) => {
    if (end > run) parts.push(source.slice(run, end));
    if (text) parts.push(text);
    run = next;
  };
  for (let i = 1; i < source.length - 1; ++i) {
    const ch = source[i];
    if (ch === '\r' && source[i + 1] === '\n') {
      cut(i, i + 1);
    } else if (ch === '\n') {
      // One line break folds to a space; more to one line break fewer; the next line's indentation goes.
      let fold = '';
      const start = i;
      let next = source[i + 1];
      while (next === ' ' || next === '\t' || next === '\n' || next === '\r') {
        if (next === '\r' && source[i + 2] !== '\n') break;
        if (next === '\n') fold += '\n';
        i += 1;
        next = source[i + 1];
      }
      cut(start, i + 1, fold || ' ');
    } else if (ch === '\\') {
      const start = i;
      let next = source[++i]!;
      const code = ESCAPES[next];
      if (code) {
        cut(start, i + 1, code);
      } else if (next === '\n' || (next === '\r' && source[i + 1] === '\n')) {
        // An escaped line break joins the lines, without the next one's indentation.
        if (next === '\r') i += 1;
        next = source[i + 1]!;
        while (next === ' ' || next === '\t') next = source[++i + 1]!;
        cut(start, i + 1);
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = source.substr(i + 1, length);
        const point =
          hex.length === length && /^[0-9a-fA-F]+$/.test(hex) ? Number.parseInt(hex, 16) : Number.NaN;
        if (!(point <= 0x10ffff)) return { at: start, length: length + 2 };
        i += length;
        cut(start, i + 1, String.fromCodePoint(point));
      } else {
        return { at: start, length: 2 };
      }
    } else if (ch === ' ' || ch === '\t') {
      // Spaces and tabs before a line break go; elsewhere they stay, as part of the run.
      const start = i;
      let next = source[i + 1];
      while (next === ' ' || next === '\t') next = source[++i + 1];
      if (next === '\n' || (next === '\r' && source[i + 2] === '\n')) cut(start, i + 1);
    }
  }
  cut(source.length - 1, source.length - 1);
  return parts.join('');
}
