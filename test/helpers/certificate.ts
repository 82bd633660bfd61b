import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A self-signed certificate for 127.0.0.1 and localhost, made by the test. */
export interface Certificate {
  certFile: string;
  keyFile: string;
  /** The certificate, PEM: what a client trusts (`ca`). */
  cert: string;
  key: string;
  /** SHA-256 fingerprint, as `tls.TLSSocket#getPeerCertificate().fingerprint256` shows it. */
  fingerprint: string;
  /** base64 SHA-256 of the public key, for Chromium's `--ignore-certificate-errors-spki-list`. */
  spki: string;
}

/** Makes a P-256 certificate valid for one day with openssl, as `<name>.pem` / `<name>-key.pem` in `dir`. */
export async function makeCertificate(dir: string, name: string): Promise<Certificate> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  // biome-ignore format: one openssl option per line
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]).catch((error: Error) => {
    throw new Error(`openssl could not make a certificate (apt-get install openssl): ${error.message}`);
  });
  const cert = await readFile(certFile, 'utf8');
  const x509 = new X509Certificate(cert);
  const der = x509.publicKey.export({ type: 'spki', format: 'der' });
  return {
    certFile,
    keyFile,
    cert,
    key: await readFile(keyFile, 'utf8'),
    fingerprint: x509.fingerprint256,
    spki: createHash('sha256').update(der).digest('base64'),
  };
}
