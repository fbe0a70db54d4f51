import { sameEnvironment } from '../approvals.js';
import type { AuditEntry } from '../audit/entry.js';
import { sha256 } from '../audit/entry.js';
import { isGateKey, type Signer, signerOf, signerWords, type TrustedKey } from '../audit/signature.js';
import type { Attachment } from '../audit/store.js';
import { highestTier, requiredTier } from '../evaluate.js';
import type { Source } from '../source.js';
import type { Evaluation, RiskTier } from '../types.js';
import { type Envelope, type Statement, signStatement, verificationSummary } from './attestation.js';
import { type ExportContext, exportFacts } from './context.js';
import { cycloneDx } from './cyclonedx.js';

/** The file name the BOM is written under and named by in the statement's subject. */
export const BOM_FILE = 'aims-gate-bom.cdx.json';
export const ATTESTATION_FILE = 'aims-gate-attestation.dsse.json';

/** What a BOM of what the gate judged is made from: the commit's files and the evaluation that judged them. */
export interface Judged {
  /** The commit's files, and the trusted revision whose config judged them. */
  source: Source;
  policySource: Source;
  evaluation: Evaluation;
  repository: string;
  serverUrl?: string;
  commit: string;
  policyCommit?: string;
  today: string;
}

/**
 * The CycloneDX BOM of a commit the gate (or the App's check) judged, from that evaluation, as the file's text;
 * with the export context the statement reuses.
 */
export async function judgedBom(input: Judged): Promise<{ bom: string; context: ExportContext }> {
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
  return { bom: `${JSON.stringify(cycloneDx(systems, context), null, 2)}\n`, context };
}

/**
 * What the deployment gate attaches to a decision: the deployed commit's CycloneDX BOM, from the gate's own
 * evaluation, and the decision as a signed verification summary whose subjects are the commit and that BOM.
 */
export async function attestDecision(
  input: Judged & {
    environment: string;
    approved: boolean;
    /** The change set's tier, besides the systems' (a change that removes a high-risk system is judged high). */
    tier?: RiskTier;
    signer: Signer;
  },
): Promise<Attestation> {
  const { bom, context } = await judgedBom(input);
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
  const envelope = signStatement(statement, input.signer);
  return { bom, statement, envelope, file: envelopeFile(envelope) };
}

/** A decision's BOM and signed statement, with the envelope as its file's bytes. */
export interface Attestation {
  bom: string;
  envelope: Envelope;
  statement: Statement;
  /** The envelope as written to a file: the bytes the log's `attestation` digest is of. */
  file: string;
}

/** An envelope as a file: one JSON line, so that the file is also an in-toto `.intoto.jsonl` bundle of one. */
export function envelopeFile(envelope: Envelope): string {
  return `${JSON.stringify(envelope)}\n`;
}

/** A SHA-256 digest as the log writes it: `sha256:<hex>`. */
export const digestOf = (data: string | Uint8Array) => `sha256:${sha256(data)}`;

/**
 * What a `deployment.approved` entry records of what the gate attached to it: the SHA-256 of the BOM, of the
 * envelope file, and of the statement it signs (the DSSE payload). The payload's digest is the one that
 * survives a registry or a policy engine storing the envelope re-encoded (`cosign` keeps the payload, not
 * our bytes); the file's is the one `sha256sum` gives of what the gate wrote. Rekor's DSSE entries keep the
 * same two (`envelopeHash`, `payloadHash`).
 */
export function attestationDigests(made: Attestation): {
  bom: string;
  attestation: string;
  attestationPayload: string;
} {
  return {
    bom: digestOf(made.bom),
    attestation: digestOf(made.file),
    attestationPayload: digestOf(Buffer.from(made.envelope.payload, 'base64')),
  };
}

/**
 * The files kept beside the log entry (a branch log: in the entry's own commit), named by their digests so
 * that the entry's digest is the file's address and no second deployment overwrites the first's:
 * `attestations/<sha256>.intoto.jsonl` and `attestations/<sha256>.cdx.json`.
 */
export function attachments(made: Attestation): Record<'attestation' | 'bom', Attachment> {
  return {
    attestation: { path: attestationPath(digestOf(made.file)), content: made.file },
    bom: bomAttachment(made.bom),
  };
}

/** Where the attestation an entry names by its digest (`sha256:…`) is kept beside the log. */
export const attestationPath = (digest: string) =>
  `attestations/${digest.replace(/^sha256:/, '')}.intoto.jsonl`;

/** A BOM kept beside the log: `attestations/<sha256>.cdx.json`, beside the attestations that name it. */
export function bomAttachment(bom: string): Attachment {
  return { path: `attestations/${sha256(bom)}.cdx.json`, content: bom };
}

/**
 * The `deployment.approved` entry of `entries` that recorded this envelope file, signed by a gate or App key
 * of `trusted`: by the file's bytes (`attestation`) or, where it was re-encoded, by the statement it signs
 * (`attestationPayload`). Else why none: no entry names it, or only entries no gate key signed (anyone who
 * can write the log can copy a digest into an entry of their own), or a later gate-signed rejection of the
 * same commit and environment overruled it. `entries`: the log's deployment entries, approved and rejected.
 */
export function recordedIn(
  text: string,
  entries: readonly AuditEntry[],
  trusted: readonly TrustedKey[],
): { entry: AuditEntry; by: 'file' | 'payload'; signer: string } | { problem: string } {
  const file = digestOf(text);
  let payload: string | undefined;
  try {
    const envelope = JSON.parse(text) as Partial<Envelope>;
    if (typeof envelope?.payload === 'string') payload = digestOf(Buffer.from(envelope.payload, 'base64'));
  } catch {}
  const naming = entries.flatMap((entry) => {
    if (entry.type !== 'deployment.approved') return [];
    const by =
      entry.details?.attestation === file
        ? ('file' as const)
        : payload && entry.details?.attestationPayload === payload
          ? ('payload' as const)
          : undefined;
    return by ? [{ entry, by, check: signerOf(entry, trusted) }] : [];
  });
  const signed = naming.find((n) => isGateKey(n.check));
  if (signed) {
    // An approval is the gate's word until it says otherwise: a later gate-signed rejection of the same commit
    // for the same environment (an approval dismissed, the system's tier risen) is its last word, and an old
    // envelope replayed to an admission check must not outlive it.
    const { commit, environment } = signed.entry.subject ?? {};
    const overruled = entries.find(
      (e) =>
        e.type === 'deployment.rejected' &&
        e.seq > signed.entry.seq &&
        e.subject?.commit === commit &&
        (e.subject?.environment === environment ||
          (e.subject?.environment !== undefined &&
            environment !== undefined &&
            sameEnvironment(e.subject.environment, environment))) &&
        isGateKey(signerOf(e, trusted)),
    );
    if (overruled)
      return {
        problem: `the gate approved it in entry ${signed.entry.seq}, then rejected ${commit?.slice(0, 12) ?? 'the same commit'} for ${environment ?? 'the same environment'} in entry ${overruled.seq} (${overruled.time}): an approval it overruled`,
      };
    return { entry: signed.entry, by: signed.by, signer: signerWords(signed.check) };
  }
  if (naming.length)
    return {
      problem: `the log's entry ${naming.map((n) => n.entry.seq).join(', ')} names it, but no gate or app key the configuration lists signed ${naming.length === 1 ? 'that entry' : 'those entries'} (${naming.map((n) => signerWords(n.check)).join('; ')})`,
    };
  return {
    problem: `no deployment.approved entry of the log records it (file ${file}${payload ? `, statement ${payload}` : ''}): the gate did not record this attestation, or it was changed`,
  };
}
