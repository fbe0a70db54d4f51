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
export function prescan(text: string): Exceeded | undefined {
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
    if (type === 'scalar') {
      scalarNext = true;
      offset -= token.length; // the marker is not in the source
    }
    if (++nodes > LIMITS.maxYamlNodes) {
      return {
        offset: at,
        bound: 'nodes',
        problem: {
          message: `the document has more than ${LIMITS.maxYamlNodes.toLocaleString('en')} YAML nodes (keys, values and list items)`,
          fix: 'Keep the document to its governance content; move large data (evaluation dumps, datasets) elsewhere and link to it.',
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
        offset: at,
        problem: { message: `the document nests deeper than ${LIMITS.maxDepth} levels`, fix: FLATTEN },
      };
    }
  }
  return undefined;
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
export function expand(doc: Document): { value: unknown } | Exceeded {
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
      const value = node.value;
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
        const key = isScalar(pair.key) ? pair.key.value : null;
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
