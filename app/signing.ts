import { readFileSync } from 'node:fs';
import { ed25519Signer, type Signer } from '../src/audit/signature.js';

/**
 * The App's signing key, from AIMS_GATE_SIGNING_KEY (the PEM itself) or AIMS_GATE_SIGNING_KEY_FILE (a file
 * holding it, e.g. a mounted secret): every entry the App writes is signed with it. Neither set: undefined,
 * and the App's entries are unsigned (the caller warns). A key that is set but unusable throws, so the App
 * does not start rather than write unsigned decisions no gate will trust.
 */
export function signerFromEnvironment(env: NodeJS.ProcessEnv): Signer | undefined {
  const file = env.AIMS_GATE_SIGNING_KEY_FILE;
  if (env.AIMS_GATE_SIGNING_KEY && file)
    throw new Error('set AIMS_GATE_SIGNING_KEY or AIMS_GATE_SIGNING_KEY_FILE, not both');
  let pem = env.AIMS_GATE_SIGNING_KEY;
  if (file) {
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(
        `AIMS_GATE_SIGNING_KEY_FILE ${file} cannot be read (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  if (!pem) return undefined;
  try {
    return ed25519Signer(pem);
  } catch (error) {
    throw new Error(
      `${file ? `AIMS_GATE_SIGNING_KEY_FILE ${file}` : 'AIMS_GATE_SIGNING_KEY'}: ${(error as Error).message}`,
    );
  }
}
