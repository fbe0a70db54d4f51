import type { ApprovalRule } from './approvals.js';
import type { Statement } from './soa.js';
import type { ChangedSystem } from './tiers.js';

/** Plain data passed between the stages of one evaluation. Tests build these by hand. */

export const SEVERITIES = ['major', 'minor', 'observation'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The lowest severity that fails a check, or never. */
export const FAIL_ON = ['major', 'minor', 'never'] as const;

export const DOCUMENT_KINDS = ['model-card', 'risk-assessment', 'impact-assessment'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export const RISK_TIERS = ['minimal', 'limited', 'high', 'prohibited'] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

export const LIFECYCLE_STATUSES = [
  'development',
  'validation',
  'production',
  'deprecated',
  'retired',
] as const;
export type LifecycleStatus = (typeof LIFECYCLE_STATUSES)[number];

/** A place in a file: 1-based line and column. */
export interface Position {
  line: number;
  column?: number;
}

/** A path into a parsed document, as keys and array indexes. */
export type Pointer = readonly (string | number)[];

export interface Waiver {
  rule: string;
  system: string;
  reason: string;
  approver: string;
  expires: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  controls: string[];
  system?: string;
  path?: string;
  line?: number;
  column?: number;
  message: string;
  remedy: string;
  /**
   * In a document read through an importer, the original question and answer at the finding's line, as its
   * format wrote them: what the finding is about, in the words the team wrote (not part of its fingerprint).
   */
  original?: string;
  /** Set when a valid waiver covers this finding: it is reported but does not block. */
  waiver?: Waiver;
}

/** A document read through an importer: what was mapped from where, the original answers, what was not mapped. */
export interface ImportSummary {
  path: string;
  /** The format's name, e.g. "MinBZK IAMA". */
  format: string;
  /** Each aims-gate field filled, from the original field (and its line), with the original text there. */
  mapped: { to: string; from: string; line?: number; text?: string }[];
  /** The assessment's questions, and how many of them are answered. */
  questions: number;
  answered: number;
  /** Every original field with no place in aims-gate's model. */
  unmapped: string[];
}

/**
 * A control's status from the checks citing it: the worst open finding; conformant when checks that judge
 * what the documents say ran clean; documented when only checks that see that something is written did.
 */
export type ControlStatus = 'conformant' | 'documented' | 'observation' | 'minor' | 'major' | 'not-evaluated';
export type Verdict = 'pass' | 'fail';

export interface SystemSummary {
  id: string;
  path: string;
  tier?: RiskTier;
  /** Why the tier is what it is, when it is not simply what the documents say. */
  tierNote?: string;
  status?: LifecycleStatus;
  owner?: string;
  version?: string;
  changed?: boolean;
  documents: Partial<Record<DocumentKind, string>>;
  /** SHA-256 of each document as read: what an audit entry cites as evidence. */
  evidence: { path: string; sha256: string }[];
  /** The documents read through an importer (another organisation's format), and what was mapped from where. */
  imports?: ImportSummary[];
  /** The risk register's risks: their ids, treatments and the controls each treatment cites. */
  risks?: { id?: string; treatment?: string; controls: string[] }[];
  counts: Record<Severity, number>;
  waived: number;
  /** How many rules ran on the system (those their `when` did not exclude). */
  checks: number;
  /** Of those, how many could not look: a document they read cannot be read (its own finding says why). */
  skipped: number;
}

export interface ControlResult {
  control: string;
  title: string;
  status: ControlStatus;
  rules: string[];
  findings: number;
}

export interface WaiverResult extends Waiver {
  status: 'applied' | 'expired' | 'unused';
  findings: number;
}

/** What outputs need to know about a rule of the policy in force (SARIF rule metadata, `explain`). */
export interface RuleSummary {
  id: string;
  title: string;
  kind: string;
  severity: Severity;
  controls: string[];
  clauses: string[];
  remedy: string;
  /** The documents the rule looks at: what evidences its controls in a Statement of Applicability. */
  documents: DocumentKind[];
  /** It sees only that something is written, not what it says (RuleKind.presenceOnly). */
  presenceOnly?: true;
  /** The rule's condition over the system's facts; absent: it applies to every AI system. */
  when?: object;
  /**
   * The AI systems (ids) it ran on in this evaluation: its `when` held and it had a readable document to
   * judge. What a Statement of Applicability may claim it evidences, and no more.
   */
  appliedTo: string[];
}

/** One audit of the internal audit programme (`audits`). */
export interface PlannedAudit {
  id: string;
  scope: { systems?: string[]; controls?: string[]; clauses?: string[] };
  criteria: string;
  /** YYYY-MM-DD */
  planned: string;
  auditor: string;
}

/**
 * What an AI objective (clause 6.2, config `objectives`) is measured by: figures the report computes from the
 * log and the documents, or `reviewed`, the result management recorded (`record --type objective.reviewed`).
 */
export const OBJECTIVE_METRICS = {
  'open-nonconformities': "nonconformities open at the period's end (observations are none)",
  'open-major-nonconformities': "major nonconformities open at the period's end",
  'overdue-nonconformities': 'nonconformities open past their due date',
  'median-days-to-close': 'median days from opening to a closure that counts, every nonconformity',
  'median-days-to-close-manual': 'median days to close, nonconformities opened by hand (audits, incidents)',
  'median-days-to-close-automatic': 'median days to close, nonconformities the gate opened from findings',
  'open-findings': 'findings open in the evaluation (not waived)',
  'open-major-findings': 'major findings open in the evaluation (not waived)',
  'overdue-reviews': 'documents past their review date',
  'rejected-deployments': 'deployments the gate rejected in the last twelve months',
  reviewed:
    'the result of the latest objective.reviewed entry naming the objective: met, partly met or missed',
} as const;

export type ObjectiveMetric = keyof typeof OBJECTIVE_METRICS;

/** An AI objective with its target (config `objectives`, clause 6.2). */
export interface Objective {
  id: string;
  title: string;
  metric: ObjectiveMetric;
  /** A bound on the figure, or (metric `reviewed`) the target in words, as management set it. */
  target: { max: number } | { min: number } | string;
  owner?: string;
}

export interface Evaluation {
  verdict: Verdict;
  failOn: Severity | 'never';
  today: string;
  policy: {
    id: string;
    configPath?: string;
    configSource: string;
    /** Where the config sends lifecycle events: `file:PATH`, `branch:NAME` or `none`. */
    auditLog: string;
    /** The config's release branches (names or globs); empty: the default branch alone. */
    releaseBranches: string[];
    /** The config's approval requirements, for the pull-request check and the deployment gate. */
    approvals: ApprovalRule[];
    /** The internal audit programme (config `audits`): what the report compares with the audits performed. */
    audits: PlannedAudit[];
    /** The AI objectives with their targets (config `objectives`, clause 6.2): the report says met or missed. */
    objectives: Objective[];
  };
  /** The organisation's Statement of Applicability, as declared (the tool never decides applicability). */
  statement: Statement;
  rules: RuleSummary[];
  systems: SystemSummary[];
  /** With a base revision: the systems the change touches on either side, by id, with both tiers. */
  changedSystems?: ChangedSystem[];
  findings: Finding[];
  controls: ControlResult[];
  waivers: WaiverResult[];
  /** Things the user should know that are not findings (a config change not applied, a scope note). */
  notices: string[];
  /** Rules switched off by the config, each with the reason given. */
  disabled: { id: string; reason: string }[];
}

/**
 * One system's part of an evaluation, made as it is judged: its summary (counts included) and its findings,
 * sorted, with waivers applied. Without a summary: the findings outside any AI system, which come last.
 */
export interface SystemResult {
  summary?: SystemSummary;
  findings: Finding[];
}

/** What is known of an evaluation before any system is judged. */
export type EvaluationHead = Pick<
  Evaluation,
  'failOn' | 'today' | 'policy' | 'statement' | 'changedSystems'
> & {
  /** How many AI systems will be judged. */
  systems: number;
  /** The rules in force, in order (the tail gives each with the systems it ran on). */
  ruleIds: string[];
};

/** What every output's closing lines count: made as systems are judged, so no format needs every finding. */
export interface Tally {
  systems: number;
  /** Findings, waived ones included. */
  findings: number;
  /** Open findings by severity. */
  open: Record<Severity, number>;
  waived: number;
  /** Rule checks (a rule on a system), those that failed (an open finding) and those skipped (unreadable document). */
  checks: number;
  failed: number;
  skipped: number;
}

/** What is known once every system is judged. */
export type EvaluationTail = Pick<
  Evaluation,
  'verdict' | 'failOn' | 'rules' | 'controls' | 'waivers' | 'notices' | 'disabled'
> & { tally: Tally };

/**
 * An evaluation as it is made: the head, each system's result in path order (then the findings outside any
 * system), and the tail, which `tail()` gives once every result has been taken.
 */
export interface EvaluationStream {
  head: EvaluationHead;
  results: AsyncIterable<SystemResult> | Iterable<SystemResult>;
  tail(): EvaluationTail;
}
