import { readYamlAsset } from './assets.js';

interface AnnexA {
  objectives: Record<string, string>;
  controls: Record<string, string>;
}

let annex: AnnexA | undefined;
let clauseTitles: Record<string, string> | undefined;

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

/** ISO/IEC 42001:2023 clauses 4.1 to 10.2 with their subclauses and titles, in the standard's order. */
export function clauses(): Record<string, string> {
  if (!clauseTitles) {
    const parsed = readYamlAsset('reference/iso42001-clauses.yml');
    if ('problem' in parsed) throw new Error(`reference/iso42001-clauses.yml: ${parsed.problem.message}`);
    clauseTitles = (parsed.data.value as { clauses: Record<string, string> }).clauses;
  }
  return clauseTitles;
}

export function clauseIds(): string[] {
  return Object.keys(clauses());
}

/** Whether evidence citing `cited` evidences `clause`: itself, or one of its subclauses (6.1.2 evidences 6.1). */
export function evidencesClause(cited: string, clause: string): boolean {
  return cited === clause || cited.startsWith(`${clause}.`);
}

export function controlTitle(id: string): string {
  return annexA().controls[id] ?? clauses()[id] ?? id;
}

/**
 * A control nothing found wrong with, by what evidences it: conformant where a check that judges what the
 * documents say ran (or the log's entries evidence it), documented where only checks that see that a section
 * or field has text did. One sentence ("Trained on 1x CPU node") passes those: it documents, nothing more.
 */
export function cleanStatus(
  ran: readonly { presenceOnly?: true }[],
  logged = false,
): 'conformant' | 'documented' {
  return logged || ran.some((r) => !r.presenceOnly) ? 'conformant' : 'documented';
}

/**
 * AI system recording of event logs: about the AI system's own event logs in operation. Each system states its
 * logging (the rule card.event-logging); aims-gate's governance log records the life cycle around the system,
 * which supports the control but is not those logs, so it never evidences the control alone.
 */
export const EVENT_LOG_CONTROL = 'A.6.2.8';

/**
 * Controls that lifecycle events evidence by being in the audit log: the gate's decisions and the approvals it
 * counted (A.6.2.5, GATE_WRITTEN_CONTROLS), what operation records (A.6.2.6), incidents that say who was
 * informed and when (A.8.4; an entry lacking the details its type requires, entry.ts REQUIRED_DETAILS, counts
 * for nothing) and documentation changes (A.6.2.3). Only what these entries show, nothing they imply.
 */
export const LOG_EVIDENCE: Readonly<Record<string, readonly string[]>> = {
  'A.6.2.3': ['documents.changed'],
  'A.6.2.5': ['deployment.approved', 'deployment.rejected', 'approval.given', 'approval.withdrawn'],
  'A.6.2.6': ['monitoring.alert', 'model.retrained'],
  'A.8.4': ['incident'],
};

/**
 * Controls only the gate's own entries evidence: signed by a gate or app key the configuration lists. An
 * entry that is unsigned, or signed by a person, is not the gate's whatever its type, so the report that
 * calls it "not the gate" never counts it for deployment (A.6.2.5).
 */
export const GATE_WRITTEN_CONTROLS: ReadonlySet<string> = new Set(['A.6.2.5']);
