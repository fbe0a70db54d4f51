import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TimeStampResp } from '@peculiar/asn1-tsp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datedBeforeAnchorWords } from '../../src/audit/anchors.js';
import { type AuditEntry, type EventDraft, entryHash, serialise } from '../../src/audit/entry.js';
import { FileStore } from '../../src/audit/file-store.js';
import { recordAll } from '../../src/audit/store.js';
import { timestampQuery, tokenOfResponse } from '../../src/audit/timestamp.js';
import { readCertificates, TokenError, verifyToken } from '../../src/audit/token.js';
import { verifyLog } from '../../src/audit/verify.js';
import { post } from '../../src/cli/timestamp-authority.js';
import { cli } from '../cli-in-process.js';
import { LocalTsa, validityFrom } from '../local-tsa.js';

const draft = (n: number): EventDraft => ({
  type: 'model.retrained',
  time: `2026-11-0${1 + (n % 9)}T10:00:00.000Z`,
  actor: { login: 'ci-bot' },
  subject: { repository: 'acme/ml', system: 'credit-scoring' },
  details: { run: n },
  evidence: [],
});

let alpha: LocalTsa;
let beta: LocalTsa;
const temps: string[] = [];
beforeAll(async () => {
  // Two authorities, each with its own CA: RSA and ECDSA signatures.
  [alpha, beta] = await Promise.all([
    new LocalTsa('Alpha').start(),
    new LocalTsa('Beta', { key: 'ec' }).start(),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([alpha?.stop(), beta?.stop()]);
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A repository whose config names `tsa` and whose log holds `entries` entries. */
async function repository(entries: number, tsa = alpha.url) {
  const dir = mkdtempSync(join(tmpdir(), 'aims-anchor-'));
  temps.push(dir);
  mkdirSync(join(dir, '.github'));
  writeFileSync(join(dir, '.github/aims-gate.yml'), `systems: [models/*]\ntimestamp-authority: ${tsa}\n`);
  const log = join(dir, '.aims-gate/audit-log.jsonl');
  await recordAll(
    new FileStore(log),
    Array.from({ length: entries }, (_, i) => draft(i + 1)),
  );
  return { dir, log, anchors: `${log}.anchors` };
}

const entriesOf = (log: string): AuditEntry[] =>
  readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

/** Edits entry `seq` and re-seals it and every entry after it, as a forger who can write the log would. */
function rewrite(log: string, seq: number): void {
  let prev: string | undefined;
  const lines = entriesOf(log).map((entry) => {
    if (entry.seq < seq) return serialise(entry);
    const { hash: _old, ...rest } = entry;
    const edited = {
      ...rest,
      prev: prev ?? entry.prev,
      details: entry.seq === seq ? { run: 999 } : entry.details,
    };
    const sealed = { ...edited, hash: entryHash(edited) };
    prev = sealed.hash;
    return serialise(sealed);
  });
  writeFileSync(log, lines.join(''));
}

// openssl answers each timestamp request, a process each.
describe('aims-gate anchor and verify --tsa-cert, against a local RFC 3161 authority (openssl ts)', {
  timeout: 90_000,
}, () => {
  it('anchors the head with the configured authority; verify reports the anchor verified (text and JSON)', async () => {
    const { dir, log, anchors } = await repository(3);
    const anchored = await cli(['anchor'], dir);
    expect(anchored).toMatchObject({ code: 0, stderr: '' });
    const [head] = entriesOf(log).slice(-1);
    expect(anchored.stdout).toMatch(
      new RegExp(
        `^anchored 3:${head!.hash} in \\.aims-gate/audit-log\\.jsonl\\.anchors: timestamped \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z by CN=Alpha TSA\\n$`,
      ),
    );
    const stored = JSON.parse(readFileSync(anchors, 'utf8'));
    expect(stored).toMatchObject({ seq: 3, hash: head!.hash, tsa: alpha.url });
    expect(entriesOf(log)).toHaveLength(3); // the log itself is untouched

    // The CA that issued the TSA's certificate, or that certificate itself.
    for (const cert of [alpha.caCert, alpha.tsaCert]) {
      const verified = await cli(['verify', '--tsa-cert', cert], dir);
      expect(verified.code).toBe(0);
      expect(verified.stdout).toBe(
        `✔ .aims-gate/audit-log.jsonl: intact, 3 entries, head 3:${head!.hash}\n` +
          `✔ anchor 3:${head!.hash.slice(0, 12)}… (.aims-gate/audit-log.jsonl.anchors:1): verified, timestamped ${/timestamped (\S+)/.exec(anchored.stdout)![1]} by CN=Alpha TSA\n` +
          `  TSA certificate chain checked at each token's time: ${cert === alpha.caCert ? 'CN=Alpha TSA ← CN=Alpha Root CA' : 'CN=Alpha TSA'}. Revocation is not checked (offline: no CRL or OCSP is fetched), so a TSA certificate revoked before its token's time would still pass.\n`,
      );
    }
    const json = JSON.parse((await cli(['verify', '--tsa-cert', alpha.caCert, '-f', 'json'], dir)).stdout);
    expect(json).toMatchObject({
      ok: true,
      chain: true,
      entries: 3,
      anchors: [{ seq: 3, hash: head!.hash, status: 'verified', authority: 'CN=Alpha TSA', tsa: alpha.url }],
    });
    expect(Date.parse(json.anchors[0].genTime)).toBeGreaterThan(Date.now() - 600_000);

    // Without the authority's certificate the token is read, not trusted; entries after it are named.
    await recordAll(new FileStore(log), [draft(4), draft(5)]);
    const unpinned = await cli(['verify'], dir);
    expect(unpinned.code).toBe(0);
    expect(unpinned.stdout).toContain(
      'matches the log, timestamped', // and says how to check the signer
    );
    expect(unpinned.stdout).toContain('(as the token says: pass --tsa-cert to check who signed it)');
    expect(unpinned.stdout).toContain(
      '  entries 4–5 come after the last anchor: run aims-gate anchor to cover them',
    );
    // With no anchors at all, verify works as before; asked for anchored proof, it fails.
    rmSync(anchors);
    expect((await cli(['verify'], dir)).code).toBe(0);
    const none = await cli(['verify', '--tsa-cert', alpha.caCert], dir);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('✖ no anchors to verify with the given TSA certificate');
  });

  it('fails a log rewritten and re-hashed whole after anchoring, naming the anchor', async () => {
    const { dir, log } = await repository(4);
    expect((await cli(['anchor'], dir)).code).toBe(0);
    const anchoredHash = entriesOf(log)[3]!.hash;
    rewrite(log, 2);
    // The chain alone is intact: only the anchor shows the rewrite.
    const rewritten = await cli(['verify', '--tsa-cert', alpha.caCert], dir);
    expect(rewritten.code).toBe(1);
    expect(rewritten.stdout).toMatch(/^✔ \.aims-gate\/audit-log\.jsonl: intact, 4 entries/);
    expect(rewritten.stdout).toContain(
      `✖ anchor 4:${anchoredHash.slice(0, 12)}… (.aims-gate/audit-log.jsonl.anchors:1), timestamped `,
    );
    expect(rewritten.stdout).toContain(`by CN=Alpha TSA: log rewritten: entry 4 is not the one anchored at `);
    expect(rewritten.stdout).toContain('the log was rewritten at or before entry 4 and re-hashed');
    expect(rewritten.stdout).toContain('✖ 1 anchor of 1 failed: the log fails its anchors');
    const json = JSON.parse((await cli(['verify', '--tsa-cert', alpha.caCert, '-f', 'json'], dir)).stdout);
    expect(json).toMatchObject({ ok: false, chain: true, anchors: [{ seq: 4, status: 'failed' }] });
    // Without the certificate, the rewrite is still caught.
    expect((await cli(['verify'], dir)).code).toBe(1);
  });

  it('the auditor report states exactly which anchor was verified, and fails when the log was rewritten', async () => {
    const { dir, log } = await repository(4);
    expect((await cli(['anchor'], dir)).code).toBe(0);
    const hash = entriesOf(log)[3]!.hash;
    const report = await cli(['report', '--tsa-cert', alpha.caCert], dir);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(
      new RegExp(
        `✅ The hash chain .* Anchor of entry 4 \\(${hash.slice(0, 12)}…\\) verified: timestamped \\S+ by CN=Alpha TSA, signed by the TSA certificate given to this report`,
      ),
    );
    rewrite(log, 2);
    const rewritten = await cli(['report', '--tsa-cert', alpha.caCert], dir);
    expect(rewritten.code).toBe(1);
    expect(rewritten.stdout).toContain('❌ The hash chain');
    expect(rewritten.stdout).toContain('Anchor on line 1 (entry 4');
    expect(rewritten.stdout).toContain('FAILED: log rewritten');
    expect(rewritten.stdout).toMatch(/\| A\.6\.2\.8 .*\| major nonconformity \|/);
  });

  it('fails a log truncated below the anchored entry', async () => {
    const { dir, log } = await repository(3);
    expect((await cli(['anchor'], dir)).code).toBe(0);
    writeFileSync(log, readFileSync(log, 'utf8').split('\n').slice(0, 2).join('\n').concat('\n'));
    const truncated = await cli(['verify', '--tsa-cert', alpha.caCert], dir);
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toContain('intact, 2 entries');
    expect(truncated.stdout).toMatch(
      /✖ anchor 3:\w{12}… \(\.aims-gate\/audit-log\.jsonl\.anchors:1\), timestamped \S+ by CN=Alpha TSA: log truncated: it ends at entry 2, but entry 3 was anchored at /,
    );
  });

  it('fails a token from another authority, one signed by a non-TSA certificate, and a bad signature', async () => {
    const { dir, log, anchors } = await repository(2, beta.url);
    const anchored = await cli(['anchor'], dir);
    expect(anchored.stdout).toContain('by CN=Beta TSA');
    expect((await cli(['verify', '--tsa-cert', beta.caCert], dir)).code).toBe(0); // ECDSA verifies
    const wrong = await cli(['verify', '--tsa-cert', alpha.caCert], dir);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(
      ': wrong certificate: the token is signed by CN=Beta TSA (issued by CN=Beta Root CA), which is neither the given TSA certificate nor issued by it; the chain the token carries, CN=Beta TSA ← CN=Beta Root CA, reaches no given certificate either',
    );

    // The same TSTInfo signed by a certificate Alpha's CA issued for something else.
    const rogue = await alpha.issue('rogue', '/CN=Alpha Mail', 'emailProtection');
    const line = JSON.parse(readFileSync(anchors, 'utf8'));
    const token = Buffer.from(line.token, 'base64');
    const signed = AsnConvert.parse(AsnConvert.parse(token, ContentInfo).content, SignedData);
    writeFileSync(join(alpha.dir, 'tst.der'), Buffer.from(signed.encapContentInfo.eContent!.single!.buffer));
    await promisify(execFile)(
      'openssl',
      [
        'cms',
        '-sign',
        '-binary',
        '-nodetach',
        '-outform',
        'DER',
        '-in',
        'tst.der',
        '-econtent_type',
        '1.2.840.113549.1.9.16.1.4',
        '-md',
        'sha256',
        '-nosmimecap',
        '-signer',
        rogue,
        '-inkey',
        'rogue.key',
        '-out',
        'rogue.p7',
      ],
      { cwd: alpha.dir },
    );
    const forged = readFileSync(join(alpha.dir, 'rogue.p7'));
    writeFileSync(anchors, `${JSON.stringify({ ...line, token: forged.toString('base64') })}\n`);
    const notTsa = await cli(['verify', '--tsa-cert', alpha.caCert], dir);
    expect(notTsa.code).toBe(1);
    expect(notTsa.stdout).toContain(
      ': CN=Alpha Mail is not a timestamping certificate: it lacks the critical extended key usage timeStamping',
    );

    // Beta's token with its signature's last byte changed.
    const tampered = Buffer.from(token);
    tampered[tampered.length - 1]! ^= 0x01;
    writeFileSync(anchors, `${JSON.stringify({ ...line, token: tampered.toString('base64') })}\n`);
    const bad = await cli(['verify', '--tsa-cert', beta.caCert], dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(': bad signature: the token is not signed by the key of CN=Beta TSA');

    // The anchor line edited to name another entry: the token timestamps another digest.
    const first = entriesOf(log)[0]!;
    writeFileSync(anchors, `${JSON.stringify({ ...line, seq: 1, hash: first.hash })}\n`);
    const moved = await cli(['verify', '--tsa-cert', beta.caCert], dir);
    expect(moved.code).toBe(1);
    expect(moved.stdout).toContain(
      `: imprint mismatch: the token timestamps another digest than that of checkpoint 1:${first.hash}`,
    );
  });

  it('says what is wrong with a corrupted token or anchor line, and never crashes', async () => {
    const { dir, anchors } = await repository(2);
    expect((await cli(['anchor'], dir)).code).toBe(0);
    const line = JSON.parse(readFileSync(anchors, 'utf8'));
    const token = Buffer.from(line.token, 'base64');
    writeFileSync(
      anchors,
      [
        JSON.stringify({ ...line, token: token.subarray(0, 300).toString('base64') }), // cut short
        JSON.stringify({ ...line, token: Buffer.from('not a token at all').toString('base64') }),
        '{"seq":2,"hash":"abc","token":"AAAA"}',
        '{"seq":2,"hash":', // torn by a crash
        JSON.stringify(line), // still good
      ].join('\n'),
    );
    const result = await cli(['verify', '--tsa-cert', alpha.caCert], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[1]).toMatch(
      /^✖ anchor 2:\w{12}… \(\.aims-gate\/audit-log\.jsonl\.anchors:1\): not a timestamp token: it cannot be read \(.+\)$/,
    );
    expect(lines[2]).toMatch(/anchors:2\): not a timestamp token: it cannot be read/);
    expect(lines[3]).toBe(
      '✖ anchor ? (.aims-gate/audit-log.jsonl.anchors:3): the line names no checkpoint (seq and a 64-hex-digit hash)',
    );
    expect(lines[4]).toBe(
      '✖ anchor ? (.aims-gate/audit-log.jsonl.anchors:4): the line is not JSON (a damaged anchor)',
    );
    expect(lines[5]).toMatch(/anchors:5\): verified, timestamped/);
    expect(lines[6]).toBe('✖ 4 anchors of 5 failed: the log fails its anchors');

    // A later anchor ends the torn line first: it spoils only itself.
    writeFileSync(anchors, '{"seq":2,"hash":');
    expect((await cli(['anchor'], dir)).code).toBe(0);
    const after = await cli(['verify', '--tsa-cert', alpha.caCert], dir);
    expect(after.stdout).toContain('anchors:1): the line is not JSON');
    expect(after.stdout).toMatch(/anchors:2\): verified/);
  });

  it('refuses a TSA that is down, fails, sends junk, refuses or hangs: one line naming it, nothing written', async () => {
    const { dir, anchors } = await repository(1);
    const closed = await freePort();
    const refusing = await new LocalTsa('Picky', { digests: 'sha384' }).start(); // refuses SHA-256 imprints
    try {
      const cases: [string[], RegExp][] = [
        [['--tsa', `http://127.0.0.1:${closed}/tsa`], /cannot be reached \(ECONNREFUSED\)/],
        [['--tsa', refusing.url], /rejected the request/],
      ];
      for (const [args, message] of cases) {
        const { code, stderr, stdout } = await cli(['anchor', ...args], dir);
        expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
        expect(stderr).toMatch(
          /^aims-gate: the timestamp authority http:\/\/127\.0\.0\.1:\d+\/tsa [^\n]+; nothing was written\n$/,
        );
        expect(stderr).toMatch(message);
      }
      const modes: [LocalTsa['mode'], string][] = [
        ['http-500', 'answered HTTP 500'],
        ['garbage', 'answered something that is not a timestamp response (18 bytes)'],
        ['hang', 'did not answer within 1 s'],
      ];
      for (const [mode, message] of modes) {
        alpha.mode = mode;
        const { code, stderr } = await cli(['anchor', '--timeout', '1'], dir);
        expect(code).toBe(2);
        expect(stderr).toBe(
          `aims-gate: the timestamp authority ${alpha.url} ${message}; nothing was written\n`,
        );
      }
    } finally {
      alpha.mode = 'ok';
      await refusing.stop();
    }
    expect(existsSync(anchors)).toBe(false);
  });

  it('refuses an answer replayed from an earlier request for the same checkpoint', async () => {
    const first = await repository(2);
    expect((await cli(['anchor'], first.dir)).code).toBe(0);
    const second = await repository(2); // the same entries: the same checkpoint
    alpha.mode = 'replay';
    try {
      expect(await cli(['anchor'], second.dir)).toMatchObject({
        code: 2,
        stderr: `aims-gate: the timestamp authority ${alpha.url} answered with another request's nonce (a replayed or mixed-up answer); nothing was written\n`,
      });
    } finally {
      alpha.mode = 'ok';
    }
    expect(existsSync(second.anchors)).toBe(false);
  });

  it('anchors only a log that verifies, and not an empty one', async () => {
    const { dir, log, anchors } = await repository(2);
    writeFileSync(log, readFileSync(log, 'utf8').replace('"run":2', '"run":3'));
    const broken = await cli(['anchor'], dir);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('fails verification at entry 2');
    writeFileSync(log, '');
    expect(await cli(['anchor'], dir)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('is empty: there is nothing to anchor'),
    });
    expect(existsSync(anchors)).toBe(false);
  });
});

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A token from `tsa` for checkpoint `seq`, asked in this process. */
async function tokenFrom(tsa: LocalTsa, seq = 1) {
  const query = timestampQuery({ seq, hash: 'a'.repeat(64) });
  return tokenOfResponse(await post(tsa.url, query.der, 10), query).token;
}

const certificate = (path: string) => readCertificates(readFileSync(path));

describe('the TSA certificate chain, checked at the token time (RFC 3161 B.4, B.5)', {
  timeout: 90_000,
}, () => {
  it('follows a chain through an intermediate CA the token carries up to the given root, each valid at genTime', async () => {
    const chained = await new LocalTsa('Gamma', { intermediate: true }).start();
    try {
      const token = await tokenFrom(chained);
      const facts = verifyToken(token, certificate(chained.caCert));
      expect(facts.chain).toEqual(['CN=Gamma TSA', 'CN=Gamma Intermediate CA', 'CN=Gamma Root CA']);
      expect(facts.accuracy).toBe(1000); // accuracy = secs:1
      // The intermediate itself may be what the auditor trusts; another root may not.
      expect(verifyToken(token, certificate(join(chained.dir, 'intermediate.pem'))).chain).toEqual([
        'CN=Gamma TSA',
        'CN=Gamma Intermediate CA',
      ]);
      expect(() => verifyToken(token, certificate(alpha.caCert))).toThrow(
        'wrong certificate: the token is signed by CN=Gamma TSA (issued by CN=Gamma Intermediate CA), which is neither the given TSA certificate nor issued by it; the chain the token carries, CN=Gamma TSA ← CN=Gamma Intermediate CA ← CN=Gamma Root CA, reaches no given certificate either',
      );
    } finally {
      await chained.stop();
    }
  });

  it('refuses a token whose signer, or a CA of its chain, was expired or not yet valid at genTime', async () => {
    const cases: [string, ConstructorParameters<typeof LocalTsa>[1], RegExp][] = [
      [
        'Expired',
        { validity: validityFrom(-400, 365) },
        /^the signing certificate CN=Expired TSA was expired at \S+ \(valid \S+ to \S+\)$/,
      ],
      [
        'Early',
        { validity: validityFrom(30, 365) },
        /^the signing certificate CN=Early TSA was not yet valid at \S+ \(valid \S+ to \S+\)$/,
      ],
      [
        'Lapsed',
        { intermediate: validityFrom(-400, 365) },
        /^the certificate chain does not hold at the token's time: the CA certificate CN=Lapsed Intermediate CA was expired at /,
      ],
    ];
    for (const [name, options, message] of cases) {
      const tsa = await new LocalTsa(name, options).start();
      try {
        // The TSA signs with it all the same: the token is only refused when it is verified.
        const query = timestampQuery({ seq: 1, hash: 'a'.repeat(64) });
        const answer = AsnConvert.parse(await post(tsa.url, query.der, 10), TimeStampResp);
        const token = new Uint8Array(AsnConvert.serialize(answer.timeStampToken!));
        const refusal = () => verifyToken(token, certificate(tsa.caCert));
        expect(refusal).toThrow(TokenError);
        expect(refusal).toThrow(message);
      } finally {
        await tsa.stop();
      }
    }
  });

  it('verify says which chain was checked, and that revocation is not; and refuses an expired TSA certificate', async () => {
    const { dir } = await repository(2);
    expect((await cli(['anchor'], dir)).code).toBe(0);
    const verified = await cli(['verify', '--tsa-cert', alpha.caCert], dir);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(
      'verified, timestamped ', // then: by CN=Alpha TSA
    );
    expect(verified.stdout).toContain(
      "  TSA certificate chain checked at each token's time: CN=Alpha TSA ← CN=Alpha Root CA. Revocation is not checked (offline: no CRL or OCSP is fetched), so a TSA certificate revoked before its token's time would still pass.",
    );
    const json = JSON.parse((await cli(['verify', '--tsa-cert', alpha.caCert, '-f', 'json'], dir)).stdout);
    expect(json).toMatchObject({
      anchors: [{ status: 'verified', chain: ['CN=Alpha TSA', 'CN=Alpha Root CA'] }],
      tsaRevocation: 'not checked',
    });

    const expired = await new LocalTsa('Stale', { validity: validityFrom(-400, 365) }).start();
    try {
      const stale = await repository(2, expired.url);
      // anchor reads the token before it keeps it: an expired signer is refused there already.
      const refused = await cli(['anchor'], stale.dir);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /sent a token that does not hold: the signing certificate CN=Stale TSA was expired at \S+ \(valid /,
      );
    } finally {
      await expired.stop();
    }
  });
});

describe('entries dated before an anchor that precedes them (7.5.3)', { timeout: 90_000 }, () => {
  const dated = (seq: number, time: string): EventDraft => ({ ...draft(seq), time });

  it('flags, by sequence number, entries after an anchored entry that claim an earlier time than its token', async () => {
    const store = new FileStore(join(mkdtempSync(join(tmpdir(), 'aims-dated-')), 'log.jsonl'));
    temps.push(join(store.path, '..'));
    await recordAll(store, [
      dated(1, '2026-12-01T10:00:00.000Z'),
      dated(2, '2026-12-07T09:00:00.000Z'),
      dated(3, '2026-11-20T10:00:00.000Z'), // after the anchor of 2, dated November
      dated(4, '2026-12-07T11:59:59.500Z'), // within the token's accuracy of it: not flagged
      dated(5, '2026-12-08T10:00:00.000Z'),
    ]);
    const [, second] = entriesOf(store.path);
    const anchor = {
      seq: 2,
      hash: second!.hash,
      genTime: '2026-12-07T12:00:00.000Z',
      accuracy: 1000,
      authority: 'CN=Alpha TSA',
    };
    const result = await verifyLog(store.blocks(), undefined, { anchors: [anchor] });
    expect(result.ok).toBe(true);
    expect(result.datedBeforeAnchor).toEqual({
      count: 1,
      entries: [
        {
          seq: 3,
          time: '2026-11-20T10:00:00.000Z',
          anchor: 2,
          genTime: anchor.genTime,
          authority: 'CN=Alpha TSA',
        },
      ],
    });
    expect(datedBeforeAnchorWords(result.datedBeforeAnchor!.entries[0]!)).toBe(
      "entry 3 is dated 2026-11-20T10:00:00.000Z, 17 days before the anchor of entry 2 (timestamped 2026-12-07T12:00:00.000Z by CN=Alpha TSA) that precedes it in the log: it was written after that anchor, so its date cannot be true (backdated, or the writer's clock was wrong)",
    );
    // An anchor counts only where the chain holds the entry it timestamps: one for another hash proves no time.
    const elsewhere = await verifyLog(store.blocks(), undefined, {
      anchors: [{ ...anchor, hash: 'f'.repeat(64) }],
    });
    expect(elsewhere.datedBeforeAnchor).toEqual({ count: 0, entries: [] });
    // The latest anchor reached sets the bar; entries before the anchored one are not judged by it.
    const later = await verifyLog(store.blocks(), undefined, {
      anchors: [
        { ...anchor, seq: 1, hash: entriesOf(store.path)[0]!.hash, genTime: '2026-12-01T10:00:01.000Z' },
        anchor,
      ],
    });
    expect(later.datedBeforeAnchor!.entries.map((d) => [d.seq, d.anchor])).toEqual([[3, 2]]);
  });

  it('verify and the report name them, with the TSA time, against a real anchor; verify still exits 0', async () => {
    const { dir, log } = await repository(2);
    expect((await cli(['anchor'], dir)).code).toBe(0);
    // The TSA says now (December); the next entries claim November.
    await recordAll(new FileStore(log), [
      dated(3, '2026-11-02T10:00:00.000Z'),
      dated(4, '2026-11-03T10:00:00.000Z'),
    ]);
    await recordAll(new FileStore(log), [dated(5, new Date(Date.now() + 60_000).toISOString())]);
    const verified = await cli(['verify', '--tsa-cert', alpha.caCert], dir);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(
      /\n {2}! entry 3 is dated 2026-11-02T10:00:00\.000Z, \d+ days before the anchor of entry 2 \(timestamped \S+ by CN=Alpha TSA\) that precedes it in the log: it was written after that anchor, so its date cannot be true/,
    );
    expect(verified.stdout).toContain('  ! entry 4 is dated 2026-11-03T10:00:00.000Z');
    expect(verified.stdout).not.toContain('! entry 5 is dated');
    const json = JSON.parse((await cli(['verify', '--tsa-cert', alpha.caCert, '-f', 'json'], dir)).stdout);
    expect(json.datedBeforeAnchor).toMatchObject({
      count: 2,
      entries: [
        { seq: 3, anchor: 2 },
        { seq: 4, anchor: 2 },
      ],
    });
    const report = await cli(['report', '--tsa-cert', alpha.caCert], dir);
    expect(report.stdout).toContain(
      '⚠ 2 entries are dated before an RFC 3161 anchor that precedes them in the log, so their dates cannot be true: entry 3, 4.',
    );
    expect(report.stdout).toContain(
      "TSA certificate chain checked at each token's time: CN=Alpha TSA ← CN=Alpha Root CA. Revocation is not checked",
    );
  });
});
