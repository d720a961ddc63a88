// Writes id_tokens.json: ID tokens and the JWKS they are checked against, for
// tests/node/test_oidc.c (node/oidc.h node_oidc_check at NOW, issuer
// https://idp.test, client schakel, nonce "nonce-of-this-sign-in", claim
// preferred_username), each with the answer the node must give. Made once
// with node's crypto (fresh keys each run):  node make.mjs >id_tokens.json
import crypto from 'node:crypto';

const NOW = 1800000000; // seconds; the test's now
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa2 = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const hmacKey = crypto.randomBytes(32);
const jwks = { keys: [
  // x5c as Entra ID and Keycloak send it (standard base64): left alone
  { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', use: 'sig', alg: 'RS256', x5c: ['MIIBIjAN+Bgkq/hkiG9w0BAQ=='], x5t: 'abc' },
  { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', use: 'sig', alg: 'ES256' },
  { kty: 'oct', k: hmacKey.toString('base64url'), kid: 'oct-1', use: 'sig' },
  { ...rsa2.publicKey.export({ format: 'jwk' }), kid: 'rsa-enc', use: 'enc' },
] };
const signers = {
  RS256: (i, k = rsa.privateKey) => crypto.sign('sha256', Buffer.from(i), k),
  PS256: (i) => crypto.sign('sha256', Buffer.from(i), { key: rsa.privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
  ES256: (i) => crypto.sign('sha256', Buffer.from(i), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }),
  HS256: (i) => crypto.createHmac('sha256', hmacKey).update(i).digest(),
  none: () => Buffer.alloc(0),
};
const base = { iss: 'https://idp.test', aud: 'schakel', sub: 'sub-1', preferred_username: 'anna',
  nonce: 'nonce-of-this-sign-in', iat: NOW - 10, exp: NOW + 300 };
function jwt(alg, kid, claims, signer) {
  const h = { alg, typ: 'JWT' };
  if (kid) h.kid = kid;
  const input = `${b64(h)}.${b64(claims)}`;
  return `${input}.${(signer || signers[alg])(input).toString('base64url')}`;
}
const cases = [];
const add = (name, token, want) => cases.push({ name, jwt: token, want });
add('RS256', jwt('RS256', 'rsa-1', base), 'ok');
add('PS256', jwt('PS256', 'rsa-1', base), 'ok');
add('ES256', jwt('ES256', 'ec-1', base), 'ok');
add('no kid: every fitting key is tried', jwt('RS256', null, base), 'ok');
add('aud list with azp', jwt('RS256', 'rsa-1', { ...base, aud: ['schakel', 'other'], azp: 'schakel' }), 'ok');
add('expired within the skew', jwt('RS256', 'rsa-1', { ...base, exp: NOW - 30 }), 'ok');
add('aud list without azp', jwt('RS256', 'rsa-1', { ...base, aud: ['schakel', 'other'] }), 'verify');
add('azp another client', jwt('RS256', 'rsa-1', { ...base, azp: 'other' }), 'verify');
add('aud another client', jwt('RS256', 'rsa-1', { ...base, aud: 'other' }), 'verify');
add('no aud', jwt('RS256', 'rsa-1', { ...base, aud: undefined }), 'verify');
add('another issuer', jwt('RS256', 'rsa-1', { ...base, iss: 'https://idp.test/' }), 'verify');
add('another nonce', jwt('RS256', 'rsa-1', { ...base, nonce: 'another' }), 'verify');
add('no nonce', jwt('RS256', 'rsa-1', { ...base, nonce: undefined }), 'verify');
add('expired', jwt('RS256', 'rsa-1', { ...base, exp: NOW - 61 }), 'verify');
add('no exp', jwt('RS256', 'rsa-1', { ...base, exp: undefined }), 'verify');
add('issued in the future', jwt('RS256', 'rsa-1', { ...base, iat: NOW + 120 }), 'verify');
add('issued 12 minutes ago', jwt('RS256', 'rsa-1', { ...base, iat: NOW - 720, exp: NOW + 300 }), 'verify');
add('not valid before', jwt('RS256', 'rsa-1', { ...base, nbf: NOW + 120 }), 'verify');
add('no claim', jwt('RS256', 'rsa-1', { ...base, preferred_username: undefined }), 'verify');
add('claim with a control character', jwt('RS256', 'rsa-1', { ...base, preferred_username: 'an\nna' }), 'verify');
const good = jwt('RS256', 'rsa-1', base).split('.');
const sig = Buffer.from(good[2], 'base64url'); sig[10] ^= 1;
add('a flipped signature bit', `${good[0]}.${good[1]}.${sig.toString('base64url')}`, 'verify');
add('claims changed after signing', `${good[0]}.${b64({ ...base, preferred_username: 'bea' })}.${good[2]}`, 'verify');
add('signed by another key under a known kid', jwt('RS256', 'rsa-1', base, (i) => signers.RS256(i, rsa2.privateKey)), 'verify');
add('alg none', jwt('none', 'rsa-1', base), 'verify');
add('HS256 with a key of the set', jwt('HS256', 'oct-1', base), 'verify');
add('a key for encryption', jwt('RS256', 'rsa-enc', base, (i) => signers.RS256(i, rsa2.privateKey)), 'notfound');
add('an unknown kid', jwt('RS256', 'rsa-9', base), 'notfound');
add('not a JWS', 'not.a.token', 'verify');
process.stdout.write(JSON.stringify({ now_ms: NOW * 1000, jwks, cases }, null, 1) + '\n');
