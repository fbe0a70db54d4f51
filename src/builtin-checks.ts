import type { Severity } from './types.js';

/**
 * Checks the evaluation makes itself, outside any policy pack: their ids appear in findings like a rule's,
 * so `explain` must know them too. One table, read by the evaluation and by `explain`.
 */
export const BUILT_IN_CHECKS = {
  'inventory.orphan-document': {
    title: 'Every governance document belongs to a declared AI system',
    severity: 'minor',
    remedy:
      'Add its folder to `systems` in .github/aims-gate.yml, or move it into the folder of the system it describes.',
  },
  'document.imported': {
    title: 'A document in another format is read through its importer, and says what could not be mapped',
    severity: 'observation',
    remedy:
      "Nothing to fix for the fields that were mapped; state what could not be mapped (approver, severity, tier) in aims-gate's own document, or accept that the assessment does not say it. docs/formats.md lists each mapping.",
  },
  'inventory.governance-file': {
    title: "A system's governance.yml can be read and matches its schema (schemas/governance.schema.json)",
    severity: 'major',
    remedy: 'Fix the file as the finding says (its line and the fix are given), or remove it.',
  },
} as const satisfies Record<string, { title: string; severity: Severity; remedy: string }>;

export type BuiltInCheck = keyof typeof BUILT_IN_CHECKS;
