import { CORE_GROUP, CORE_USER } from './filter.ts';
import { MAX_MEMBERS } from './groups.ts';
import { MAX_OPERATIONS } from './patch.ts';

/*
 * The discovery documents of RFC 7644 §4 (/ServiceProviderConfig, /ResourceTypes, /Schemas),
 * describing exactly what this server maps (RFC 7643 §5-7).
 */

export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RT = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
/** The most resources one page returns (count above this is lowered to it). */
export const MAX_PAGE = 200;

type Attr = Record<string, unknown>;
const attr = (
  name: string,
  o: {
    type?: string;
    multi?: boolean;
    required?: boolean;
    mutability?: string;
    returned?: string;
    uniqueness?: string;
    caseExact?: boolean;
    sub?: Attr[];
    canonical?: string[];
  } = {},
): Attr => ({
  name,
  type: o.type ?? 'string',
  multiValued: !!o.multi,
  required: !!o.required,
  caseExact: !!o.caseExact,
  mutability: o.mutability ?? 'readWrite',
  returned: o.returned ?? 'default',
  uniqueness: o.uniqueness ?? 'none',
  ...(o.sub ? { subAttributes: o.sub } : {}),
  ...(o.canonical ? { canonicalValues: o.canonical } : {}),
});

const USER_ATTRS: Attr[] = [
  attr('userName', { required: true, uniqueness: 'server', mutability: 'immutable' }),
  attr('name', { type: 'complex', sub: [attr('formatted'), attr('givenName'), attr('familyName')] }),
  attr('displayName'),
  attr('emails', {
    type: 'complex',
    multi: true,
    sub: [
      attr('value'),
      attr('type', { canonical: ['work', 'other'] }),
      attr('primary', { type: 'boolean' }),
    ],
  }),
  attr('phoneNumbers', {
    type: 'complex',
    multi: true,
    sub: [attr('value'), attr('type', { canonical: ['mobile', 'work'] })],
  }),
  attr('active', { type: 'boolean' }),
  attr('locale'),
  attr('preferredLanguage'),
  attr('password', { mutability: 'writeOnly', returned: 'never' }),
  attr('groups', {
    type: 'complex',
    multi: true,
    mutability: 'readOnly',
    sub: [attr('value', { mutability: 'readOnly' }), attr('display', { mutability: 'readOnly' })],
  }),
];
const GROUP_ATTRS: Attr[] = [
  attr('displayName', { required: true, uniqueness: 'server' }),
  attr('members', {
    type: 'complex',
    multi: true,
    sub: [
      attr('value', { mutability: 'immutable' }),
      attr('display', { mutability: 'readOnly' }),
      attr('type'),
    ],
  }),
];

const base = (issuer: string) => `${issuer.replace(/\/$/, '')}/scim/v2`;

export function schemaDocs(issuer: string): Record<string, unknown>[] {
  return [
    {
      schemas: [SCHEMA],
      id: CORE_USER,
      name: 'User',
      description: 'A Tobira account',
      attributes: USER_ATTRS,
      meta: { resourceType: 'Schema', location: `${base(issuer)}/Schemas/${CORE_USER}` },
    },
    {
      schemas: [SCHEMA],
      id: CORE_GROUP,
      name: 'Group',
      description: 'A Tobira group',
      attributes: GROUP_ATTRS,
      meta: { resourceType: 'Schema', location: `${base(issuer)}/Schemas/${CORE_GROUP}` },
    },
  ];
}

export function resourceTypes(issuer: string): Record<string, unknown>[] {
  return [
    { id: 'User', name: 'User', endpoint: '/Users', schema: CORE_USER },
    { id: 'Group', name: 'Group', endpoint: '/Groups', schema: CORE_GROUP },
  ].map((r) => ({
    schemas: [RT],
    ...r,
    meta: { resourceType: 'ResourceType', location: `${base(issuer)}/ResourceTypes/${r.id}` },
  }));
}

export function serviceProviderConfig(issuer: string): Record<string, unknown> {
  return {
    schemas: [SPC],
    documentationUri: `${issuer.replace(/\/$/, '')}/`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: `A client credentials access token with the scim scope (at most ${MAX_OPERATIONS} PATCH operations, ${MAX_MEMBERS} members per group)`,
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base(issuer)}/ServiceProviderConfig` },
  };
}

export function listResponse(resources: unknown[], total = resources.length, startIndex = 1) {
  return {
    schemas: [LIST_RESPONSE],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
