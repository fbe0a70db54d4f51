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

/**
 * The deployment register: every `deployment.*` decision, once per AI system it ships (a gate decision
 * lists the systems its change set touches), linked to the evaluation of that system at that commit.
 */
export function deploymentRegister(
  entries: Iterable<AuditEntry>,
  trusted?: readonly TrustedKey[],
): DeploymentRow[] {
  const rows: DeploymentRow[] = [];
  const evaluations = new Map<string, number>();
  for (const entry of entries) {
    const { subject = {}, details = {} } = entry;
    if (entry.type === 'evaluated' && subject.system && subject.commit)
      evaluations.set(`${subject.system}\0${subject.commit}`, entry.seq);
    if (entry.type !== 'deployment.approved' && entry.type !== 'deployment.rejected') continue;
    const signed = trusted ? gateSignature(entry, trusted) : undefined;
    const listed = strings(details.systems);
    const systems = listed.length ? listed : [subject.system ?? '(not recorded)'];
    for (const system of systems) {
      const evaluation = subject.commit ? evaluations.get(`${system}\0${subject.commit}`) : undefined;
      rows.push({
        seq: entry.seq,
        time: entry.time,
        system,
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
        ...(signed ?? {}),
      });
    }
  }
  return rows;
}
