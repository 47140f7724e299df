import { z } from 'zod';
import { policySchema } from '../../policy/settings.ts';
import type { ApiRoute } from './api-route.ts';
import { API_PREFIX } from './api-route.ts';
import { AUDIT_RESULTS, CSV_COLUMNS } from './service.ts';

/**
 * The OpenAPI 3.1 document of the admin API, made from the same route table the router uses: request
 * bodies and query parameters come from the zod schemas that validate them; responses from the
 * shapes below.
 */

type Schema = Record<string, unknown>;

const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const dateTime = { type: 'string', format: 'date-time' };
const dateTimeOrNull = { type: ['string', 'null'], format: 'date-time' };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, unknown>, required = Object.keys(properties)): Schema => ({
  type: 'object',
  properties,
  required,
});

function jsonSchema(s: z.ZodType, io: 'input' | 'output' = 'input'): Schema {
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Schema;
  delete out.$schema;
  return out;
}

function components(): Record<string, Schema> {
  const userSummary = {
    id: { type: 'string', format: 'uuid' },
    login: str,
    displayName: str,
    email: strOrNull,
    emailVerified: {
      type: 'boolean',
      description: 'The email_verified claim; cleared when the email changes.',
    },
    status: { enum: ['active', 'disabled'] },
    roles: { type: 'array', items: { enum: ['admin', 'helpdesk'] } },
    passwordManaged: { enum: ['local', 'external'] },
    mustChangePassword: { type: 'boolean' },
    activated: {
      type: 'boolean',
      description:
        'false: never had a password here ("not yet activated"); set through reset or an invitation.',
    },
    createdAt: dateTime,
  };
  const client = {
    clientId: str,
    name: str,
    builtin: { type: 'boolean' },
    firstParty: { type: 'boolean' },
    public: { type: 'boolean' },
    grantTypes: { type: 'array', items: str },
    redirectUris: { type: 'array', items: str },
    postLogoutRedirectUris: { type: 'array', items: str },
    backchannelLogoutUri: strOrNull,
    scope: { ...strOrNull, description: 'Allowed scopes besides `admin`; null: all of them.' },
    admin: {
      type: 'boolean',
      description: 'Granted the `admin` scope by an administrator (false by default).',
    },
    scim: {
      type: 'boolean',
      description:
        'Granted the `scim` scope (SCIM provisioning, first-party clients only; false by default).',
    },
    idTokenAlg: { enum: ['ES256', 'RS256', 'PS256', 'EdDSA'] },
    authMethod: {
      enum: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
    },
    jwksUri: strOrNull,
    jwks: { type: ['object', 'null'], description: 'The public JWK Set for private_key_jwt.' },
    backchannelLogoutSessionRequired: { type: 'boolean' },
    defaultMaxAge: { type: ['integer', 'null'] },
    requireAuthTime: { type: 'boolean' },
    frontchannelLogoutUri: {
      ...strOrNull,
      description:
        'Front-channel logout: framed (hidden) when a session ends; same scheme, host and port as a redirect URI; https in production.',
    },
    frontchannelLogoutSessionRequired: {
      type: 'boolean',
      description: 'Frame the front-channel URI with `iss` and `sid` query parameters.',
    },
    corsOrigins: {
      type: 'array',
      items: str,
      maxItems: 50,
      description:
        "Browser origins (scheme://host[:port]) allowed to call the token, userinfo, revocation and introspection endpoints; a public client also gets its redirect URIs' origins.",
    },
    createdAt: dateTime,
    updatedAt: dateTime,
  };
  // What an import (at once or as a job) counts, and how it names a row's error.
  const rowCounts = {
    created: { type: 'integer' },
    updated: { type: 'integer' },
    unchanged: { type: 'integer' },
  };
  const rowError = obj({ line: { type: 'integer' }, column: str, message: str });
  const count = (label: string) => ({
    type: 'array',
    items: obj({ [label]: str, count: { type: 'integer' } }),
  });
  return {
    Error: obj({ error: str, error_description: str }),
    ValidationError: {
      ...obj({
        error: { const: 'invalid_request' },
        error_description: str,
        fields: { type: 'object', additionalProperties: str },
      }),
      description: 'A message per invalid field, keyed by its path (e.g. "redirectUris.0").',
    },
    Caller: obj({
      id: str,
      kind: { enum: ['user', 'client'] },
      label: str,
      permissions: { type: 'array', items: str },
    }),
    Policy: jsonSchema(policySchema, 'output'),
    PolicyUpdate: obj({ policy: ref('Policy'), changed: { type: 'array', items: str } }),
    UserSummary: obj(userSummary),
    UserList: obj({
      users: { type: 'array', items: ref('UserSummary') },
      next: {
        type: ['string', 'null'],
        description: 'Pass as `after` for the next page; null when this page is the last (keyset paging)',
      },
    }),
    UserDetail: obj({
      ...userSummary,
      locale: strOrNull,
      groups: { type: 'array', items: str },
      passwordChangedAt: dateTimeOrNull,
      securityInfoConfirmedAt: dateTimeOrNull,
      lock: obj({ locked: { type: 'boolean' }, lockedUntil: dateTimeOrNull, failures: { type: 'integer' } }),
      methods: {
        type: 'array',
        description:
          'Kinds and dates of registered methods only: never labels, numbers, addresses, secrets or answers.',
        items: obj({
          kind: str,
          isDefault: { type: 'boolean' },
          createdAt: dateTime,
          lastUsedAt: dateTimeOrNull,
          source: { enum: ['user', 'organization'] },
          confirmed: { type: 'boolean' },
        }),
      },
      reset: obj({
        inScope: { type: 'boolean' },
        gatesAvailable: { type: 'array', items: str },
        gatesRequired: { type: 'integer' },
        capable: { type: 'boolean' },
      }),
    }),
    ContactMethods: obj({
      contactMethods: {
        type: 'array',
        description:
          'Phones and alternate email, masked; "organization" ones were pre-registered by an administrator.',
        items: obj({
          slot: { enum: ['mobilePhone', 'alternatePhone', 'alternateEmail'] },
          value: str,
          source: { enum: ['user', 'organization'] },
          confirmed: { type: 'boolean' },
          createdAt: dateTime,
        }),
      },
    }),
    InvitationState: obj({
      invitation: {
        oneOf: [obj({ createdAt: dateTime, expiresAt: dateTime }), { type: 'null' }],
      },
    }),
    InvitationSent: obj({
      invitation: obj({ createdAt: dateTime, expiresAt: dateTime }),
      resent: { type: 'boolean', description: 'A previous link was withdrawn.' },
    }),
    ImportResult: obj({
      dryRun: { type: 'boolean' },
      rows: { type: 'integer' },
      ...rowCounts,
      failed: { type: 'integer', description: 'Rows with errors (nothing of them is written).' },
      errors: { type: 'array', items: rowError },
      truncated: {
        type: 'boolean',
        description: 'More errors than the 1,000 listed (`failed` counts every row).',
      },
    }),
    ImportJob: obj({
      id: { type: 'string', format: 'uuid' },
      state: {
        type: 'string',
        enum: ['running', 'done', 'failed', 'interrupted'],
        description:
          'running: rows are being read (the counts grow after every batch of 500); done: every row was read; failed: the file could not be read (see `failure`; batches written before stay written); interrupted: the process running it stopped.',
      },
      dryRun: { type: 'boolean' },
      rows: { type: 'integer', description: 'Rows read so far.' },
      ...rowCounts,
      failed: { type: 'integer', description: 'Rows with errors so far (nothing of them is written).' },
      errors: {
        type: 'array',
        description: 'When done: the first 1,000 row errors in line order.',
        items: rowError,
      },
      truncated: { type: 'boolean' },
      failure: { ...strOrNull, description: 'Why a failed job stopped.' },
      createdAt: dateTime,
      updatedAt: dateTime,
      finishedAt: { oneOf: [dateTime, { type: 'null' }] },
    }),
    UserWithPassword: obj({
      user: ref('UserDetail'),
      temporaryPassword: { ...strOrNull, description: 'Shown once; must be changed at the next sign-in.' },
    }),
    Group: obj({
      id: { type: 'string', format: 'uuid' },
      name: str,
      members: { type: 'integer' },
      createdAt: dateTime,
      inResetPolicy: { type: 'boolean' },
    }),
    GroupList: obj({ groups: { type: 'array', items: ref('Group') } }),
    GroupMembers: obj({
      group: obj({ id: str, name: str }),
      members: { type: 'array', items: obj({ id: str, login: str, displayName: str }) },
    }),
    MembershipChange: obj({ changed: { type: 'boolean' } }),
    Client: obj(client),
    ClientList: obj({ clients: { type: 'array', items: ref('Client') } }),
    Api: obj({
      identifier: { ...str, description: 'The resource indicator (RFC 8707) clients send as `resource`.' },
      name: str,
      scopes: { type: 'array', items: str },
      tokenFormat: {
        type: 'string',
        enum: ['jwt', 'opaque'],
        description:
          'jwt: an RFC 9068 JWT the API checks against /jwks (not revocable; it expires); opaque: stored, checked by introspection, revocable.',
      },
      tokenTtlSeconds: { type: 'integer' },
      signingAlg: { type: 'string', enum: ['ES256', 'RS256', 'PS256', 'EdDSA'] },
      introspectionClientId: {
        ...strOrNull,
        description: 'The client the API signs in as to introspect its opaque tokens.',
      },
      grants: {
        type: 'array',
        items: obj({ clientId: str, scopes: { type: 'array', items: str } }),
      },
      createdAt: dateTime,
      updatedAt: dateTime,
    }),
    ApiList: obj({ apis: { type: 'array', items: ref('Api') } }),
    ClientWithSecret: obj({
      client: ref('Client'),
      clientSecret: { ...strOrNull, description: 'Shown once; null for a public client.' },
    }),
    AuditEvent: obj({
      id: { type: 'integer' },
      at: dateTime,
      actorId: strOrNull,
      actor: strOrNull,
      subjectId: strOrNull,
      subject: strOrNull,
      activity: str,
      result: { enum: [...AUDIT_RESULTS] },
      reason: strOrNull,
      ip: strOrNull,
      userAgent: strOrNull,
      details: { type: ['object', 'null'] },
    }),
    AuditList: obj({
      events: { type: 'array', items: ref('AuditEvent') },
      next: { type: ['integer', 'null'], description: 'Pass as `before` for the next (older) page.' },
    }),
    NoticeList: obj({
      depth: obj({ pending: { type: 'integer' }, failed: { type: 'integer' } }),
      notices: {
        type: 'array',
        items: obj({
          id: { type: 'integer' },
          purpose: str,
          userId: strOrNull,
          login: strOrNull,
          status: { enum: ['pending', 'failed'] },
          attempts: { type: 'integer' },
          lastError: strOrNull,
          createdAt: dateTime,
          nextTryAt: dateTimeOrNull,
          failedAt: dateTimeOrNull,
        }),
      },
    }),
    Reports: obj({
      asOf: dateTime,
      days: { type: 'integer' },
      registration: obj({
        active: { type: 'integer' },
        registered: { type: 'integer' },
        inScope: { type: 'integer' },
        capable: { type: 'integer' },
      }),
      methods: {
        type: 'array',
        items: obj({ kind: str, users: { type: 'integer' }, registered: { type: 'integer' } }),
      },
      resetsPerDay: count('day'),
      resetsPerMethod: count('method'),
      outcomes: count('result'),
    }),
  };
}

function queryParameters(q: z.ZodObject): Schema[] {
  const shape = jsonSchema(q) as { properties?: Record<string, Schema> };
  return Object.entries(shape.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema,
  }));
}

export function apiDocument(routes: ApiRoute[], issuer: string): Schema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params: Schema[] = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: str,
      description: m[1] === 'user' ? 'User id or login' : m[1] === 'group' ? 'Group id or name' : undefined,
    }));
    if (r.query) params.push(...queryParameters(r.query));
    const ok =
      r.response.schema === 'empty'
        ? { description: 'Done' }
        : r.response.schema === 'csv'
          ? {
              description: `CSV with the columns ${CSV_COLUMNS.join(', ')}`,
              content: { 'text/csv': { schema: str } },
            }
          : { description: 'OK', content: { 'application/json': { schema: ref(r.response.schema) } } };
    const error = (description: string, name = 'Error') => ({
      description,
      content: { 'application/json': { schema: ref(name) } },
    });
    const responses: Record<string, unknown> = {
      [String(r.response.status)]: ok,
      401: error('No valid access token'),
      403: error(
        'The token lacks the admin scope, its client is not granted it, the user signed in without a ' +
          'second factor (`insufficient_user_authentication`), or the caller may not do this',
      ),
    };
    if (r.body || r.query)
      responses[400] = error('Invalid request, with a message per field', 'ValidationError');
    if (r.path.includes('{')) responses[404] = error('Not found');
    if (r.method !== 'get')
      responses[409] = error(
        'Conflicts with the current state (duplicate, built-in, in use)',
        'ValidationError',
      );
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(r.permission ? { 'x-permission': r.permission } : {}),
      parameters: params.length ? params : undefined,
      responses,
    };
    if (r.body)
      op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } };
    if (r.csvBody) {
      op.requestBody = {
        required: true,
        description: `CSV (UTF-8) with a header row naming some of ${CSV_COLUMNS.join(', ')} (login required)`,
        content: { 'text/csv': { schema: str } },
      };
      responses[413] = error(
        'The file is too large (POST /imports: 256 MB; 1,000,000 rows)',
        'ValidationError',
      );
      responses[415] = error('The body is not text/csv', 'ValidationError');
    }
    if (r.response.status === 202)
      responses[202] = {
        ...(ok as object),
        description: 'Accepted: the job runs; poll its Location',
        headers: { Location: { description: 'The job, GET /imports/{id}', schema: str } },
      };
    paths[r.path] ??= {};
    paths[r.path][r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tobira administration API',
      version: '1',
      description:
        'Policy, users, groups, applications, audit log and reports. Authorize with an access token from this ' +
        'server carrying the `admin` scope. No client has that scope unless an administrator granted it to that ' +
        'client (`tobira client add --admin`, `tobira client update --admin`, `admin` on /clients, or the console). ' +
        'Client credentials of a granted client act as a full administrator. A user access token is accepted ' +
        'only from a first-party client granted the scope, after a sign-in with a second factor ' +
        '(`acr` urn:tobira:acr:mfa), for a user who is an administrator (everything) or helpdesk (read users, ' +
        'unlock, contact requests); a password-only sign-in gets 403 `insufficient_user_authentication`.',
    },
    servers: [{ url: `${issuer}${API_PREFIX}` }],
    security: [{ oauth2: ['admin'] }],
    tags: ['session', 'policy', 'users', 'groups', 'clients', 'audit', 'reports', 'notices'].map((name) => ({
      name,
    })),
    paths,
    components: {
      schemas: components(),
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          description:
            'The `admin` scope is denied by default: a client can obtain it only after an administrator granted ' +
            'it to that client; any other client asking for it gets `invalid_scope`. It is never offered on a ' +
            'consent page. Client credentials: only a client granted the scope. Authorization code: only a ' +
            'first-party client granted the scope, and the API accepts the token only when the sign-in used a ' +
            'second factor (send `acr_values=urn:tobira:acr:mfa`; the token records the `acr`). Revoking the ' +
            "grant stops the client's tokens already issued (on every instance within 30 seconds).",
          flows: {
            clientCredentials: {
              tokenUrl: `${issuer}/token`,
              scopes: { admin: 'Administer Tobira (only clients an administrator granted the admin scope)' },
            },
            authorizationCode: {
              authorizationUrl: `${issuer}/auth`,
              tokenUrl: `${issuer}/token`,
              scopes: {
                admin:
                  'Administer Tobira as the signed-in administrator or helpdesk user (first-party clients granted ' +
                  'the admin scope; a sign-in with a second factor, acr urn:tobira:acr:mfa)',
              },
            },
          },
        },
      },
    },
  };
}
