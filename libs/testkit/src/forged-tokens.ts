import { base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { webcrypto } from 'node:crypto';

/** The ways an attacker may tamper with an access token, each of which must be refused. */
export type Forgery =
  | 'alg none'
  | 'HS256 signed with the public key'
  | 'unknown kid'
  | 'wrong iss'
  | 'wrong aud'
  | 'expired'
  | 'nbf in the future'
  | 'payload edited after signing'
  | 'signed by a key not in JWKS';

/** What {@link forgeTokens} starts from. */
export interface ForgeryMaterial {
  /** A genuine access token: its header and claims are the template. */
  genuine: string;
  /** The public JWK that verifies `genuine` (from the JWKS). */
  publicJwk: JWK;
  /**
   * The real signing key (read from the identity database by the test): tokens with wrong
   * claims but a valid signature prove claims are checked, not only signatures.
   */
  signingKey: { kid: string; privateKey: webcrypto.CryptoKey };
}

const encode = (value: object): string => base64url.encode(JSON.stringify(value));

/** One token per {@link Forgery}, built from a genuine token. */
export async function forgeTokens(material: ForgeryMaterial): Promise<Record<Forgery, string>> {
  const header = decodeProtectedHeader(material.genuine);
  const claims = decodeJwt(material.genuine);
  const [genuineHeader, , genuineSignature] = material.genuine.split('.') as [string, string, string];
  const nowSeconds = Math.floor(Date.now() / 1000);
  const attacker = await generateKeyPair('EdDSA', { crv: 'Ed25519' });

  const signed = (payload: JWTPayload, key: webcrypto.CryptoKey, kid: string): Promise<string> =>
    new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' }).sign(key);
  const withRealKey = (overrides: JWTPayload): Promise<string> =>
    signed({ ...claims, ...overrides }, material.signingKey.privateKey, material.signingKey.kid);

  const publicKeyBytes = base64url.decode(material.publicJwk.x ?? '');
  return {
    'alg none': `${encode({ alg: 'none', kid: header.kid, typ: 'at+jwt' })}.${encode(claims)}.`,
    'HS256 signed with the public key': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: header.kid ?? '', typ: 'at+jwt' })
      .sign(publicKeyBytes),
    'unknown kid': await signed(claims, attacker.privateKey, 'kid-that-was-never-published'),
    'wrong iss': await withRealKey({ iss: 'https://attacker.example' }),
    'wrong aud': await withRealKey({ aud: 'some-other-audience' }),
    expired: await withRealKey({ iat: nowSeconds - 7200, nbf: nowSeconds - 7200, exp: nowSeconds - 3600 }),
    'nbf in the future': await withRealKey({ nbf: nowSeconds + 3600, exp: nowSeconds + 7200 }),
    'payload edited after signing': `${genuineHeader}.${encode({ ...claims, role: 'owner', tid: '00000000-0000-7000-8000-000000000000' })}.${genuineSignature}`,
    'signed by a key not in JWKS': await signed(claims, attacker.privateKey, header.kid ?? ''),
  };
}
