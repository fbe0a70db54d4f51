import { constants, createHash, verify, X509Certificate } from 'node:crypto';
import {
  type CertificateChoices,
  ContentInfo,
  id_contentType,
  id_messageDigest,
  id_signedData,
  SignedData,
  type SignerIdentifier,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { id_ct_tstInfo, TSTInfo } from '@peculiar/asn1-tsp';
import {
  Certificate,
  ExtendedKeyUsage,
  id_ce_extKeyUsage,
  id_ce_subjectKeyIdentifier,
  id_kp_timeStamping,
} from '@peculiar/asn1-x509';
import { printableText } from '../report/printable.js';

/**
 * Offline verification of an RFC 3161 timestamp token (a CMS SignedData whose content is a TSTInfo), in
 * JavaScript and node:crypto only: an auditor needs no OpenSSL, no network and no trust in aims-gate's
 * writer, only the timestamp authority's certificate.
 */

/** A token that cannot be read or does not hold: the message says which check failed, for the auditor. */
export class TokenError extends Error {
  override name = 'TokenError';
}

/** What a token proves once its checks pass. */
export interface TokenFacts {
  /** When the authority saw the digest. */
  genTime: Date;
  /** The signing certificate's subject, e.g. "CN=Example TSA, O=Example" (printable). */
  tsa: string;
  /** The authority's serial number of the token, in hex. */
  serial: string;
  /** The SHA-256 digest the authority timestamped. */
  imprint: Buffer;
  nonce?: Buffer;
  /** How far genTime may be from the true time, in milliseconds, as the token states it (RFC 3161 accuracy). */
  accuracy?: number;
  /**
   * With trusted certificates: the path from the signer up to the trusted certificate it ends at (subjects,
   * signer first), each one valid at genTime.
   */
  chain?: string[];
}

export const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaPss: '1.2.840.113549.1.1.10',
  ed25519: '1.3.101.112',
};

/** Digests a signature may use; SHA-1 and MD5 are refused (a signature over them can be forged). */
const DIGESTS: Record<string, string> = {
  [OID.sha256]: 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithms that name their digest; the others (rsaEncryption, id-ecPublicKey) use the signer's. */
const SIGNATURE_DIGESTS: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** The DER of the object identifier id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4), as a content-type attribute holds it. */
const TSTINFO_TYPE = Buffer.from('060b2a864886f70d0109100104', 'hex');

/** A certificate as node:crypto checks it and as ASN.1 names it (issuer, serial number, extensions). */
interface Cert {
  x509: X509Certificate;
  asn: Certificate;
}

/** Certificates from a file: PEM (one or more) or one DER certificate. */
export function readCertificates(bytes: Buffer): X509Certificate[] {
  const pem = bytes.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (pem) return pem.map((block) => new X509Certificate(block));
  return [new X509Certificate(bytes)];
}

/** A certificate's subject on one line, printable: it is text from a file anyone could have written. */
export function subjectOf(certificate: X509Certificate): string {
  return printableText(certificate.subject.split('\n').join(', '));
}

/**
 * Reads `der` and checks what the token itself proves: a SignedData with one signer over a TSTInfo; signed
 * attributes whose content type is TSTInfo and whose message digest is the TSTInfo's; a valid signature
 * over them by the signing certificate; and that certificate made for timestamping (a critical extended key
 * usage naming timeStamping, as RFC 3161 2.3 requires) and valid at the token's time.
 *
 * Which certificate may sign is the caller's to say: with `trusted`, the signer must be one of them or be
 * issued by one; without, the certificate the token carries is used, which shows the token is whole but
 * not who made it (enough when the caller just asked the authority for it).
 */
export function verifyToken(der: Uint8Array, trusted?: X509Certificate[]): TokenFacts {
  const signedData = signedDataOf(der);
  const signed = parse(signedData, SignedData, 'its SignedData');
  if (signed.encapContentInfo.eContentType !== id_ct_tstInfo)
    throw new TokenError(`the token holds ${signed.encapContentInfo.eContentType}, not a TSTInfo`);
  const content = signed.encapContentInfo.eContent?.single?.buffer ?? signed.encapContentInfo.eContent?.any;
  if (!content) throw new TokenError('the token holds no TSTInfo');
  const tstInfo = parse(content, TSTInfo, 'its TSTInfo');
  if (tstInfo.messageImprint.hashAlgorithm.algorithm !== OID.sha256)
    throw new TokenError(
      `the token timestamps a ${tstInfo.messageImprint.hashAlgorithm.algorithm} digest, not SHA-256`,
    );
  if (signed.signerInfos.length !== 1)
    throw new TokenError(`the token has ${signed.signerInfos.length} signers, not one`);
  const signer = signed.signerInfos[0]!;
  const digest = DIGESTS[signer.digestAlgorithm.algorithm];
  if (!digest)
    throw new TokenError(
      `the token is signed over a digest aims-gate does not accept (${signer.digestAlgorithm.algorithm})`,
    );
  if (!signer.signedAttrs)
    throw new TokenError('the token has no signed attributes (RFC 3161 requires them)');

  // RFC 5652 5.4: the signature covers the signed attributes, which must name the content and its digest.
  const attribute = (type: string) => signer.signedAttrs!.find((a) => a.attrType === type)?.attrValues[0];
  const contentType = attribute(id_contentType);
  if (!contentType || !TSTINFO_TYPE.equals(Buffer.from(contentType)))
    throw new TokenError('the signed attributes do not name the TSTInfo as the content signed');
  const messageDigest = attribute(id_messageDigest);
  const contentDigest = createHash(digest).update(Buffer.from(content)).digest();
  if (
    !messageDigest ||
    !contentDigest.equals(Buffer.from(parse(messageDigest, OctetString, 'its message digest').buffer))
  )
    throw new TokenError(
      'the signed message digest is not the digest of the TSTInfo: the TSTInfo was altered after signing',
    );

  const carried = (signed.certificates ?? [])
    .map((choice: CertificateChoices) => choice.certificate)
    .filter((c): c is Certificate => c !== undefined)
    .map(certOf);
  const given = (trusted ?? []).map((x509) => ({ x509, asn: AsnConvert.parse(x509.raw, Certificate) }));
  const signing = [...given, ...carried].find((c) => identifies(signer.sid, c));
  if (!signing)
    throw new TokenError(
      trusted
        ? 'the token was signed by a certificate that is neither the given TSA certificate nor carried in the token'
        : 'the token carries no certificate of its signer',
    );

  // The signature covers the DER of the signed attributes as a SET OF (tag 0x31), not as the [0] IMPLICIT
  // field they are stored in. The bytes are taken as they are in the token: re-encoding might change them.
  const signedBytes = Buffer.from(signedAttributesOf(signedData));
  signedBytes[0] = 0x31;
  const algorithm = signer.signatureAlgorithm.algorithm;
  const key =
    algorithm === OID.rsaPss
      ? {
          key: signing.x509.publicKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_AUTO,
        }
      : signing.x509.publicKey;
  let good: boolean;
  try {
    good = verify(
      algorithm === OID.ed25519 ? null : (SIGNATURE_DIGESTS[algorithm] ?? digest),
      signedBytes,
      key,
      Buffer.from(signer.signature.buffer),
    );
  } catch (error) {
    throw new TokenError(`the signature cannot be checked: ${(error as Error).message}`);
  }
  if (!good)
    throw new TokenError(`bad signature: the token is not signed by the key of ${subjectOf(signing.x509)}`);

  timestampingCertificate(signing, tstInfo.genTime);
  const chain = trusted ? trustedChain(signing, carried, trusted, tstInfo.genTime) : undefined;
  const { accuracy } = tstInfo;
  return {
    genTime: tstInfo.genTime,
    tsa: subjectOf(signing.x509),
    serial: Buffer.from(tstInfo.serialNumber).toString('hex'),
    imprint: Buffer.from(tstInfo.messageImprint.hashedMessage.buffer),
    ...(tstInfo.nonce ? { nonce: Buffer.from(tstInfo.nonce) } : {}),
    ...(accuracy
      ? {
          accuracy:
            (accuracy.seconds ?? 0) * 1000 +
            (accuracy.millis ?? 0) +
            Math.ceil((accuracy.micros ?? 0) / 1000),
        }
      : {}),
    ...(chain ? { chain: chain.map(subjectOf) } : {}),
  };
}

/** The DER of the token's SignedData. */
function signedDataOf(der: Uint8Array): Buffer {
  const info = parse(der, ContentInfo, 'it');
  if (info.contentType !== id_signedData)
    throw new TokenError(`the token is a ${info.contentType}, not a CMS SignedData`);
  return Buffer.from(info.content);
}

/**
 * The signed attributes' bytes as the token holds them: SignedData's last element is the SET of signer
 * infos, whose one SignerInfo holds them as its [0] element (@peculiar/asn1-cms keeps no raw copy of a SET).
 * Called once the SignedData parsed, so its structure is known.
 */
function signedAttributesOf(signedData: Buffer): Buffer {
  const signerInfo = elements(elements(signedData).at(-1)!)[0]!;
  return elements(signerInfo).find((element) => element[0] === 0xa0)!;
}

/** The whole elements (tag, length, content) inside one DER element; tags below 31, as CMS uses. */
function elements(der: Buffer): Buffer[] {
  const outer = header(der, 0);
  const found: Buffer[] = [];
  for (let at = outer.size; at < outer.size + outer.length; ) {
    const inner = header(der, at);
    found.push(der.subarray(at, at + inner.size + inner.length));
    at += inner.size + inner.length;
  }
  return found;
}

function header(der: Buffer, at: number): { size: number; length: number } {
  const first = der[at + 1]!;
  if (first < 0x80) return { size: 2, length: first };
  const bytes = first & 0x7f;
  let length = 0;
  for (let i = 0; i < bytes; i++) length = length * 256 + der[at + 2 + i]!;
  return { size: 2 + bytes, length };
}

/** ASN.1 that does not parse is a token error, named by the part that failed. */
function parse<T>(bytes: ArrayBuffer | Uint8Array, type: new () => T, part: string): T {
  try {
    return AsnConvert.parse(bytes, type);
  } catch (error) {
    throw new TokenError(`not a timestamp token: ${part} cannot be read (${(error as Error).message})`);
  }
}

function certOf(asn: Certificate): Cert {
  return { asn, x509: new X509Certificate(Buffer.from(AsnConvert.serialize(asn))) };
}

/** Whether the signer identifier names this certificate: by issuer and serial number, or by key identifier. */
function identifies(sid: SignerIdentifier, cert: Cert): boolean {
  const tbs = cert.asn.tbsCertificate;
  if (sid.issuerAndSerialNumber) {
    const same = (a: ArrayBuffer, b: ArrayBuffer) => Buffer.from(a).equals(Buffer.from(b));
    return (
      same(sid.issuerAndSerialNumber.serialNumber, tbs.serialNumber) &&
      same(AsnConvert.serialize(sid.issuerAndSerialNumber.issuer), AsnConvert.serialize(tbs.issuer))
    );
  }
  const ski = tbs.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
  if (!sid.subjectKeyIdentifier || !ski) return false;
  const id = AsnConvert.parse(ski.extnValue.buffer, OctetString).buffer;
  return Buffer.from(id).equals(Buffer.from(sid.subjectKeyIdentifier.buffer));
}

/** Certificates between the signer and a trusted one: RFC 5280 allows a few; more is no real TSA's chain. */
const MAX_CHAIN = 5;

/**
 * The signer's path to a trusted certificate, checked at the token's time as RFC 3161 Appendix B (B.4, B.5)
 * asks: the signer is a given certificate, or each certificate on the path is issued and signed by the next
 * (a CA certificate carried in the token, or a given one, where the path ends), and every one of them,
 * the given one included, was valid at genTime. Valid at genTime, not now: a token outlives its TSA's
 * certificate, as sigstore/timestamp-authority#1384 settled for its verifier.
 *
 * Revocation is not checked, as that verifier does not check it either: verification is offline (no CRL or
 * OCSP is fetched), so a TSA certificate revoked before genTime, after a key compromise, still passes.
 * verify and the report say so wherever an anchor is verified.
 */
function trustedChain(
  signing: Cert,
  carried: Cert[],
  trusted: X509Certificate[],
  genTime: Date,
): X509Certificate[] {
  const path = [signing.x509];
  for (let current = signing.x509; ; ) {
    if (trusted.some((t) => t.fingerprint256 === current.fingerprint256)) break;
    const issuedBy = (c: X509Certificate) => c.ca && current.checkIssued(c) && current.verify(c.publicKey);
    const root = trusted.find(issuedBy);
    if (root) {
      path.push(root);
      break;
    }
    const intermediate = carried.find(
      (c) => !path.some((p) => p.fingerprint256 === c.x509.fingerprint256) && issuedBy(c.x509),
    );
    if (!intermediate || path.length > MAX_CHAIN)
      throw new TokenError(
        `wrong certificate: the token is signed by ${subjectOf(signing.x509)} (issued by ${issuerOf(signing.x509)}), which is neither the given TSA certificate nor issued by it${path.length > 1 ? `; the chain the token carries, ${path.map(subjectOf).join(' ← ')}, reaches no given certificate either` : ''}`,
      );
    current = intermediate.x509;
    path.push(current);
  }
  for (const [i, certificate] of path.entries()) {
    const problem = invalidAt(certificate, genTime);
    if (problem)
      throw new TokenError(
        `the certificate chain does not hold at the token's time: ${i === path.length - 1 ? 'the given certificate' : 'the CA certificate'} ${problem}`,
      );
  }
  return path;
}

function issuerOf(certificate: X509Certificate): string {
  return printableText(certificate.issuer.split('\n').join(', '));
}

/** Why a certificate was not valid at `time`, in words, or undefined. */
function invalidAt(certificate: X509Certificate, time: Date): string | undefined {
  const at = time.getTime();
  const from = Date.parse(certificate.validFrom);
  const to = Date.parse(certificate.validTo);
  if (at >= from && at <= to) return undefined;
  return `${subjectOf(certificate)} was ${at < from ? 'not yet valid' : 'expired'} at ${time.toISOString()} (valid ${new Date(from).toISOString()} to ${new Date(to).toISOString()})`;
}

function timestampingCertificate(signing: Cert, genTime: Date): void {
  const eku = signing.asn.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_extKeyUsage);
  const purposes = eku ? AsnConvert.parse(eku.extnValue.buffer, ExtendedKeyUsage) : [];
  if (!eku?.critical || !purposes.includes(id_kp_timeStamping))
    throw new TokenError(
      `${subjectOf(signing.x509)} is not a timestamping certificate: it lacks the critical extended key usage timeStamping`,
    );
  const problem = invalidAt(signing.x509, genTime);
  if (problem) throw new TokenError(`the signing certificate ${problem}`);
}
