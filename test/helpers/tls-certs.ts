/**
 * Certificates made for a test with the openssl CLI: a private CA and leaf certificates it signs,
 * plus a self-signed leaf. Nothing here is trusted by Node's defaults, which is the point.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Pem {
  cert: string
  key: string
}

export interface TestPki {
  /** The CA certificate (PEM), what HOOKRELAY_CA_CERTS would hold. */
  ca: string
  /** A file holding `ca`, for settings that take a path. */
  caFile: string
  /** Signed by the CA for DNS:localhost and IP:127.0.0.1. */
  localhost: Pem
  /** Signed by the CA for DNS:other.test only: valid, but not for a loopback name. */
  otherName: Pem
  /** Self-signed for DNS:localhost and IP:127.0.0.1. */
  selfSigned: Pem
  /** Removes the files. */
  remove(): void
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Makes the CA and the leaves in a temporary directory (EC P-256 keys: fast to generate). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-pki-'))
  const key = (name: string): void => openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`])
  key('ca')
  openssl(dir, ['req', '-x509', '-new', '-key', 'ca.key', '-days', '2', '-subj', '/CN=Hookrelay test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'ca.pem'])
  const leaf = (name: string, san: string): Pem => {
    key(name)
    openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`])
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`)
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`])
    return { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') }
  }
  const localhost = leaf('localhost', 'DNS:localhost,IP:127.0.0.1')
  const otherName = leaf('other', 'DNS:other.test')
  key('self')
  openssl(dir, ['req', '-x509', '-new', '-key', 'self.key', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-out', 'self.pem'])
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    localhost,
    otherName,
    selfSigned: { cert: readFileSync(join(dir, 'self.pem'), 'utf8'), key: readFileSync(join(dir, 'self.key'), 'utf8') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
