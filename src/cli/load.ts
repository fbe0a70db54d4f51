import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import type { main as Main } from './main.js';

/**
 * Where `npm run build` puts the CLI as one CommonJS file (scripts/build-cli.js) and V8's code cache of it.
 * Loading some 250 modules one by one, and compiling them, cost most of a short command's time.
 */
export const BUNDLE = fileURLToPath(new URL('../cli.cjs', import.meta.url));
export const CODE_CACHE = `${BUNDLE}.cache`;
/**
 * The cache starts with a CRC-32 of the bundle it was made from and of itself: a cache of another build is not
 * used, nor a damaged one, which V8 would read unchecked (a flipped byte crashed the process). A checksum, not
 * a digest: whoever can write the cache can write the bundle, and SHA-256 of both cost 15 ms of each start.
 */
const HASH_BYTES = 4;

function seal(code: Buffer, data: Buffer): Buffer {
  const seal = Buffer.alloc(HASH_BYTES);
  seal.writeUInt32BE(crc32(data, crc32(code)));
  return seal;
}

/** The code cache as written beside the bundle: its seal, then V8's data. */
export function sealedCache(code: Buffer, data: Buffer): Buffer {
  return Buffer.concat([seal(code, data), data]);
}

/** The bundle as a script, wrapped as Node wraps a CommonJS module, with the code cache if it is its own. */
export function bundleScript(code: Buffer, cache?: Buffer): Script {
  const data = cache && cache.length > HASH_BYTES ? cache.subarray(HASH_BYTES) : undefined;
  const cachedData = data && cache!.subarray(0, HASH_BYTES).equals(seal(code, data)) ? data : undefined;
  return new Script(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, {
    filename: BUNDLE,
    ...(cachedData ? { cachedData } : {}),
  });
}

/** Runs the bundle's top level and returns what it exports. */
export function runBundle(script: Script): { main: typeof Main } {
  const module = { exports: {} as { main: typeof Main } };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return module.exports;
}

/**
 * The CLI's `main`: from the bundle, or, where there is none (src/ run by tests), from its modules. A cache
 * V8 rejects (another Node version, other flags) costs only the time it saves.
 */
export async function loadMain(): Promise<typeof Main> {
  if (!existsSync(BUNDLE)) return (await import('./main.js')).main;
  let cache: Buffer | undefined;
  try {
    cache = readFileSync(CODE_CACHE);
  } catch {
    // Built without a cache: compiled as it runs.
  }
  try {
    const { main } = runBundle(bundleScript(readFileSync(BUNDLE), cache));
    if (typeof main === 'function') return main;
  } catch {
    // A damaged bundle (a build cut short): the modules it is built from run the same commands.
  }
  return (await import('./main.js')).main;
}
