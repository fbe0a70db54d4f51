import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** `openssl` with `words` (split at spaces) and then `args` (as they are), in `cwd`. */
const openssl = (cwd: string, words: string, ...args: string[]) =>
  run('openssl', [...words.split(' '), ...args], { cwd });

/**
 * What the TSA does with the next requests: answer as a TSA, fail with HTTP 500, send junk, never answer, or
 * send its last answer again (a replay).
 */
export type TsaMode = 'ok' | 'http-500' | 'garbage' | 'hang' | 'replay';

/** A certificate's validity, as `openssl ca` takes it: YYYYMMDDHHMMSSZ. */
export interface Validity {
  from: string;
  to: string;
}

/** A validity period as `openssl ca` takes it, `days` from now (negative: in the past), `length` days long. */
export function validityFrom(days: number, length: number): Validity {
  const at = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().replace(/[-:T]|\.\d+/g, '');
  return { from: at(days), to: at(days + length) };
}

/**
 * A real RFC 3161 timestamp authority on 127.0.0.1: Debian's `openssl ts -reply` behind a small HTTP server,
 * with its own CA and a TSA certificate made for it (critical extendedKeyUsage timeStamping), in a temporary
 * folder. `key` picks the keys' algorithm, so both RSA and ECDSA signatures are verified; `digests` the
 * message digests it accepts (one without sha256 makes it refuse aims-gate's requests, as a TSA does).
 * `validity` dates the TSA's certificate (one expired, or not yet valid, when the TSA signs: `openssl ts`
 * signs with it all the same); `intermediate` puts a CA between the root and the TSA, valid when given, and
 * carried in the tokens, as real TSAs do.
 */
export class LocalTsa {
  readonly dir = mkdtempSync(join(tmpdir(), 'aims-tsa-'));
  mode: TsaMode = 'ok';
  requests = 0;
  url = '';
  private server?: Server;
  private last?: Buffer;
  /** openssl ts -reply keeps its serial number in a file: requests are answered one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly options: {
      key?: 'rsa' | 'ec';
      digests?: string;
      validity?: Validity;
      intermediate?: Validity | true;
    } = {},
  ) {}

  /** openssl req's options for a new key of the TSA's algorithm. */
  private get newKey(): string[] {
    return this.options.key === 'ec'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-newkey', 'rsa:2048'];
  }

  /** The CA's certificate (PEM path): what an auditor passes as --tsa-cert. */
  get caCert(): string {
    return join(this.dir, 'ca.pem');
  }

  /** The TSA's own certificate (PEM path). */
  get tsaCert(): string {
    return join(this.dir, 'tsa.pem');
  }

  async start(): Promise<this> {
    const dir = this.dir;
    await openssl(
      dir,
      'req -x509 -nodes -keyout ca.key -out ca.pem -days 3650 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign',
      ...this.newKey,
      '-subj',
      `/CN=${this.name} Root CA`,
    );
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(
      join(dir, 'ca.cnf'),
      `[ ca ]\ndefault_ca = local\n[ local ]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\nserial = ${dir}/ca.srl\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[ any ]\ncommonName = supplied\n`,
    );
    writeFileSync(join(dir, 'ca.srl'), '1000\n');
    const { intermediate, validity } = this.options;
    if (intermediate)
      await this.issue('intermediate', `/CN=${this.name} Intermediate CA`, undefined, {
        ca: true,
        ...(intermediate === true ? {} : { validity: intermediate }),
      });
    await this.issue('tsa', `/CN=${this.name} TSA`, 'critical,timeStamping', {
      ...(intermediate ? { issuer: 'intermediate' } : {}),
      ...(validity ? { validity } : {}),
    });
    // The certificates the token carries beside the TSA's: its chain up to the root.
    writeFileSync(
      join(dir, 'chain.pem'),
      (intermediate ? [readFileSync(join(dir, 'intermediate.pem'), 'utf8')] : [])
        .concat(readFileSync(join(dir, 'ca.pem'), 'utf8'))
        .join(''),
    );
    writeFileSync(join(dir, 'tsaserial'), '01\n');
    writeFileSync(
      join(dir, 'tsa.cnf'),
      `[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = ${dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/chain.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = ${this.options.digests ?? 'sha256, sha384, sha512'}
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`,
    );
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const n = ++this.requests;
        if (this.mode === 'hang') return;
        if (this.mode === 'http-500') return res.writeHead(500).end('Internal Server Error');
        if (this.mode === 'replay' && this.last)
          return res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(this.last);
        if (this.mode === 'garbage')
          return res
            .writeHead(200, { 'content-type': 'application/timestamp-reply' })
            .end('<html>hello</html>');
        const reply = this.queue.then(() => this.reply(n, Buffer.concat(chunks)));
        this.queue = reply.catch(() => {});
        reply.then(
          (bytes) => res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(bytes),
          (error: Error) => res.writeHead(500).end(error.message),
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/tsa`;
    return this;
  }

  /**
   * A certificate issued by this TSA's CA (files `<name>.pem`, `<name>.key`), with the extended key usage
   * given (none: omitted): a certificate from the right CA that is no TSA's. `issuer` names another CA of
   * this folder; `ca` makes a CA certificate; `validity` dates it (through `openssl ca`, which takes dates).
   */
  async issue(
    name: string,
    subject: string,
    extendedKeyUsage?: string,
    { issuer = 'ca', ca = false, validity }: { issuer?: string; ca?: boolean; validity?: Validity } = {},
  ): Promise<string> {
    writeFileSync(
      join(this.dir, `${name}.ext`),
      `${ca ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign' : 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature'}\n${extendedKeyUsage ? `extendedKeyUsage=${extendedKeyUsage}\n` : ''}subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`,
    );
    await openssl(
      this.dir,
      `req -nodes -keyout ${name}.key -out ${name}.csr`,
      ...this.newKey,
      '-subj',
      subject,
    );
    await openssl(
      this.dir,
      `ca -batch -notext -config ca.cnf -cert ${issuer}.pem -keyfile ${issuer}.key -in ${name}.csr -out ${name}.pem -extfile ${name}.ext`,
      ...(validity ? ['-startdate', validity.from, '-enddate', validity.to] : ['-days', '3650']),
    );
    return join(this.dir, `${name}.pem`);
  }

  private async reply(n: number, query: Buffer): Promise<Buffer> {
    writeFileSync(join(this.dir, `q${n}.tsq`), query);
    await openssl(this.dir, `ts -reply -config tsa.cnf -queryfile q${n}.tsq -out r${n}.tsr`);
    this.last = readFileSync(join(this.dir, `r${n}.tsr`));
    return this.last;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
