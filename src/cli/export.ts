import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type AuditEntry, sha256 } from '../audit/entry.js';
import { readEntries } from '../audit/read.js';
import { ed25519Signer, parsePublicKey, type TrustedKey } from '../audit/signature.js';
import { verifyLog } from '../audit/verify.js';
import { UsageError } from '../errors.js';
import { requiredTier } from '../evaluate.js';
import {
  verifyAttestation as checkAttestation,
  requirementProblem,
  signStatement,
  verificationSummary,
} from '../export/attestation.js';
import { exportFacts, utcSeconds } from '../export/context.js';
import { cycloneDx } from '../export/cyclonedx.js';
import { envelopeFile, recordedIn } from '../export/gate.js';
import { spdx } from '../export/spdx.js';
import { LIMITS } from '../limits.js';
import { printable } from '../report/printable.js';
import { GitSource, git } from '../sources/git.js';
import { LocalSource } from '../sources/local.js';
import { RISK_TIERS } from '../types.js';
import { trustedSigners } from './audit.js';
import {
  existingLog,
  locate,
  noSystemsFound,
  originRepository,
  shown,
  whoAndWhere,
  writeOutput,
} from './context.js';
import type { Output } from './main.js';
import { choice, parseCommand, today } from './options.js';

/** How far two writers' clocks may disagree before an entry dated before the one it follows is called backdated. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * aims-gate export: the repository's AI systems as a CycloneDX 1.6 ML-BOM or an SPDX 3.0.1 document, or the
 * commit's verdict as a signed in-toto verification summary (docs/export.md).
 */
export async function exportCommand(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    format: { type: 'string', short: 'f', default: 'cyclonedx' },
    output: { type: 'string', short: 'o' },
    config: { type: 'string', short: 'c' },
    today: { type: 'string' },
    revision: { type: 'string' },
    'signing-key': { type: 'string' },
    bom: { type: 'string' },
  });
  const format = choice('format', values.format, ['cyclonedx', 'spdx', 'intoto']);
  if (format !== 'intoto' && (values['signing-key'] || values.bom))
    throw new UsageError('--signing-key and --bom go with --format intoto');
  if (format === 'intoto' && !values['signing-key'])
    throw new UsageError(
      "--format intoto needs --signing-key FILE: the gate's Ed25519 key in PKCS#8 PEM (aims-gate keygen), listed under signers",
    );
  const { root, scope } = locate(positionals[0]);
  if (scope)
    throw new UsageError(`export describes the whole repository: run it at ${root}, not in ${scope}`);
  const { subject } = await whoAndWhere(root);
  // A signed statement vouches for a commit, so it is made from the commit, never from edited files.
  const revision = values.revision ?? (format === 'intoto' ? subject.commit : undefined);
  if (format === 'intoto' && !revision)
    throw new UsageError('--format intoto attests a commit: run it in a git repository, or pass --revision');
  const source = revision ? await GitSource.resolve(root, revision) : new LocalSource(root);
  const commit = revision ? (await git(root, ['rev-parse', `${revision}^{commit}`])).trim() : subject.commit;
  const commitTime = commit
    ? await git(root, ['log', '-1', '--format=%cI', commit]).then(
        (out) => utcSeconds(new Date(out.trim())),
        () => undefined,
      )
    : undefined;
  // Signing needs the key before the work: a wrong key is said at once.
  const signer = values['signing-key'] ? await signerFrom(values['signing-key']) : undefined;
  const { evaluation, systems, context } = await exportFacts(source, {
    repository: subject.repository ?? basename(root),
    ...(commit ? { commit } : {}),
    ...(commitTime ? { commitTime } : {}),
    ...(process.env.GITHUB_SERVER_URL ? { serverUrl: process.env.GITHUB_SERVER_URL } : {}),
    ...(values.config ? { configPath: values.config } : {}),
    today: today(values.today),
  });
  if (!systems.length) throw new UsageError(noSystemsFound(root, undefined, evaluation.policy.configPath));
  let text: string;
  if (format === 'intoto') {
    const bom = values.bom
      ? await readFile(values.bom).catch(() => {
          throw new UsageError(`--bom ${values.bom}: no such file`);
        })
      : undefined;
    const tier = requiredTier(evaluation);
    const statement = verificationSummary({
      repository: context.repository,
      ...(context.repositoryUrl ? { repositoryUrl: context.repositoryUrl } : {}),
      commit: commit!,
      ...(bom ? { bom: { name: basename(values.bom!), sha256: sha256(bom) } } : {}),
      ...(tier ? { tier } : {}),
      passed: evaluation.verdict === 'pass',
      policy: context.policy,
      time: context.time,
    });
    const envelope = signStatement(statement, signer!);
    text = envelopeFile(envelope);
    io.err(
      `aims-gate: ${commit!.slice(0, 12)} ${statement.predicate.verificationResult} at ${tier ? `tier ${tier}` : 'no tier'}, signed by ${envelope.signatures[0]!.keyid}\n`,
    );
  } else {
    const document = format === 'cyclonedx' ? cycloneDx(systems, context) : spdx(systems, context);
    text = `${JSON.stringify(document, null, 2)}\n`;
  }
  if (values.output) await writeOutput(values.output, text);
  else io.out(text);
  return 0;
}

/**
 * The gate keys of a file, one `ssh-ed25519 AAAA…` line each (a .pub file, or the keys copied from `signers`):
 * where an admission check runs without the repository.
 */
async function gateKeys(file: string): Promise<TrustedKey[]> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UsageError(`--key ${file}: no such file`);
  });
  const lines = text.split(/\r?\n/).map((l) => l.replace(/^\s*-?\s*(key:\s*)?/, '').trim());
  const keys = lines.filter((l) => l && !l.startsWith('#'));
  return keys.map((key, i) => {
    try {
      parsePublicKey(key);
    } catch (error) {
      throw new UsageError(`--key ${file}: key ${i + 1}: ${(error as Error).message}`);
    }
    return { key, role: 'gate' as const };
  });
}

async function signerFrom(file: string) {
  const pem = await readFile(file, 'utf8').catch(() => {
    throw new UsageError(`--signing-key ${file}: no such file`);
  });
  try {
    return ed25519Signer(pem);
  } catch (error) {
    throw new UsageError(`--signing-key ${file}: ${(error as Error).message}`);
  }
}

/**
 * aims-gate verify-attestation FILE: the envelope is signed by a gate or App key the configuration lists under
 * signers, and (with --tier, --commit) says what an admission policy requires. Exit 0 only when all hold.
 */
export async function verifyAttestation(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    config: { type: 'string', short: 'c' },
    tier: { type: 'string' },
    commit: { type: 'string' },
    environment: { type: 'string' },
    dir: { type: 'string' },
    key: { type: 'string' },
    'trusted-ref': { type: 'string' },
    repository: { type: 'string' },
    log: { type: 'string' },
    format: { type: 'string', short: 'f', default: 'text' },
  });
  const ref = values['trusted-ref'];
  if (values.key && (values.dir || values.config || ref !== undefined))
    throw new UsageError(
      '--key names the trusted gate keys itself: leave out --dir, --config and --trusted-ref',
    );
  // An admission check believes a key only from where the change being admitted could not have put it: the
  // working tree (any branch) lists whatever key its writer likes, with role gate.
  if (!values.key && ref === undefined)
    throw new UsageError(
      "verify-attestation needs keys the checked change cannot choose: --trusted-ref REF reads the signers of the configuration committed at REF (a protected branch, e.g. origin/main), --key FILE takes the gate's public keys; the working tree's configuration is not trusted, anyone who can push a branch writes it",
    );
  const format = choice('format', values.format, ['text', 'json']);
  const file = positionals[0];
  if (!file || positionals.length > 1)
    throw new UsageError('verify-attestation takes one file: the DSSE envelope export --format intoto wrote');
  const tier = values.tier === undefined ? undefined : choice('tier', values.tier, RISK_TIERS);
  // Bounded before it is read: an envelope is a few kilobytes, and a file of gigabytes (or a folder) given by
  // mistake or on purpose is said plainly, not read whole into memory or reported as missing.
  const info = await stat(file).catch(() => {
    throw new UsageError(`${file}: no such file`);
  });
  if (info.isDirectory()) throw new UsageError(`${file} is a folder: pass the DSSE envelope file`);
  if (info.size > LIMITS.maxFileBytes)
    throw new UsageError(
      `${file} is ${info.size.toLocaleString('en')} bytes: a DSSE envelope is a few kilobytes, and more than ${LIMITS.maxFileBytes.toLocaleString('en')} is not read`,
    );
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${file}: cannot read it (${error.code ?? error.message})`);
  });
  // With --key no repository is read: the log, if any, is found from here.
  const root = values.key ? process.cwd() : locate(values.dir).root;
  const trusted = values.key
    ? await gateKeys(values.key)
    : await trustedSigners(root, values.config, undefined, ref);
  // The repository it must be about: as given, the workflow's, or (with --trusted-ref) the checkout's origin.
  const repository =
    values.repository ??
    process.env.GITHUB_REPOSITORY ??
    (values.key ? undefined : await originRepository(root));
  if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new UsageError(
      `verify-attestation needs the repository the statement must be about, as OWNER/NAME: --repository${repository ? ` (not "${repository}")` : ''}; GITHUB_REPOSITORY in a workflow, the origin remote with --trusted-ref`,
    );
  const check = checkAttestation(text, trusted);
  let problem = check.ok
    ? requirementProblem(check.statement, {
        repository,
        ...(tier ? { tier } : {}),
        ...(values.commit ? { commit: values.commit } : {}),
        ...(values.environment !== undefined ? { environment: values.environment } : {}),
      })
    : check.reason;
  // --log: the gate's signed entry for the decision names this very attestation by its digest.
  let recorded: Exclude<ReturnType<typeof recordedIn>, { problem: string }> | undefined;
  if (values.log !== undefined && !problem) {
    const store = await existingLog(root, values.log);
    // The chain first: a line edited, inserted or given a key twice (which readers resolve differently) is no
    // record of anything. Signatures of other entries are verify's business; this entry's is checked below.
    const chain = await verifyLog(store.lines());
    const entries: AuditEntry[] = [];
    /** Entries dated more than a clock's skew before one they follow: written later than they say. */
    const backdated = new Set<number>();
    let latest = Number.NEGATIVE_INFINITY;
    // Rejections too: a later one for the same commit and environment overrules the approval (recordedIn).
    for await (const entry of readEntries(store)) {
      const time = Date.parse(entry.time);
      if (time < latest - CLOCK_SKEW_MS) backdated.add(entry.seq);
      latest = Math.max(latest, time);
      if (entry.type === 'deployment.approved' || entry.type === 'deployment.rejected') entries.push(entry);
    }
    const found = chain.ok ? recordedIn(text, entries, trusted) : undefined;
    if (!found)
      problem = `${shown(store.path)} does not verify (${chain.problem?.reason}): run aims-gate verify`;
    else if ('problem' in found) problem = `${shown(store.path)}: ${found.problem}`;
    // A retired key's holder can still sign an entry dated before its until and append it today: the entries
    // it follows say when it was written.
    else if (backdated.has(found.entry.seq))
      problem = `${shown(store.path)}: entry ${found.entry.seq}, which records this approval, is dated ${found.entry.time}, before entries it follows: it was written later than it says, so no key's until can vouch for it`;
    else recorded = found;
  }
  const inLog = recorded
    ? `; recorded by entry ${recorded.entry.seq} of the log (${recorded.by === 'file' ? 'this file' : 'the statement it signs'}), ${recorded.signer}`
    : '';
  const statement = check.statement;
  if (format === 'json') {
    io.out(
      `${JSON.stringify(
        {
          ok: !problem,
          ...(problem ? { problem } : {}),
          ...(check.ok ? { signer: check.signer, fingerprint: check.fingerprint } : {}),
          ...(recorded
            ? { recorded: { seq: recorded.entry.seq, by: recorded.by, signer: recorded.signer } }
            : {}),
          ...(statement ? { statement } : {}),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const about = statement
      ? `${statement.subject.map((s) => s.digest?.gitCommit ?? s.name).join(', ')}: ${[statement.predicate.verificationResult, ...statement.predicate.verifiedLevels.filter((l) => l !== 'FAILED')].join(' ')} at ${statement.predicate.timeVerified}`
      : file;
    io.out(
      problem
        ? `✖ ${printable(about)}\n✖ ${printable(problem)}\n`
        : `✔ ${printable(about)}, signed by the ${check.ok ? `${check.signer} (${check.fingerprint})` : ''}${printable(inLog)}\n`,
    );
  }
  return problem ? 1 : 0;
}
