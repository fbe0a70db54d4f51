import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A checker of SPDX 3.0.1 JSON-LD against the SPDX 3.0.1 model itself: the class, vocabulary and datatype
 * definitions of spdx/spdx-3-model at tag 3.0.1 (commit a745f63e8643d5ae0f0851fcfa6836085308f80b), copied
 * unchanged under test/fixtures/spdx-3.0.1-model/. No npm package ships SPDX 3's JSON schema; the model's
 * Markdown is what the schema is generated from. What it checks is listed in docs/export.md.
 */

const MODEL = join(import.meta.dirname, 'fixtures', 'spdx-3.0.1-model');
const PREFIX: Record<string, string> = { Core: '', Software: 'software_', AI: 'ai_', Dataset: 'dataset_' };

interface Property {
  key: string;
  type: string;
  min: number;
  max?: number;
}
interface ClassDef {
  name: string;
  parent?: string;
  abstract: boolean;
  properties: Property[];
  restrictions: { key: string; min?: number; max?: number }[];
}

const classes = new Map<string, ClassDef>();
const vocabularies = new Map<string, string[]>();
const patterns = new Map<string, RegExp>();

/** "/Core/Agent", "Agent" (in namespace ns), "xsd:string" → a qualified name "Core/Agent" or "xsd:string". */
function qualify(name: string, ns: string): string {
  if (name.startsWith('xsd:')) return name;
  return name.startsWith('/') ? name.slice(1) : `${ns}/${name}`;
}
const jsonKey = (qualified: string) => {
  const [ns, name] = qualified.split('/') as [string, string];
  return `${PREFIX[ns]}${name}`;
};

function section(text: string, title: string): string {
  const at = text.indexOf(`\n## ${title}\n`);
  if (at < 0) return '';
  const rest = text.slice(at + title.length + 5);
  const end = rest.search(/\n## /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** "- name\n  - type: T\n  - minCount: 1" items of a Properties or restrictions section. */
function items(body: string): { name: string; fields: Record<string, string> }[] {
  const out: { name: string; fields: Record<string, string> }[] = [];
  for (const line of body.split('\n')) {
    const top = /^- (\S+)\s*$/.exec(line);
    const field = /^ {2}- (\w+): (.*)$/.exec(line);
    if (top) out.push({ name: top[1]!, fields: {} });
    else if (field && out.length) out.at(-1)!.fields[field[1]!] = field[2]!.trim();
  }
  return out;
}

function load(dir: string) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      load(full);
      continue;
    }
    const [ns, kind] = relative(MODEL, full).split('/') as [string, string];
    const text = readFileSync(full, 'utf8');
    const meta = Object.fromEntries(
      [...section(text, 'Metadata').matchAll(/^- (\w+): (.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]),
    );
    const qualified = `${ns}/${meta.name}`;
    if (kind === 'Vocabularies')
      vocabularies.set(
        qualified,
        [...section(text, 'Entries').matchAll(/^- (\w+):/gm)].map((m) => m[1]!),
      );
    else if (kind === 'Datatypes') {
      const pattern = /^- pattern: (.*)$/m.exec(section(text, 'Format'))?.[1];
      if (pattern) patterns.set(qualified, new RegExp(pattern, 'u'));
    } else
      classes.set(qualified, {
        name: qualified,
        ...(meta.SubclassOf && meta.SubclassOf !== 'none' ? { parent: qualify(meta.SubclassOf, ns) } : {}),
        abstract: meta.Instantiability === 'Abstract',
        properties: items(section(text, 'Properties')).map(({ name, fields }) => ({
          key: jsonKey(qualify(name, ns)),
          type: qualify(fields.type!, ns),
          min: Number(fields.minCount ?? 0),
          ...(fields.maxCount ? { max: Number(fields.maxCount) } : {}),
        })),
        restrictions: items(section(text, 'External properties restrictions')).map(({ name, fields }) => {
          const [pns, , prop] = name.slice(1).split('/') as [string, string, string];
          return {
            key: jsonKey(`${pns}/${prop}`),
            ...(fields.minCount ? { min: Number(fields.minCount) } : {}),
            ...(fields.maxCount ? { max: Number(fields.maxCount) } : {}),
          };
        }),
      });
  }
}
load(MODEL);

/** The class a JSON-LD `type` names ("ai_AIPackage" → "AI/AIPackage"). */
function classOf(type: unknown): ClassDef | undefined {
  if (typeof type !== 'string') return undefined;
  const [prefix, name] = type.includes('_') ? (type.split('_') as [string, string]) : ['', type];
  const ns = Object.entries(PREFIX).find(([, p]) => p === (prefix ? `${prefix}_` : ''))?.[0];
  return ns ? classes.get(`${ns}/${name}`) : undefined;
}

function chain(def: ClassDef): ClassDef[] {
  const out: ClassDef[] = [];
  for (let c: ClassDef | undefined = def; c; c = c.parent ? classes.get(c.parent) : undefined) out.push(c);
  return out;
}

const isA = (def: ClassDef, ancestor: string) => chain(def).some((c) => c.name === ancestor);

/** Every property a class has, with the cardinalities its own and its subclasses' restrictions set. */
function propertiesOf(def: ClassDef): Map<string, Property> {
  const props = new Map<string, Property>();
  const lineage = chain(def);
  for (const c of [...lineage].reverse()) for (const p of c.properties) props.set(p.key, { ...p });
  for (const c of [...lineage].reverse())
    for (const r of c.restrictions) {
      const p = props.get(r.key);
      if (!p) throw new Error(`${c.name} restricts ${r.key}, which no class of its lineage has`);
      if (r.min !== undefined) p.min = r.min;
      if (r.max !== undefined) p.max = r.max;
    }
  return props;
}

/** Problems of an SPDX 3.0.1 JSON-LD document, each naming the element and the property; [] when none. */
export function spdxProblems(document: { '@graph'?: unknown[] }): string[] {
  const problems: string[] = [];
  const graph = (document['@graph'] ?? []) as Record<string, unknown>[];
  const byId = new Map<string, Record<string, unknown>>();
  for (const node of graph) {
    const id = (node.spdxId ?? node['@id']) as string | undefined;
    if (id !== undefined) {
      if (byId.has(id)) problems.push(`${id}: two elements have this id`);
      byId.set(id, node);
    }
  }
  const check = (node: Record<string, unknown>, where: string, expected?: string) => {
    const def = classOf(node.type);
    if (!def) {
      problems.push(`${where}: type ${JSON.stringify(node.type)} is no class of the model`);
      return;
    }
    if (def.abstract) problems.push(`${where}: ${def.name} is abstract`);
    if (expected && !isA(def, expected)) problems.push(`${where}: a ${def.name} where a ${expected} belongs`);
    const props = propertiesOf(def);
    const element = isA(def, 'Core/Element');
    for (const key of Object.keys(node)) {
      if (key === 'type' || (key === '@id' && !element)) continue;
      if (key === 'spdxId' && element) continue;
      if (!props.has(key)) problems.push(`${where}: ${def.name} has no property ${key}`);
    }
    if (element && typeof node.spdxId !== 'string') problems.push(`${where}: no spdxId`);
    for (const p of props.values()) {
      const value = node[p.key];
      const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
      if (values.length < p.min) problems.push(`${where}: ${p.key} is required (minCount ${p.min})`);
      if (p.max === 1 && Array.isArray(value))
        problems.push(`${where}: ${p.key} takes one value, not a list`);
      if (p.max === undefined && value !== undefined && !Array.isArray(value))
        problems.push(`${where}: ${p.key} takes a list`);
      for (const [i, v] of values.entries())
        valueProblem(v, p.type, `${where}.${p.key}${values.length > 1 ? `[${i}]` : ''}`);
    }
  };
  const valueProblem = (value: unknown, type: string, where: string) => {
    const vocabulary = vocabularies.get(type);
    const referenced = classes.get(type);
    if (vocabulary) {
      if (!vocabulary.includes(value as string))
        problems.push(`${where}: ${JSON.stringify(value)} is not in ${type} (${vocabulary.join(', ')})`);
    } else if (referenced) {
      if (typeof value === 'object' && value !== null) check(value as Record<string, unknown>, where, type);
      else if (typeof value !== 'string' || !byId.has(value))
        problems.push(`${where}: ${JSON.stringify(value)} names no element of the document`);
      else {
        const target = classOf(byId.get(value)!.type);
        if (!target || !isA(target, type)) problems.push(`${where}: ${value} is not a ${type}`);
      }
    } else if (patterns.has(type)) {
      if (typeof value !== 'string' || !patterns.get(type)!.test(value))
        problems.push(`${where}: ${JSON.stringify(value)} does not match ${type}`);
    } else if (type === 'xsd:anyURI') {
      if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(value))
        problems.push(`${where}: ${JSON.stringify(value)} is not a URI`);
    } else if (type === 'xsd:nonNegativeInteger') {
      if (!Number.isInteger(value) || (value as number) < 0)
        problems.push(`${where}: not a non-negative integer`);
    } else if (type === 'xsd:string' || type === 'Core/MediaType') {
      if (typeof value !== 'string') problems.push(`${where}: not a string`);
    } else problems.push(`${where}: the checker does not know the type ${type}`);
  };
  for (const [i, node] of graph.entries()) check(node, String(node.spdxId ?? node['@id'] ?? `@graph[${i}]`));
  return problems;
}

/**
 * What the export leaves out on purpose (docs/export.md): the build time, release time, originator and
 * download location the Dataset profile restricts a `dataset_DatasetPackage` to have, which a model card does
 * not state. These are the problems `spdxProblems` reports for them, in its order: a test expects exactly
 * these and no others, so that any further problem, or one of these filled in without the docs saying so,
 * fails it.
 */
export function unstatedOfDatasets(document: { '@graph'?: unknown[] }): string[] {
  const graph = (document['@graph'] ?? []) as Record<string, unknown>[];
  return graph
    .filter((node) => node.type === 'dataset_DatasetPackage')
    .flatMap((node) =>
      ['originatedBy', 'builtTime', 'releaseTime', 'software_downloadLocation'].map(
        (key) => `${node.spdxId}: ${key} is required (minCount 1)`,
      ),
    );
}
