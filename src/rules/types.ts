import type { GovernanceFacts } from '../documents/governance.js';
import type { DocumentOf, GovernanceDocument, UnreadableDocument } from '../documents/types.js';
import type { DocumentKind, LifecycleStatus, Pointer, RiskTier, Severity } from '../types.js';

/** A rule as a policy pack or config declares it: data, never code. */
export interface RuleDefinition {
  id: string;
  title: string;
  kind: string;
  severity: Severity;
  controls: string[];
  clauses?: string[];
  remedy: string;
  description?: string;
  /** JSON Schema over the system's facts (`SystemFacts`); the rule applies only where it matches. */
  when?: object;
  /** Where the rule was declared, for messages about the rule itself. */
  origin: { path: string; line?: number };
  [param: string]: unknown;
}

/** What a `when` condition can see about a system. */
export interface SystemFacts {
  id: string;
  path: string;
  tier?: RiskTier;
  status?: LifecycleStatus;
  /** Whether the change under evaluation touches the system; absent when no change is known. */
  changed?: boolean;
  documents: DocumentKind[];
}

export interface SystemContext {
  facts: SystemFacts;
  /** Where each document is (or, when missing, where it is expected). */
  paths: Record<DocumentKind, string>;
  /** The documents that parsed. A rule never sees one that did not: the engine reports those instead. */
  documents: Partial<Record<DocumentKind, GovernanceDocument>>;
  unreadable: Partial<Record<DocumentKind, UnreadableDocument>>;
  /** Changed files under the system's folder, relative to the repository; undefined when no change is known. */
  changedFiles?: string[];
  /** Patterns (relative to the system folder) whose change counts as a change to the model. */
  watch: string[];
  /** The governance facts from the card, its governance.yml or the config, first stated wins. */
  governance: GovernanceFacts;
}

export interface RuleEnvironment {
  /** The date the evaluation is for (YYYY-MM-DD): freshness is judged against it. */
  today: string;
}

/** One thing wrong, before the engine adds the rule's id, severity, controls and system. */
export interface Violation {
  message: string;
  path?: string;
  line?: number;
  column?: number;
  /** A more specific remedy than the rule's own, when the violation calls for one. */
  remedy?: string;
}

/** `not-applicable`: the rule has nothing to judge here (no such document, no change known). */
export type RuleOutcome = Violation[] | 'not-applicable';

/** One kind of rule: its parameters (a JSON Schema fragment for the policy schema) and its check. */
export interface RuleKind {
  kind: string;
  summary: string;
  /** JSON Schema `properties` of the parameters this kind takes, and which are required. */
  params: { properties: Record<string, object>; required?: string[]; anyOf?: object[] };
  /** The documents this rule reads; when one of them exists but cannot be read, the rule cannot run. */
  reads(rule: RuleDefinition): DocumentKind[];
  /**
   * Whether the check sees only that something is written (a document, a section with text, a field with a
   * value), never what it says: what such checks alone evidence is "documented", not "conformant".
   */
  presenceOnly?(rule: RuleDefinition): boolean;
  evaluate(rule: RuleDefinition, system: SystemContext, env: RuleEnvironment): RuleOutcome;
}

export function at(
  doc: { path: string; locate(pointer: Pointer): { line: number; column?: number } },
  pointer: Pointer,
) {
  const { line, column } = doc.locate(pointer);
  return { path: doc.path, line, column };
}

export const documentParam = { enum: ['model-card', 'risk-assessment', 'impact-assessment'] };

/** The document a rule names with its `document` parameter. */
export function documentKindOf(rule: RuleDefinition): DocumentKind {
  return rule.document as DocumentKind;
}

export function documentOf<K extends DocumentKind>(
  system: SystemContext,
  kind: K,
): DocumentOf<K> | undefined {
  return system.documents[kind] as DocumentOf<K> | undefined;
}
