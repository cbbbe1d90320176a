// The API shapes the administration screens use, named from the generated schema.
import type { components } from '../api/schema';

type S = components['schemas'];
export type Unit = S['UnitOut'];
export type UnitDetail = S['UnitDetail'];
export type HamletRow = S['HamletRow'];
export type Person = S['app__users__schemas__UserOut'];
export type PersonCreated = S['UserCreatedOut'];
export type PersonPage = S['UserPageOut'];
export type Team = S['TeamOut'];
export type TeamDetail = S['TeamDetailOut'];
export type TeamPage = S['TeamPageOut'];
export type Campaign = S['CampaignOut'];
export type CampaignPage = S['CampaignPageOut'];
export type Catalogue = S['CatalogueOut'];
export type Me = S['MeOut'];
export type SplitHamlet = S['SplitHamlet'];
export type SplitHamlets = S['SplitHamletsOut'];
export type HouseholdRow = S['HouseholdOut'];
export type HouseholdPage = S['HouseholdPageOut'];
export type HouseholdDetail = S['HouseholdDetailOut'];
export type AuditPage = S['AuditPageOut'];
export type AuditRow = S['AuditEntryOut'];
export type Erasure = S['ErasureOut'];

/** The preview, with the fields the importer may add (all optional: older servers leave them out). */
type Loose<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
export type ImportRow = Loose<S['ImportRowOut'], 'key' | 'sheet' | 'new_hamlet' | 'birth_year' | 'note'>;
export type ImportPreview = Loose<Omit<S['ImportPreviewOut'], 'rows'>, 'unmapped_columns' | 'skipped_rows' | 'new_hamlets' | 'skipped_sheets' | 'sheets'> & { rows: ImportRow[] };
export type ImportCommit = S['ImportCommitOut'];
export type OutboxPreview = S['OutboxPreviewOut'];
export type OutboxApplied = S['OutboxApplyOut'];
