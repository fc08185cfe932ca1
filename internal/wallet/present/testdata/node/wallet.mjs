// An independent wallet for cityid's interop test, built on libraries that
// share no code with cityid: @sd-jwt/sd-jwt-vc (SD-JWT VC), @openid4vc/openid4vp
// (OpenID4VP 1.0 requests and responses) and Node's WebCrypto.
//
// It reads one JSON job on stdin and writes one JSON result on stdout:
//   {"mode":"receive", "base", "offer", "tx_code"}  OpenID4VCI pre-authorized
//       code flow: offer → token (with tx_code) → nonce → proof → credential;
//       returns {credential, holder} (holder: the private JWK it generated).
//   {"mode":"check", "base", "credential"}  verify a credential cityid issued
//       (issuer signature by the keys at /.well-known/jwks.json, disclosures,
//       status list fetched from cityid); returns {claims, status}.
//   {"mode":"present", "request", "credential", "holder"}  answer an
//       openid4vp:// request: disclose exactly what its DCQL query asks, bind
//       the presentation to its client_id and nonce, post it to response_uri;
//       returns {asked, status, body}.
// Status-list and key URLs name the program's issuer URL; "base" is where
// the test server really listens, and fetches are sent there.
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { Openid4vpClient } from '@openid4vc/openid4vp';
import { setGlobalConfig } from '@openid4vc/utils';
import { createHash, webcrypto } from 'node:crypto';

// The test server speaks plain http on 127.0.0.1.
setGlobalConfig({ allowInsecureUrls: true });

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const decodeJSON = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

// rebase sends a URL under the issuer URL to the test server instead.
function rebase(base, uri) {
  const u = new URL(uri);
  const b = new URL(base);
  u.protocol = b.protocol;
  u.host = b.host;
  return u.toString();
}

async function issuerVerifier(base) {
  const res = await fetch(new URL('/.well-known/jwks.json', base));
  if (!res.ok) throw new Error(`jwks: ${res.status}`);
  const { keys } = await res.json();
  return async (data, sig) => {
    const header = decodeJSON(data.split('.')[0]);
    const jwk = keys.find((k) => k.kid === header.kid);
    if (!jwk) throw new Error(`unknown issuer key ${header.kid}`);
    if (header.alg !== 'ES256') throw new Error(`alg ${header.alg} not supported by this wallet`);
    return (await ES256.getVerifier(jwk))(data, sig);
  };
}

// statusFetcher fetches cityid's signed status list (statuslist+jwt).
function statusFetcher(base) {
  return async (uri) => {
    const res = await fetch(rebase(base, uri), { headers: { Accept: 'application/statuslist+jwt' } });
    if (!res.ok) throw new Error(`status list: ${res.status}`);
    return res.text();
  };
}

async function check(job) {
  const verifier = await issuerVerifier(job.base);
  const sd = new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', verifier, statusListFetcher: statusFetcher(job.base) });
  const { payload } = await sd.verify(job.credential);
  const claims = await sd.getClaims(job.credential);
  return { claims, iss: payload.iss, vct: payload.vct, status: payload.status };
}

async function jwt(header, payload, privateJwk) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = await (await ES256.getSigner(privateJwk))(input);
  return `${input}.${sig}`;
}

async function receive(job) {
  const offerURL = new URL(job.offer);
  let offer = offerURL.searchParams.get('credential_offer');
  if (!offer) {
    const res = await fetch(rebase(job.base, offerURL.searchParams.get('credential_offer_uri')));
    offer = await res.text();
  }
  offer = JSON.parse(offer);
  const issuer = offer.credential_issuer;
  const meta = await (await fetch(rebase(job.base, `${issuer}/.well-known/openid-credential-issuer`))).json();
  const asMeta = await (await fetch(rebase(job.base, `${(meta.authorization_servers ?? [issuer])[0]}/.well-known/oauth-authorization-server`))).json();
  const grant = offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'];
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': grant['pre-authorized_code'] });
  if (grant.tx_code) form.set('tx_code', job.tx_code);
  const tokRes = await fetch(rebase(job.base, asMeta.token_endpoint), { method: 'POST', body: form, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  const tok = await tokRes.json();
  if (!tokRes.ok) throw new Error(`token: ${tokRes.status} ${JSON.stringify(tok)}`);
  const { c_nonce } = await (await fetch(rebase(job.base, meta.nonce_endpoint), { method: 'POST' })).json();
  const { publicKey, privateKey } = await ES256.generateKeyPair();
  const proof = await jwt({ typ: 'openid4vci-proof+jwt', alg: 'ES256', jwk: { kty: publicKey.kty, crv: publicKey.crv, x: publicKey.x, y: publicKey.y } },
    { aud: issuer, iat: Math.floor(Date.now() / 1000), nonce: c_nonce }, privateKey);
  const credRes = await fetch(rebase(job.base, meta.credential_endpoint), {
    method: 'POST',
    headers: { Authorization: `${tok.token_type ?? 'Bearer'} ${tok.access_token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ credential_configuration_id: offer.credential_configuration_ids[0], proofs: { jwt: [proof] } }),
  });
  const cred = await credRes.json();
  if (!credRes.ok) throw new Error(`credential: ${credRes.status} ${JSON.stringify(cred)}`);
  return { credential: cred.credentials[0].credential, holder: privateKey };
}

async function present(job) {
  const client = new Openid4vpClient({
    callbacks: {
      fetch,
      hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
      generateRandom: (n) => webcrypto.getRandomValues(new Uint8Array(n)),
      verifyJwt: async () => { throw new Error('cityid sends unsigned requests (redirect_uri: prefix)'); },
    },
  });
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: job.request });
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params });
  const req = resolved.authorizationRequestPayload;
  const query = resolved.dcql.query.credentials[0];
  if (query.format !== 'dc+sd-jwt') throw new Error(`format ${query.format}`);
  const frame = {};
  for (const c of query.claims) frame[c.path[0]] = true;
  const sd = new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
    kbSigner: await ES256.getSigner(job.holder), kbSignAlg: 'ES256' });
  const vp = await sd.present(job.credential, frame, {
    kb: { payload: { aud: req.client_id, nonce: req.nonce, iat: Math.floor(Date.now() / 1000) } },
  });
  const { response } = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req,
    authorizationResponsePayload: { vp_token: { [query.id]: [vp] }, state: req.state },
  });
  return { asked: Object.keys(frame), client: resolved.client.prefix, status: response.status, body: await response.text() };
}

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const modes = { receive, check, present };
try {
  process.stdout.write(JSON.stringify(await modes[job.mode](job)) + '\n');
} catch (err) {
  process.stdout.write(JSON.stringify({ error: String(err?.stack ?? err) }) + '\n');
  process.exitCode = 1;
}
