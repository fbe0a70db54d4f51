import type { AuditEntry } from '../audit/entry.js';
import { keyLogins } from '../audit/nonconformities.js';
import { loginKey } from '../audit/organisation.js';
import { isGateKey, type SignerCheck, signerOf, signerWords, type TrustedKey } from '../audit/signature.js';

/** One gate decision for one AI system and environment: a line of the deployment register. */
export interface DeploymentRow {
  seq: number;
  time: string;
  system: string;
  environment: string;
  decision: 'approved' | 'rejected';
  commit?: string;
  pullRequests: string[];
  approvers: string[];
  /** "#12 governance team: alice, bob": each requirement met, and by whom. */
  roles: string[];
  reason: string;
  /** Which run of the gate wrote it; absent for a decision the gate did not write (an old log, a hand-made one). */
  writer?: string;
  actor: string;
  /** The evaluation of this system at this commit the decision rests on, where the log has it. */
  evaluation?: number;
  /** Who signed it, in words, where the report was given the trusted keys. */
  signer?: string;
  /** Not signed by a gate or app key the configuration lists: no gate decision, whatever it says. */
  forged?: boolean;
}

/** Who signed an entry that claims to be the gate's, and whether that makes it a forgery. */
export function gateSignature(
  entry: AuditEntry,
  trusted: readonly TrustedKey[],
): { signer: string; forged: boolean; vouched: boolean } {
  const check: SignerCheck = signerOf(entry, trusted);
  // A trusted person's key that names the entry's login vouches for who wrote it; a gate key, only that it kept it.
  const vouched =
    check.status === 'signed' &&
    check.key.role === 'person' &&
    keyLogins(check.key).includes(loginKey(entry.actor.login));
  return { signer: signerWords(check), forged: !isGateKey(check), vouched };
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const isDecision = (entry: AuditEntry) =>
  entry.type === 'deployment.approved' || entry.type === 'deployment.rejected';

/** The systems a decision ships: those it lists (a gate decision lists its change set's), or its subject's. */
function shipped(entry: AuditEntry): string[] {
  const listed = strings(entry.details?.systems);
  return listed.length ? listed : [entry.subject?.system ?? '(not recorded)'];
}

/**
 * The deployment register, read a decision at a time: every `deployment.*` decision, once per AI system it
 * ships, linked to the evaluation of that system at that commit. Fed the log in order, it keeps only the
 * latest evaluation of each system and commit, never the decisions: for each it gives the evaluations its rows
 * link to, and the reader keeps what it lists (deploymentRow makes a row of the entry again).
 */
export class DeploymentRegister {
  private readonly evaluations = new Map<string, number>();

  /** Per row of a decision (a system it ships), the evaluation it links to, 0 for none; empty for any other entry. */
  add(entry: AuditEntry): number[] {
    const { subject = {} } = entry;
    if (entry.type === 'evaluated' && subject.system && subject.commit)
      this.evaluations.set(`${subject.system}\0${subject.commit}`, entry.seq);
    if (!isDecision(entry)) return [];
    return shipped(entry).map((system) =>
      subject.commit ? (this.evaluations.get(`${system}\0${subject.commit}`) ?? 0) : 0,
    );
  }
}

/** Row `index` of a decision (the index-th system it ships), linked to `evaluation` (0: none) as DeploymentRegister gave it. */
export function deploymentRow(
  entry: AuditEntry,
  index: number,
  evaluation: number,
  trusted?: readonly TrustedKey[],
): DeploymentRow {
  const { subject = {}, details = {} } = entry;
  return {
    seq: entry.seq,
    time: entry.time,
    system: shipped(entry)[index]!,
    environment: subject.environment ?? '(not recorded)',
    decision: entry.type === 'deployment.approved' ? 'approved' : 'rejected',
    ...(subject.commit ? { commit: subject.commit } : {}),
    pullRequests: strings(details.pullRequests),
    approvers: strings(details.approvers),
    roles: strings(details.roles),
    reason: typeof details.reason === 'string' ? details.reason : '',
    ...(typeof details.writer === 'string' ? { writer: details.writer } : {}),
    actor: entry.actor.login,
    ...(evaluation ? { evaluation } : {}),
    ...(trusted ? gateSignature(entry, trusted) : {}),
  };
}
