// A real OpenID Connect provider for Pond's single sign-on tests.
//
// panva's oidc-provider (OpenID Certified), configured from a JSON file named on the
// command line:
//
//   { "clients": [{ "client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris" }],
//     "accountsFile": "/tmp/.../accounts.json", "host": "127.0.0.1", "port": 0 }
//
// It listens on loopback (port 0: any free port), then prints one line of JSON,
// {"issuer": "http://127.0.0.1:<port>"}, once it answers. People are read from
// accountsFile on every look-up, so a test changes someone's groups between two logins
// by rewriting that file:
//
//   { "<login>": { "email": "...", "preferred_username": "...", "groups": ["..."] } }
//
// The login is the person's `sub` (the provider's own id for them, which never changes).
//
// The sign-in form is the provider's own development form (devInteractions): any
// password is accepted for a login listed in accountsFile. Consent is implied for the
// configured clients (first-party, as a company's identity provider treats its apps).
// PKCE (S256) is required of every client.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function readAccounts() {
  try {
    return JSON.parse(readFileSync(config.accountsFile, 'utf8'));
  } catch {
    return {};
  }
}

async function findAccount(ctx, accountId) {
  if (!Object.hasOwn(readAccounts(), accountId)) return undefined;
  return {
    accountId,
    // Read again when claims are asked for: the groups of this very sign-in.
    async claims() {
      return { ...readAccounts()[accountId], sub: accountId };
    },
  };
}

async function loadExistingGrant(ctx) {
  const { client, session, result, provider } = ctx.oidc;
  const grantId = result?.consent?.grantId || session.grantIdFor(client.clientId);
  if (grantId) return provider.Grant.find(grantId);
  const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope('openid email profile groups');
  await grant.save();
  return grant;
}

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const server = createServer();
server.listen(config.port || 0, config.host || '127.0.0.1', () => {
  const issuer = `http://${config.host || '127.0.0.1'}:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      ...client,
    })),
    findAccount,
    loadExistingGrant,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    jwks: { keys: [{ ...signingKey, kid: 'pond-test', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
