// Names for the generated API types, taken from the routes themselves (paths), so that a schema
// renamed or disambiguated by FastAPI (e.g. two `UserOut` classes) does not break the client.
import type { components, paths } from './schema';

type JsonOf<T> = T extends { content: { 'application/json': infer J } } ? J : never;
type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: { 200: infer R } } ? JsonOf<R> : never;
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;

export type TokenOut = Ok<'/api/v1/auth/login', 'post'>;
export type UserOut = TokenOut['user'];
export type MeOut = Ok<'/api/v1/me', 'get'>;
export type PushIn = Body<'/api/v1/sync/push', 'post'>;
export type MutationResultOut = Ok<'/api/v1/sync/push', 'post'>['results'][number];
export type ChangeOut = Ok<'/api/v1/sync/pull', 'get'>['changes'][number];

type S = components['schemas'];
export type HouseholdIn = S['HouseholdIn'];
export type PersonIn = S['PersonIn'];
export type VisitIn = S['VisitIn'];

// Reports (the team leader's day, the officials' dashboard).
export type VolunteersReport = Ok<'/api/v1/reports/volunteers', 'get'>;
export type VolunteerFigures = VolunteersReport['volunteers'][number];
export type HouseholdLeft = VolunteersReport['households_left']['items'][number];
export type Coverage = Ok<'/api/v1/reports/coverage', 'get'>;
export type CoverageFigures = Coverage['totals'];
export type Progress = Ok<'/api/v1/reports/progress', 'get'>;
export type DayFigures = Progress['days'][number];
export type ToVisitPage = Ok<'/api/v1/reports/to-visit', 'get'>;
export type CampaignItem = Ok<'/api/v1/campaigns', 'get'>['items'][number];
