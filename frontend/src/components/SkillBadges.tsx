import type { CatalogItem, SkillLevel } from '../db';
import { label, t } from '../i18n';

export function SkillBadges({ skills, levels }: { skills: CatalogItem[]; levels: Record<string, SkillLevel> }) {
  return (
    <ul class="skill-badges">
      {skills.map((s) => {
        const level = levels[s.id];
        return (
          <li key={s.id} class={level ?? 'none'}>
            <span class="skill-name">{label(s)}</span>
            <span class="level">{level === 'proficient' ? `★ ${t('level_proficient')}` : level === 'taught' ? `✓ ${t('level_taught')}` : t('level_none')}</span>
          </li>
        );
      })}
    </ul>
  );
}
