import Type from 'typebox';
import { AnyObject } from '../../common/api/schemas.ts';

/** Response shapes of the cases API (OpenAPI). The request body schema is CaseBodySchema (validate.ts). */
export const StoredCaseSchema = Type.Object(
  {
    id: Type.String(), department: Type.String(), category: Type.String(), compound: Type.String(),
    occurredAt: Type.Integer({ description: 'epoch ms' }), registeredAt: Type.Integer({ description: 'epoch ms' }), status: Type.String(),
    postedBy: Type.String(), receivedAt: Type.Integer(), version: Type.Integer(), updatedAt: Type.Integer(),
  },
  { additionalProperties: true },
);

export const RatingViewSchema = Type.Object(
  {
    id: Type.String(),
    stars: Type.Union([Type.Integer(), Type.Null()]),
    rated: Type.Boolean(),
    previousStars: Type.Union([Type.Integer(), Type.Null()]),
    index: Type.Number(),
    reason: Type.Optional(Type.String()),
    veto: Type.Unknown({ description: 'the case behind a veto, or null' }),
    downgrades: Type.Array(Type.Unknown(), { description: 'the cases behind star downgrades' }),
    policyVersion: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: "the compound's rating right after the change (private view)" },
);

export const CaseVersionSchema = Type.Object({
  version: Type.Integer(),
  at: Type.Integer({ description: 'epoch ms: when this version was received' }),
  body: AnyObject('the case as posted in this version (times as epoch ms)'),
});

export const CasePostReply = Type.Object({
  result: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]),
  case: StoredCaseSchema,
  compounds: Type.Array(RatingViewSchema),
});

export const AlarmSchema = AnyObject('a device alarm: id, compound, device, type, status (pending|confirmed|dismissed), times');

export const AlarmDecisionReply = Type.Object({ alarm: AlarmSchema, compound: RatingViewSchema });

export const AlarmStatus = Type.Union([Type.Literal('pending'), Type.Literal('confirmed'), Type.Literal('dismissed')]);

export const IdParams = (what: string) => Type.Object({ id: Type.String({ description: what }) });
