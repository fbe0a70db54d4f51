import { Minimatch, type MinimatchOptions } from 'minimatch';

interface Compiled {
  minimatch: Minimatch;
  /** The one regular expression a pattern of one path segment comes to, such as "*intended use*". */
  segment?: RegExp;
}

/**
 * Whether `path` matches the glob `pattern`. Each pattern is compiled once per process: `minimatch(path,
 * pattern)` compiles it on every call, which at 20,000 systems (every folder tried against every `systems`
 * pattern) cost more than reading the documents.
 */
export function matches(path: string, pattern: string, options: MinimatchOptions = {}): boolean {
  const key = `${options.dot ? 'd' : ''}${options.nocase ? 'i' : ''} ${pattern}`;
  let compiled = compiledPatterns.get(key);
  if (!compiled) {
    compiled = compile(pattern, options);
    compiledPatterns.set(key, compiled);
  }
  // Minimatch splits the path and walks the pattern's parts on each call, a tenth of the example's check for
  // its card headings; for one segment against one expression, what it does comes to the expression's test.
  if (compiled.segment && !path.includes('/')) return compiled.segment.test(path);
  return compiled.minimatch.match(path);
}

function compile(pattern: string, options: MinimatchOptions): Compiled {
  const minimatch = new Minimatch(pattern, options);
  const { set, negate, comment, empty, isWindows } = minimatch;
  const only = set.length === 1 && set[0]!.length === 1 ? set[0]![0] : undefined;
  const plain = !negate && !comment && !empty && !isWindows && !options.matchBase && !options.partial;
  return only instanceof RegExp && !only.global && !only.sticky && plain
    ? { minimatch, segment: only }
    : { minimatch };
}

const compiledPatterns = new Map<string, Compiled>();
