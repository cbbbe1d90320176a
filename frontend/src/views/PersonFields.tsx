import type { Person } from '../db';
import { t } from '../i18n';

// A person's name and fields, shared by the household page and the visit form (which is in the entry
// chunk; the household page is not).

export function personLabel(p: Person): string {
  const bits = [p.full_name || t('unnamed_person')];
  if (p.birth_year) bits.push(String(p.birth_year));
  if (p.sex) bits.push(t(`sex_${p.sex}` as 'sex_female'));
  return bits.join(' · ');
}

export function PersonFields(props: {
  name: string;
  setName: (v: string) => void;
  year: string;
  setYear: (v: string) => void;
  sex: string;
  setSex: (v: 'female' | 'male' | 'other' | '') => void;
  namesAllowed: boolean;
}) {
  const thisYear = new Date().getFullYear();
  return (
    <div class="person-fields">
      <label>
        {t('full_name_optional')}
        <input type="text" value={props.namesAllowed ? props.name : ''} disabled={!props.namesAllowed} maxLength={120} onInput={(e) => props.setName(e.currentTarget.value)} />
      </label>
      {!props.namesAllowed && <p class="muted small">{t('consent_needed_for_names')}</p>}
      <label>
        {t('birth_year')}
        <input type="number" inputMode="numeric" min={1900} max={thisYear} value={props.year} onInput={(e) => props.setYear(e.currentTarget.value)} />
      </label>
      <label>
        {t('sex')}
        <select value={props.sex} onChange={(e) => props.setSex(e.currentTarget.value as 'female')}>
          <option value="">{t('sex_unknown')}</option>
          <option value="female">{t('sex_female')}</option>
          <option value="male">{t('sex_male')}</option>
          <option value="other">{t('sex_other')}</option>
        </select>
      </label>
    </div>
  );
}
