// panva's certified OpenID provider (npm oidc-provider) on loopback, as the tests' identity provider.
//
//   node server.js PORT AUDIENCE [ACCESS_TOKEN_TTL_SECONDS]
//
// Prints one line `listening ISSUER` when ready. What the API and incidentctl meet here is what they
// meet at a company's IdP: discovery, a JWKS, the device authorization grant (RFC 8628) with its user
// code and consent pages, JWT access tokens for a resource indicator (RFC 8707) = the API's audience,
// refresh tokens (offline_access), a groups claim. Storage is the provider's in-memory adapter; the
// sign-in and consent pages are the provider's own development pages (any password; an unknown login
// gets no token, since findAccount knows only ACCOUNTS).
import * as crypto from 'node:crypto';

import Provider from 'oidc-provider';

const [port, audience, accessTtl = '600'] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

// the people of the tests' oncall.toml, and the IdP groups the API's role map reads
const ACCOUNTS = {
  dana: { email: 'dana@example.com', groups: ['checkout-team'] },
  gus: { email: 'gus@example.com', groups: ['sre-leads'] },
  hana: { email: 'hana@example.com', groups: ['audit'] },
  'maria.lind': { email: 'maria.lind@example.com', groups: [] },
};

// A client whose tokens are issued as of two hours ago: the real provider's signature on a token
// that has expired (the API's expiry check is what the test attacks; nothing else about it is fake).
const TIME_TRAVELLER = 'time-traveller';
const realNow = Date.now;

// a signing key of this process's own (the provider's quick-start keys are the same everywhere)
const signingKey = {
  ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: crypto.randomUUID(),
  use: 'sig',
  alg: 'RS256',
};

const configuration = {
  jwks: { keys: [signingKey] },
  clients: [
    {
      client_id: 'incidentctl', // a public client on engineers' laptops: no secret, device flow
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'robot', // machine tokens (client credentials): any audience it asks for
      client_secret: 'robot-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: TIME_TRAVELLER,
      client_secret: 'time-traveller-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email: account.email, groups: account.groups };
      },
    };
  },
  claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'groups', 'incidents'],
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => audience,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource) => ({
        scope: 'incidents',
        audience: resource, // the test asks for another audience too, as an attacker's token would have
        accessTokenFormat: 'jwt',
        accessTokenTTL: Number(accessTtl),
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  // the person's name and IdP groups in the access token itself: the API reads no userinfo
  async extraTokenClaims(ctx, token) {
    const account = token.accountId ? ACCOUNTS[token.accountId] : undefined;
    if (account) return { preferred_username: token.accountId, email: account.email, groups: account.groups };
    return { groups: [] };
  },
  ttl: { DeviceCode: 300, RefreshToken: 86400, Grant: 86400, Session: 86400, Interaction: 600 },
  pkce: { required: () => false },
  cookies: { keys: ['tests-only-cookie-key'] },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;

provider.use(async (ctx, next) => {
  const shifted = ctx.path === '/token' && ctx.method === 'POST' && (await timeTraveller(ctx));
  if (shifted) Date.now = () => realNow() - 2 * 3600 * 1000;
  try {
    await next();
  } finally {
    Date.now = realNow;
  }
});

async function timeTraveller(ctx) {
  // the client authenticates with client_secret_basic: its id is in the Authorization header
  const basic = ctx.get('authorization').replace(/^Basic /, '');
  return Buffer.from(basic, 'base64').toString().startsWith(`${TIME_TRAVELLER}:`);
}

// RFC 8628 3.2: the client polls every `interval` seconds (5 when the answer names none, as this
// provider's does); a second keeps the tests' sign-ins short, and incidentctl must honour it
provider.on('device_authorization.success', (ctx, body) => {
  body.interval = 1;
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
