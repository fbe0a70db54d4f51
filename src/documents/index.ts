import type { ValidateFunction } from 'ajv';
import { readJsonAsset } from '../assets.js';
import { withCatalogue } from '../formats/finos-risk.js';
import { type DeclaredFormat, importDocument } from '../formats/index.js';
import { decodeText } from '../parse/text.js';
import { type ParsedData, parseData } from '../parse/yaml.js';
import { compileSchema, prepareSchemas, validateData } from '../schema.js';
import type { DocumentKind } from '../types.js';
import { record } from './fields.js';
import { GOVERNANCE_SCHEMA } from './governance.js';
import { normaliseImpactAssessment } from './impact-assessment.js';
import { parseModelCard, splitFrontMatter } from './model-card.js';
import { normaliseRiskAssessment } from './risk-assessment.js';
import type { GovernanceDocument, UnreadableDocument } from './types.js';

export type { GovernanceDocument, UnreadableDocument } from './types.js';

/** The published schema of each document kind, under schemas/ so editors can validate as users type. */
export const SCHEMA_FILES: Record<DocumentKind, string> = {
  'model-card': 'schemas/model-card.schema.json',
  'risk-assessment': 'schemas/risk-assessment.schema.json',
  'impact-assessment': 'schemas/impact-assessment.schema.json',
};

/**
 * Parses and normalises one document: once, with positions kept. Whatever is wrong with it comes back as
 * data (an unreadable document, or schema violations on a readable one), never as an exception.
 */
export function loadDocument(
  kind: DocumentKind,
  path: string,
  bytes: Uint8Array,
  format?: DeclaredFormat,
): GovernanceDocument | UnreadableDocument {
  const decoded = decodeText(bytes);
  if ('problem' in decoded) return { kind, path, problem: decoded.problem };

  if (kind === 'model-card') {
    const card = parseModelCard(path, decoded.text, format);
    if ('problem' in card) return { kind, path, problem: card.problem };
    return { kind, path, ...card, violations: validate(kind, card.data), locate: card.data.locate };
  }

  // A risk or impact assessment may be Markdown with front matter (a FINOS catalogue entry): its front matter
  // is the data, its body what an importer reads besides.
  const front = /\.(md|markdown)$/i.test(path) ? splitFrontMatter(decoded.text) : undefined;
  if (front && 'problem' in front) return { kind, path, problem: front.problem };
  const parsed = front ? parseData(front.yaml ?? '', (front.yamlLine ?? 1) - 1) : parseData(decoded.text);
  if ('problem' in parsed) return { kind, path, problem: parsed.problem };
  const imported = importDocument(kind, parsed.data, front?.body, format);
  if (imported && 'problem' in imported) return { kind, path, problem: imported.problem };
  const data = imported?.data ?? withCatalogue(kind, parsed.data);
  if (!record(data.value)) {
    return {
      kind,
      path,
      problem: {
        line: 1,
        message: `the ${kind.replace('-', ' ')} is ${data.value === null ? 'empty' : 'not a mapping of keys to values'}`,
        fix: `Start from the template: npx aims-gate init <system folder> writes one, with its schema linked for your editor.`,
      },
    };
  }
  const base = {
    path,
    data,
    violations: validate(kind, data),
    locate: data.locate,
    ...(imported ? { imported: imported.imported } : {}),
  };
  return kind === 'risk-assessment'
    ? { kind, ...base, ...normaliseRiskAssessment(data) }
    : { kind, ...base, ...normaliseImpactAssessment(data) };
}

const validators = new Map<DocumentKind, ValidateFunction>();
let prepared: Promise<void> | undefined;

/** Loads Ajv before loadDocument (or a governance.yml is read) if a document schema changed since `npm run schemas` precompiled it. */
export function prepareDocumentSchemas(): Promise<void> {
  prepared ??= prepareSchemas(
    [...Object.values(SCHEMA_FILES), GOVERNANCE_SCHEMA].map((file) => readJsonAsset(file)),
  );
  return prepared;
}

function validate(kind: DocumentKind, data: ParsedData) {
  let validator = validators.get(kind);
  if (!validator) {
    validator = compileSchema(readJsonAsset(SCHEMA_FILES[kind]));
    validators.set(kind, validator);
  }
  return validateData(validator, data);
}

export function isReadable(
  doc: GovernanceDocument | UnreadableDocument | undefined,
): doc is GovernanceDocument {
  return doc !== undefined && !('problem' in doc);
}
