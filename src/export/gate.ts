import { sha256 } from '../audit/entry.js';
import type { Signer } from '../audit/signature.js';
import { highestTier, requiredTier } from '../evaluate.js';
import type { Source } from '../source.js';
import type { Evaluation, RiskTier } from '../types.js';
import { type Envelope, type Statement, signStatement, verificationSummary } from './attestation.js';
import { exportFacts } from './context.js';
import { cycloneDx } from './cyclonedx.js';

/** The file name the BOM is written under and named by in the statement's subject. */
export const BOM_FILE = 'aims-gate-bom.cdx.json';
export const ATTESTATION_FILE = 'aims-gate-attestation.dsse.json';

/**
 * What the deployment gate attaches to a decision: the deployed commit's CycloneDX BOM, from the gate's own
 * evaluation, and the decision as a signed verification summary whose subjects are the commit and that BOM.
 */
export async function attestDecision(input: {
  /** The deployed commit's files, and the trusted revision whose config judged them. */
  source: Source;
  policySource: Source;
  evaluation: Evaluation;
  repository: string;
  serverUrl?: string;
  commit: string;
  policyCommit?: string;
  environment: string;
  approved: boolean;
  /** The change set's tier, besides the systems' (a change that removes a high-risk system is judged high). */
  tier?: RiskTier;
  signer: Signer;
  today: string;
}): Promise<{ bom: string; envelope: Envelope; statement: Statement }> {
  const { systems, context } = await exportFacts(
    input.source,
    {
      repository: input.repository,
      commit: input.commit,
      ...(input.serverUrl ? { serverUrl: input.serverUrl } : {}),
      ...(input.policyCommit ? { policyCommit: input.policyCommit } : {}),
      today: input.today,
    },
    { evaluation: input.evaluation, policySource: input.policySource },
  );
  const bom = `${JSON.stringify(cycloneDx(systems, context), null, 2)}\n`;
  const tier = highestTier([input.tier, requiredTier(input.evaluation)]);
  const statement = verificationSummary({
    repository: context.repository,
    ...(context.repositoryUrl ? { repositoryUrl: context.repositoryUrl } : {}),
    commit: input.commit,
    bom: { name: BOM_FILE, sha256: sha256(bom) },
    ...(tier ? { tier } : {}),
    passed: input.approved,
    policy: context.policy,
    time: context.time,
    environment: input.environment,
  });
  return { bom, statement, envelope: signStatement(statement, input.signer) };
}
