import { readYamlAsset } from './assets.js';

interface AnnexA {
  objectives: Record<string, string>;
  controls: Record<string, string>;
  clauses: Record<string, string>;
}

let annex: AnnexA | undefined;

/** ISO/IEC 42001:2023 Annex A: the 38 controls (A.2.2–A.10.4) and their titles, from reference/. */
export function annexA(): AnnexA {
  if (!annex) {
    const parsed = readYamlAsset('reference/iso42001-annex-a.yml');
    if ('problem' in parsed) throw new Error(`reference/iso42001-annex-a.yml: ${parsed.problem.message}`);
    annex = parsed.data.value as AnnexA;
  }
  return annex;
}

export function controlIds(): string[] {
  return Object.keys(annexA().controls);
}

/** The ISO/IEC 42001 management-system clauses the reference lists, in the standard's order. */
export function clauseIds(): string[] {
  return Object.keys(annexA().clauses);
}

export function controlTitle(id: string): string {
  return annexA().controls[id] ?? annexA().clauses[id] ?? id;
}

/** The control the audit log as a whole evidences: AI system recording of event logs. */
export const EVENT_LOG_CONTROL = 'A.6.2.8';

/**
 * Controls that lifecycle events evidence by being in the audit log, beyond A.6.2.8 (which the log itself
 * evidences): the gate's decisions and the approvals it counted (A.6.2.5), what operation records (A.6.2.6),
 * incidents (A.8.4) and documentation changes (A.6.2.3). Only what these entries show, nothing they imply.
 */
export const LOG_EVIDENCE: Readonly<Record<string, readonly string[]>> = {
  'A.6.2.3': ['documents.changed'],
  'A.6.2.5': ['deployment.approved', 'deployment.rejected', 'approval.given', 'approval.withdrawn'],
  'A.6.2.6': ['monitoring.alert', 'model.retrained'],
  'A.8.4': ['incident'],
};
