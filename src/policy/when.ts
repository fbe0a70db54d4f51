/**
 * A rule's `when` (a JSON Schema over the system's governance facts) as a person reads it: "tier is high or
 * prohibited and status is not retired". Shapes beyond these read as the schema itself. `explain` and the
 * Statement of Applicability both say where a rule applies in these words.
 */
export function conditionInWords(when: unknown): string {
  const schema = when as { properties?: Record<string, unknown>; required?: string[] };
  const parts = Object.entries(schema.properties ?? {}).map(([fact, test]) => `${fact} ${testInWords(test)}`);
  return parts.length && parts.every((p) => !p.includes('{')) ? parts.join(' and ') : JSON.stringify(when);
}

function testInWords(test: unknown): string {
  const t = test as { const?: unknown; enum?: unknown[]; not?: unknown };
  if (t.const !== undefined) return `is ${t.const}`;
  if (t.enum) return `is ${t.enum.join(' or ')}`;
  if (t.not) return testInWords(t.not).replace(/^is /, 'is not ');
  return JSON.stringify(test);
}
