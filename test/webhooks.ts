import examples from '@octokit/webhooks-examples' with { type: 'json' };

type Payload = Record<string, unknown> & { action?: string };

/** A real webhook payload from @octokit/webhooks-examples: the first of `event` with this action. */
// biome-ignore lint/suspicious/noExplicitAny: payloads are read as GitHub sends them, field by field
export function webhook(event: string, action?: string): any {
  const found = (examples as unknown as { name: string; examples: Payload[] }[])
    .find((e) => e.name === event)
    ?.examples.find((e) => action === undefined || e.action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${event}${action ? `.${action}` : ''}`);
  return structuredClone(found);
}
