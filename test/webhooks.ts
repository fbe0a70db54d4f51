import { createRequire } from 'node:module';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// GitHub's examples (4.3 MB of JSON) and schemas (630 KB), read by Node's own JSON.parse when a test first asks:
// imported as modules, Vite turned them into JavaScript that each test file's import evaluated again, some
// seconds a file.
const require = createRequire(import.meta.url);
const examples = () => require('@octokit/webhooks-examples') as { name: string; examples: Payload[] }[];
const definitions = () =>
  (require('@octokit/webhooks-schemas') as { definitions: Record<string, object> }).definitions;

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Payload = Record<string, unknown> & { action?: string };

/** A real webhook payload from @octokit/webhooks-examples: the first of `event` with this action. */
// biome-ignore lint/suspicious/noExplicitAny: payloads are read as GitHub sends them, field by field
export function webhook(event: string, action?: string): any {
  const found = examples()
    .find((e) => e.name === event)
    ?.examples.find((e) => action === undefined || e.action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${event}${action ? `.${action}` : ''}`);
  return structuredClone(found);
}

/**
 * A validator of GitHub's own schema for one webhook (@octokit/webhooks-schemas), e.g.
 * `deployment_review$approved`: that definition and the definitions it refers to, and no others. Ajv reaching
 * the same definition through the whole schema compiled far more of its 630 KB: half a minute, against one
 * second here.
 */
export function webhookSchema(definition: string, options: Options = {}): ValidateFunction {
  const all = definitions();
  const used = new Set<string>();
  const next = [definition];
  for (let name = next.pop(); name !== undefined; name = next.pop()) {
    if (used.has(name)) continue;
    if (!all[name]) throw new Error(`@octokit/webhooks-schemas has no definition ${name}`);
    used.add(name);
    for (const [, ref] of JSON.stringify(all[name]).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g))
      next.push(ref!);
  }
  const ajv = new Ajv({ strict: false, ...options });
  addFormats(ajv);
  return ajv.compile({
    $ref: `#/definitions/${definition}`,
    definitions: Object.fromEntries([...used].map((name) => [name, all[name]])),
  });
}
