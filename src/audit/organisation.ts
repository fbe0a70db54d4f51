import type { PlannedAudit } from '../policy/load.js';
import type { Details } from './entry.js';

/**
 * Events of the management system itself (ISO/IEC 42001 clauses 4 to 10), about no one AI system: recorded
 * with `aims-gate record` and no --system. Each names the clause it evidences and the details without which
 * an auditor could not accept it; `audit.*` take the audit's scope, criteria, date and auditor from the
 * internal audit programme (config `audits`), so that what was planned cannot be retyped differently.
 */
export const ORGANISATION_EVENTS = {
  'management.review': {
    clause: '9.3',
    details: {
      attendees: 'who took part (top management among them)',
      inputs: 'what was reviewed (9.3.2: audit results, nonconformities, objectives, risks, ...)',
      decisions: 'what was decided (9.3.3: improvements, changes to the management system)',
    },
  },
  'audit.planned': {
    clause: '9.2',
    details: { audit: 'the id of an audit of the programme (config audits)' },
  },
  'audit.performed': {
    clause: '9.2',
    details: {
      audit: 'the id of an audit of the programme (config audits)',
      findings: 'what it found: the nonconformities opened (NC-12, ...) or "none"',
    },
  },
  'objective.reviewed': {
    clause: '6.2',
    details: {
      objective: 'the AI objective reviewed',
      target: 'its target',
      result: 'met, missed, or partly met',
    },
  },
  'policy.approved': {
    clause: '5.2',
    details: { policy: 'the policy approved (its name)', version: 'the version approved' },
  },
} as const satisfies Record<string, { clause: string; details: Record<string, string> }>;

export type OrganisationEvent = keyof typeof ORGANISATION_EVENTS;

export function isOrganisationEvent(type: string): type is OrganisationEvent {
  return Object.hasOwn(ORGANISATION_EVENTS, type);
}

const OBJECTIVE_RESULTS = ['met', 'missed', 'partly met'];

/** A login as typed or as an owner writes it: "@Alice" and "alice" are one person. */
export const loginKey = (login: string): string => login.trim().replace(/^@/, '').toLowerCase();

export interface Owned {
  /** What is owned, as a message names it: "system credit-scoring". */
  what: string;
  owner: string;
}

/**
 * The details an organisation event is recorded with, or why it cannot be: every required detail present,
 * an audit one of the programme (its plan copied in), and an auditor who owns nothing in the audit's scope
 * (9.2.2: auditors who are objective and impartial). `owned` lists the owners of what the audit covers.
 */
export function organisationDetails(
  type: OrganisationEvent,
  details: Details,
  audits: readonly PlannedAudit[],
  owned: (audit: PlannedAudit) => Owned[],
): { details: Details } | { problem: string } {
  const spec = ORGANISATION_EVENTS[type];
  const missing = Object.entries(spec.details).filter(
    ([key]) => typeof details[key] !== 'string' || !(details[key] as string).trim(),
  );
  if (missing.length)
    return {
      problem: `${type} (clause ${spec.clause}) needs ${missing.map(([key, what]) => `--detail ${key}=… (${what})`).join(', ')}`,
    };
  if (type === 'objective.reviewed' && !OBJECTIVE_RESULTS.includes(String(details.result)))
    return {
      problem: `--detail result must be one of ${OBJECTIVE_RESULTS.join(', ')}, not "${details.result}"`,
    };
  if (type !== 'audit.planned' && type !== 'audit.performed') return { details };

  const audit = audits.find((a) => a.id === details.audit);
  if (!audit)
    return {
      problem: `--detail audit=${details.audit} is no audit of the programme${audits.length ? ` (${audits.map((a) => a.id).join(', ')})` : ''}: plan it under audits in .github/aims-gate.yml (id, scope, criteria, planned, auditor) first`,
    };
  for (const key of ['scope', 'criteria', 'planned'] as const)
    if (details[key] !== undefined)
      return {
        problem: `--detail ${key} is the programme's (audits: ${audit.id}): change it there, through review, not on the command line`,
      };
  // The programme names who audits; the one who did may differ (a substitute), and is checked the same way.
  const auditor =
    typeof details.auditor === 'string' && details.auditor.trim() ? details.auditor.trim() : audit.auditor;
  const conflicts = owned(audit).filter((o) => loginKey(o.owner) === loginKey(auditor));
  if (conflicts.length)
    return {
      problem: `${auditor} cannot audit ${audit.id}: they own ${conflicts.map((c) => c.what).join(', ')}, which the audit covers; an internal auditor must not audit their own work (clause 9.2.2): name another auditor with --detail auditor=LOGIN, or in the programme`,
    };
  return {
    details: {
      ...details,
      auditor,
      criteria: audit.criteria,
      planned: audit.planned,
      ...(audit.scope.systems ? { systems: audit.scope.systems } : {}),
      ...(audit.scope.controls ? { controls: audit.scope.controls } : {}),
      ...(audit.scope.clauses ? { clauses: audit.scope.clauses } : {}),
    },
  };
}
