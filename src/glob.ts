import { Minimatch, type MinimatchOptions } from 'minimatch';

/**
 * Whether `path` matches the glob `pattern`. Each pattern is compiled once per process: `minimatch(path,
 * pattern)` compiles it on every call, which at 20,000 systems (every folder tried against every `systems`
 * pattern) cost more than reading the documents.
 */
export function matches(path: string, pattern: string, options: MinimatchOptions = {}): boolean {
  const key = `${options.dot ? 'd' : ''}${options.nocase ? 'i' : ''} ${pattern}`;
  let compiled = compiledPatterns.get(key);
  if (!compiled) {
    compiled = new Minimatch(pattern, options);
    compiledPatterns.set(key, compiled);
  }
  return compiled.match(path);
}

const compiledPatterns = new Map<string, Minimatch>();
