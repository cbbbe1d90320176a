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

/** The preview, with the fields the importer may add (all optional: older servers leave them out). */
export type ImportRow = S['ImportRowOut'] & { sheet?: string | null };
export type ImportPreview = Omit<S['ImportPreviewOut'], 'rows'> & {
  rows: ImportRow[];
  unmapped_columns?: { sheet?: string | null; column: string | number; header: string }[];
  skipped_rows?: { sheet?: string | null; row: number; reason: string; text?: string | null }[];
  new_hamlets?: string[];
};
export type ImportCommit = S['ImportCommitOut'];
