import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type AnchorReport,
  anchorsPath,
  anchorTimes,
  appendAnchor,
  checkAnchors,
  datedBeforeAnchorWords,
  keepLines,
  REVOCATION_WORDS,
  readAnchors,
  readTokens,
  TSA_CHAIN_WORDS,
} from '../audit/anchors.js';
import { type Checkpoint, formatCheckpoint } from '../audit/entry.js';
import type { FileStore } from '../audit/file-store.js';
import { timestampQuery, tokenOfResponse } from '../audit/timestamp.js';
import { readCertificates } from '../audit/token.js';
import { type VerifyOptions, type VerifyResult, verifyLog } from '../audit/verify.js';
import { UsageError } from '../errors.js';
import { loadPolicy } from '../policy/load.js';
import { plural } from '../report/words.js';
import { LocalSource } from '../sources/local.js';
import { existingLog, locate, shown } from './context.js';
import type { Output } from './main.js';
import { parseCommand } from './options.js';
import { post, shownUrl } from './timestamp-authority.js';

/**
 * aims-gate anchor: has a timestamp authority timestamp the log's head (RFC 3161) and keeps the token beside
 * the log. Only a log that verifies is anchored: an anchor vouches for every entry up to its own.
 */
export async function anchor(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    tsa: { type: 'string' },
    timeout: { type: 'string', default: '30' },
    log: { type: 'string' },
  });
  const timeout = Number(values.timeout);
  if (!(timeout > 0 && timeout <= 600))
    throw new UsageError(`--timeout takes seconds, from 1 to 600; not "${values.timeout}"`);
  const root = locate(positionals[0]).root;
  const url = values.tsa ?? (await loadPolicy(new LocalSource(root))).timestampAuthority;
  if (!url)
    throw new UsageError(
      'anchor needs a timestamp authority: pass --tsa URL, or set timestamp-authority: URL in the config',
    );
  if (!/^https?:\/\/\S+$/.test(url) || !URL.canParse(url))
    throw new UsageError(`--tsa takes an http:// or https:// URL, not "${url}"`);
  const store = await existingLog(root, values.log);
  const verification = await verifyLog(store.blocks());
  if (!verification.ok) {
    io.err(
      `aims-gate: the audit log ${shown(store.path)} fails verification at entry ${verification.problem!.seq} (${verification.problem!.reason}); an anchor would vouch for it, so none was made: run aims-gate verify\n`,
    );
    return 1;
  }
  if (!verification.head)
    throw new UsageError(`the audit log ${shown(store.path)} is empty: there is nothing to anchor`);
  const checkpoint = verification.head;
  const query = timestampQuery(checkpoint);
  let answer: ReturnType<typeof tokenOfResponse>;
  try {
    answer = tokenOfResponse(await post(url, query.der, timeout), query);
  } catch (error) {
    throw new Error(
      `the timestamp authority ${shownUrl(url)} ${(error as Error).message}; nothing was written`,
    );
  }
  const path = anchorsPath(store.path);
  await appendAnchor(path, {
    ...checkpoint,
    tsa: shownUrl(url),
    token: Buffer.from(answer.token).toString('base64'),
  });
  io.out(
    `anchored ${formatCheckpoint(checkpoint)} in ${shown(path)}: timestamped ${answer.facts.genTime.toISOString()} by ${answer.facts.tsa}\n`,
  );
  return 0;
}

/** The certificates of `--tsa-cert FILE` (PEM or DER): the TSA's own, or the CA that issued it. */
export async function tsaCertificates(file: string | undefined): Promise<X509Certificate[] | undefined> {
  if (file === undefined) return undefined;
  const bytes = await readFile(file).catch(() => {
    throw new UsageError(`--tsa-cert ${file}: no such file`);
  });
  try {
    return readCertificates(bytes);
  } catch {
    throw new UsageError(`--tsa-cert ${file} holds no certificate (PEM or DER)`);
  }
}

/** What verify says of the anchors, and whether they hold. */
export function anchorVerdict(
  reports: AnchorReport[],
  { log, entries, trusted }: { log: string; entries: number; trusted: boolean },
): { ok: boolean; lines: string[]; proven: number } {
  const file = shown(anchorsPath(log));
  const lines = reports.map((r) => {
    const which = `anchor ${r.seq === undefined ? '?' : `${r.seq}:${r.hash!.slice(0, 12)}…`} (${file}:${r.line})`;
    const when = r.genTime ? `timestamped ${r.genTime} by ${r.authority}` : '';
    if (r.status === 'verified') return `✔ ${which}: verified, ${when}`;
    if (r.status === 'matched')
      return `~ ${which}: matches the log, ${when} (as the token says: pass --tsa-cert to check who signed it)`;
    if (r.status === 'unchecked') return `? ${which}: ${r.reason}`;
    return `✖ ${which}${when ? `, ${when}` : ''}: ${r.reason}`;
  });
  const held = reports.filter((r) => r.status === 'verified' || r.status === 'matched');
  const failed = reports.filter((r) => r.status === 'failed').length;
  const anchoredTo = Math.max(0, ...held.map((r) => r.seq!));
  // Only a token signed by a TSA the auditor trusts proves anything against the log's writer.
  const proven = Math.max(0, ...held.filter((r) => r.status === 'verified').map((r) => r.seq!));
  if (failed)
    lines.push(`✖ ${plural(failed, 'anchor')} of ${reports.length} failed: the log fails its anchors`);
  else if (trusted && !reports.some((r) => r.status === 'verified'))
    lines.push(
      reports.length
        ? '✖ no anchor verified with the given TSA certificate'
        : `✖ no anchors to verify with the given TSA certificate (none in ${file}): the log may have been rewritten and its anchors removed`,
    );
  else if (anchoredTo && anchoredTo < entries)
    lines.push(
      `  entries ${anchoredTo + 1}–${entries} come after the last anchor: run aims-gate anchor to cover them`,
    );
  const chains = [...new Set(held.flatMap((r) => (r.chain ? [r.chain.join(' ← ')] : [])))];
  if (chains.length) lines.push(`  ${TSA_CHAIN_WORDS} ${chains.join('; ')}. ${REVOCATION_WORDS}`);
  const ok = failed === 0 && (!trusted || reports.some((r) => r.status === 'verified'));
  return { ok, lines, proven };
}

/** The entries dated before an anchor that precedes them: at most `shown` lines, then how many more. */
export function datedBeforeAnchorLines(result: VerifyResult, shown = 10): string[] {
  const dated = result.datedBeforeAnchor;
  if (!dated?.count) return [];
  return [
    ...dated.entries.slice(0, shown).map((d) => `  ! ${datedBeforeAnchorWords(d)}`),
    ...(dated.count > shown
      ? [
          `  ! … and ${(dated.count - shown).toLocaleString('en')} more entries dated before an anchor that precedes them (verify -f json lists the first ${dated.entries.length})`,
        ]
      : []),
  ];
}

/**
 * The log's verification with its anchors, in one pass over the log (keepLines picks up the anchored entries
 * on the way): what verify prints and what the auditor's report states.
 */
export async function verifyAnchored(
  store: FileStore,
  checkpoint: Checkpoint | undefined,
  trusted: X509Certificate[] | undefined,
  signers?: VerifyOptions,
): Promise<{ result: VerifyResult; anchors: AnchorReport[]; held: ReturnType<typeof anchorVerdict> }> {
  const stored = await readAnchors(anchorsPath(store.path));
  const anchored = new Map<number, string>();
  const wanted = stored.flatMap((a) => ('checkpoint' in a ? [a.checkpoint.seq] : []));
  const tokens = readTokens(stored, trusted);
  const result = await verifyLog(keepLines(store.blocks(), wanted, anchored), checkpoint, {
    ...signers,
    ...(stored.length ? { anchors: anchorTimes(tokens) } : {}),
  });
  const anchors = checkAnchors(tokens, result, anchored, trusted);
  return {
    result,
    anchors,
    held: anchorVerdict(anchors, { log: store.path, entries: result.entries, trusted: Boolean(trusted) }),
  };
}
