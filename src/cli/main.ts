import { fstatSync, writeSync } from 'node:fs';
import { ConfigError, UsageError } from '../errors.js';
import { closest } from '../spelling.js';

export const USAGE = `Usage: aims-gate <command> [options]

Commands:
  check [path]           Check the AI systems in a repository, or in one of its folders, against policy
                           (from any folder: the repository is found as git finds it)
      -c, --config PATH    configuration file (default .github/aims-gate.yml)
      -b, --base REF       judge what this branch changes since REF, with REF's configuration
      -f, --format FORMAT  text | json | markdown | sarif | compact | github | junit (default text)
      -o, --output FILE    write the report to FILE; the verdict still goes to the terminal
      --fail-on LEVEL      major | minor | never (default: the config's, else major)
      --today DATE         evaluate as of DATE (YYYY-MM-DD) instead of today
      --record             append an "evaluated" event per AI system to the audit log
      --log PATH           the audit log file (default: the config's audit-log, .aims-gate/audit-log.jsonl)
      --allow-empty        pass when no AI system is found (otherwise an error, exit 2)
  validate [path]        Check that the config, its packs and every document parse and match their schemas:
                           every problem at once, with its line (exit 1 for a document's, 2 for the config's)
      -c, --config PATH    configuration file (default .github/aims-gate.yml)
  test [dir]             Run the policy against fixture repositories (default policy-tests/), each with an
                           expect.yml of the findings it must produce, as conftest verify does
      -c, --config PATH    configuration under test (default .github/aims-gate.yml)
  init <system-path>     Add the model card, risk and impact assessment a system lacks (never overwrites); . for a
                           repository that is one model (the Hub's layout): a card without governance keys
                           gets a governance.yml beside it
      --tier TIER          minimal | limited | high | prohibited (default: the card's, else high)
      --impact-assessment  write one even where the tier does not require it (limited, minimal)
  explain [rule-id]      What a rule checks, the controls it evidences and how to fix it
      -c, --config PATH    configuration whose rules to explain
  record [dir]           Append a lifecycle event to the audit log
      --type TYPE          e.g. model.retrained, monitoring.alert, system.retired, custom.<name>
      --system ID          the AI system it is about
      --detail KEY=VALUE   repeatable; --evidence PATH (repeatable) records a file's SHA-256
      --environment NAME, --actor LOGIN, --log PATH
      --sign-with KEY      sign the entry with your SSH key (ssh-ed25519), through ssh-keygen -Y sign
  verify [dir]           Verify the audit log's hash chain, the anchors beside it (<log>.anchors), and who
                           signed each entry: one that claims to be the gate's must be signed by a gate key
      --checkpoint SEQ:HASH  also prove nothing was removed from its end or rewritten
      -c, --config PATH    the configuration whose signers are trusted (default .github/aims-gate.yml)
      --allowed-signers FILE  people's SSH keys, in git's allowed_signers format (principals → login)
      --tsa-cert FILE      the timestamp authority's certificate, or its CA's (PEM): the anchors must be
                           signed by it, and at least one must be
      --evidence           also check that every file the log cites as evidence is still there with the
                           digest the log recorded last for it (missing and changed files are named)
      --log PATH, -f, --format text|json
  anchor [dir]           Timestamp the audit log's head with an RFC 3161 timestamp authority; the token is
                           kept beside the log, in <log>.anchors
      --tsa URL            the timestamp authority (default: the config's timestamp-authority)
      --timeout SECONDS    how long to wait for its answer (default 30); --log PATH
  keygen                 A new Ed25519 signing key for the gate or the App (PKCS#8 PEM), and its public line
                           to list under signers in .github/aims-gate.yml
      -o, --output FILE    write the private key to FILE (mode 0600, never over a file); default standard output
      --role gate|app      the role to list it with (default gate); --name NAME
  log [dir]              List audit events: --system ID, --type TYPE, --since DATE, --log PATH, -f, --format
  nonconformity [sub]    The nonconformity register (alias nc): list (the default) [--all] [-f json] [--today DATE];
                           NC-<hex> ones come from recorded checks, owned by the system's owner; or
                           open --title T --source S [--grade G] [--system ID] [--control A.x.y] [--clause 9.2]
                             [--owner @o] [--due D] [--link NC-ID]
                           update NC-ID [--owner] [--due D --reason T] [--title] [--control] [--clause]
                           regrade NC-ID --grade G --reason T;  root-cause NC-ID --cause T
                           action NC-ID --action T [--owner] [--due];  done NC-ID [--action T]
                           review NC-ID --effective yes|no --note T  (not by the action owner)
                           link NC-ID NC-ID;  close NC-ID --note T --evidence FILE  (root cause, actions
                             done, an effective review; not by the action owner; a finding's closes itself)
                           S: internal-audit | external-audit | incident | complaint | management-review
                           G: major | minor | observation (no due date; no nonconformity); all take --log PATH,
                           --evidence PATH, --actor LOGIN, --sign-with KEY (a person's key under signers proves who)
  merge-log %O %A %B %P  git merge driver for the in-repository log: refuses to interleave two chains, says what to do
  inventory [dir]        The AI systems in scope, reconciled with the audit log: owner, tier, status, documents,
                           last evaluation and last deployment per environment
      -f, --format FORMAT  text | csv | json (default text); --log PATH, --today DATE
  export [dir]           The AI systems in a standard form: a CycloneDX 1.6 ML-BOM (a modelCard per system), an
                           SPDX 3.0.1 document (an AIPackage per system), or the commit's verdict as an in-toto
                           statement with an SLSA verification summary, signed with the gate key (docs/export.md)
      -f, --format cyclonedx|spdx|intoto  (default cyclonedx); -o, --output FILE; -c, --config PATH; --today DATE
      --revision REF       describe a commit, read with git (intoto: default HEAD; the others: the working tree)
      --signing-key FILE   intoto: the gate's Ed25519 key (PKCS#8 PEM, aims-gate keygen), listed under signers
      --bom FILE           intoto: name this BOM, by its SHA-256, as a second subject of the statement
  verify-attestation FILE  Check a signed statement: its DSSE signature by a gate or app key listed under signers,
                           trusted at its time; exit 0 only when it holds and says what is required
      --tier TIER          require approval at TIER or a higher tier;  --commit SHA  require this commit
      --environment NAME   require the gate's approval for this deployment environment
      --repository OWNER/NAME  the repository it must be about (default GITHUB_REPOSITORY, or the origin remote
                           with --trusted-ref); required
      --trusted-ref REF    trust the signers of the configuration committed at REF (a protected branch, e.g.
                           origin/main), never the working tree's;  --dir DIR, -c, --config PATH  which repository
                           and configuration file;  -f, --format text|json
      --key FILE           trust the gate keys in FILE (ssh-ed25519 lines) instead: no repository needed
      --log PATH           require a deployment.approved entry of this log, signed by a gate key, naming it by digest
  report [dir]           The auditor's report: verification, inventory, figures, nonconformity and deployment
                           registers, timelines, findings, SoA
      -f, --format markdown|html|pdf, -o, --output FILE (a PDF, or HTML from a terminal, needs one), --log PATH,
      --checkpoint SEQ:HASH, --today DATE
      --since DATE, --until DATE  the period reported on: events listed and counted within it, registers and
                           figures as at its end (default: from the log's start to today)
      --require-clean      refuse when files under the folder differ from the commit (else: a draft, flagged)
      --prepared-by, --reviewed-by, --approved-by NAME  names for the sign-off (signature and date stay blank)
      --tsa-cert FILE      check the log's RFC 3161 anchors against this TSA (or CA) certificate
      --allowed-signers FILE  people's SSH keys (git's allowed_signers), trusted as people's signatures

Every command takes -h, --help.

Exit codes: 0 pass (verify, report, log: log intact), 1 blocking findings (verify, report, log: log tampered or
its anchors fail; anchor: a log that fails verification), 2 usage or configuration error (anchor: the timestamp
authority's failure too; nothing is written).`;

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether standard output is a terminal that shows colour. */
  color: boolean;
  /** Whether standard output is a terminal (a report file is not for one); absent: it is not. */
  terminal?: boolean;
}

/** A reader that stops early (`aims-gate log | head -2`) is not an error: end quietly, as other tools do. */
function endQuietly(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
}

/** Whether file descriptor `fd` is a character device (a terminal, /dev/null), or closed. */
function characterDevice(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return true;
  }
}

/**
 * Standard output or error. Where it is a pipe or a file (CI's log, `| less`, the benches) it is written with
 * writeSync: process.stdout would be a net.Socket there, whose modules cost some 8 ms of every start, and Node
 * writes pipes and files synchronously on Linux anyway. Node's stream writes to a terminal or /dev/null, on
 * Windows, and, for both, from a first write that a non-blocking descriptor refuses (EAGAIN) on.
 */
/** Set once a descriptor refused a write: both go through Node's streams from then on, keeping their order. */
let refused = false;

function writer(fd: 1 | 2, stream: () => NodeJS.WriteStream): (text: string) => void {
  const direct = process.platform !== 'win32' && !characterDevice(fd);
  let opened: NodeJS.WriteStream | undefined;
  const streamed = () => {
    if (!opened) {
      opened = stream();
      opened.on('error', endQuietly);
    }
    return opened;
  };
  return (text) => {
    if (!direct || refused) {
      streamed().write(text);
      return;
    }
    const bytes = Buffer.from(text);
    let at = 0;
    try {
      while (at < bytes.length) at += writeSync(fd, bytes, at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') endQuietly(error as NodeJS.ErrnoException);
      refused = true;
      streamed().write(bytes.subarray(at));
    }
  };
}

// A terminal is a character device: only then is process.stdout opened to ask.
const terminal = characterDevice(1) && Boolean(process.stdout.isTTY);
const processOutput: Output = {
  out: writer(1, () => process.stdout),
  err: writer(2, () => process.stderr),
  color: terminal && !process.env.NO_COLOR,
  terminal,
};

const COMMANDS = [
  'check',
  'validate',
  'test',
  'init',
  'explain',
  'record',
  'verify',
  'anchor',
  'log',
  'keygen',
  'merge-log',
  'nonconformity',
  'nc',
  'inventory',
  'report',
  'export',
  'verify-attestation',
];

/** A command's lines of the usage: its own help. */
export function commandUsage(command: string): string {
  const lines = USAGE.split('\n');
  const name = command === 'nc' ? 'nonconformity' : command;
  const start = lines.findIndex((l) => l.startsWith(`  ${name} `));
  const end = lines.findIndex((l, i) => i > start && (/^ {2}\S/.test(l) || l === ''));
  return `Usage: aims-gate ${lines[start]!.trim()}\n${lines.slice(start + 1, end).join('\n')}`;
}

/** Node's parseArgs messages, said plainly: the option, and what is wrong with it. */
function argumentProblem(error: Error): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  const code = (error as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const suggestion = (error as { suggestion?: string }).suggestion;
    return `unknown option ${option ?? ''}`.trim() + (suggestion ? ` (did you mean ${suggestion}?)` : '');
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return /does not take an argument/.test(error.message)
      ? `${option ?? 'an option'} takes no value`
      : `${option ?? 'an option'} needs a value`;
  return error.message;
}

/**
 * A command's module. One that cannot be loaded is a broken build or install, never a finding: said as such,
 * with the file and line where it broke (the first line of a SyntaxError's stack; its message does not name
 * them, and the rest of that stack repeats a minified line of the bundle).
 */
async function load<T>(module: Promise<T>): Promise<T> {
  try {
    return await module;
  } catch (error) {
    const where = /^(?:\/|[A-Za-z]:\\|file:).*:\d+$/m.exec((error as Error).stack ?? '')?.[0];
    throw new Error(
      `cannot load the CLI's code (a broken build or install: npm run build)\n${where ? `${where}: ` : ''}${String(error)}`,
    );
  }
}

/**
 * The CLI's one error boundary: every failure becomes a message and an exit code, never a stack trace.
 * Each command's module is imported when it runs: a check does not load what anchoring or the auditor's
 * report need (ASN.1, HTML), which every start would pay for.
 */
export async function main(argv: string[], io: Output = processOutput): Promise<number> {
  const [command, ...rest] = argv;
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (command && COMMANDS.includes(command) && (options.includes('--help') || options.includes('-h'))) {
    io.out(`${commandUsage(command)}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'check':
        return await (await load(import('./check.js'))).check(rest, io);
      case 'init':
        return await (await load(import('./init.js'))).init(rest, io);
      case 'validate':
        return await (await load(import('./validate.js'))).validate(rest, io);
      case 'test':
        return await (await load(import('./test.js'))).test(rest, io);
      case 'merge-log':
        return await (await load(import('./merge-log.js'))).mergeLog(rest, io);
      case 'explain':
        return await (await load(import('./explain.js'))).explain(rest, io);
      case 'record':
        return await (await load(import('./audit.js'))).record(rest, io);
      case 'verify':
        return await (await load(import('./audit.js'))).verify(rest, io);
      case 'anchor':
        return await (await load(import('./anchor.js'))).anchor(rest, io);
      case 'log':
        return await (await load(import('./audit.js'))).log(rest, io);
      case 'keygen':
        return await (await load(import('./audit.js'))).keygen(rest, io);
      case 'report':
        return await (await load(import('./report.js'))).report(rest, io);
      case 'inventory':
        return await (await load(import('./inventory.js'))).inventory(rest, io);
      case 'export':
        return await (await load(import('./export.js'))).exportCommand(rest, io);
      case 'verify-attestation':
        return await (await load(import('./export.js'))).verifyAttestation(rest, io);
      case 'nonconformity':
      case 'nc':
        return await (await load(import('./nonconformity.js'))).nonconformity(rest, io);
      case '--version':
      case '-v':
        io.out(`${(await load(import('../version.js'))).VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default: {
        const near = closest(command, COMMANDS);
        throw new UsageError(`unknown command "${command}"${near ? ` (did you mean "${near}"?)` : ''}`);
      }
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`aims-gate: configuration error\n${error.toString()}\n`);
    } else if (error instanceof UsageError) {
      io.err(
        `aims-gate: ${(error as Error).message}\nRun "aims-gate ${COMMANDS.includes(command!) ? `${command} ` : ''}--help" for usage.\n`,
      );
    } else if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(
        `aims-gate ${command}: ${argumentProblem(error as Error)}\nRun "aims-gate ${command} --help" for usage.\n`,
      );
    } else {
      io.err(`aims-gate: ${(error as Error).message ?? String(error)}\n`);
      if (process.env.AIMS_GATE_DEBUG) io.err(`${(error as Error).stack}\n`);
    }
    return 2;
  }
}
