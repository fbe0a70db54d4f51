import { changeCoupling } from './change-coupling.js';
import { consistency } from './consistency.js';
import { documentValid } from './document-valid.js';
import { fields } from './fields.js';
import { freshness } from './freshness.js';
import { governance } from './governance.js';
import { metric } from './metric.js';
import { requiredDocument } from './required-document.js';
import { riskRegister } from './risk-register.js';
import { sections } from './sections.js';
import type { RuleKind } from './types.js';

export type { RuleDefinition, RuleKind, SystemContext, SystemFacts, Violation } from './types.js';

/** Every rule kind, by name. A new kind is one file and one line here. */
export const RULE_KINDS: ReadonlyMap<string, RuleKind> = new Map(
  [
    documentValid,
    requiredDocument,
    fields,
    governance,
    sections,
    riskRegister,
    freshness,
    consistency,
    changeCoupling,
    metric,
  ].map((k) => [k.kind, k]),
);
