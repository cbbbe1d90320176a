import { useState } from 'preact/hooks';
import { api } from '../services';
import { Busy, useAction, useGet } from './common';
import { a } from './messages';
import type { Catalogue, Me, Unit } from './types';

type Skill = Catalogue['skills'][number];

export function SkillsSection({ province, me }: { province: Unit; me: Me }) {
  const catalogue = useGet<Catalogue>(`/skills?province_id=${province.id}&include_inactive=true`);
  const canEdit = me.user.role === 'admin' || me.user.role === 'province_official';
  const [vi, setVi] = useState('');
  const [en, setEn] = useState('');
  const [run, line, busy] = useAction();

  const change = async (fn: () => Promise<unknown>) => {
    if (await run(fn, a('saved'))) catalogue.reload();
  };

  return (
    <section>
      <h2>{a('skills_title', { unit: province.name })}</h2>
      <p class="muted small">{a('skills_help')}</p>
      {!canEdit && <p class="notice">{a('skills_read_only')}</p>}
      {line}
      <Busy data={catalogue.data} error={catalogue.error} retry={catalogue.reload}>
        {() => (
          <>
            <ol class="admin-list" data-testid="skill-list">
              {catalogue.data!.skills.map((s) => (
                <li key={s.id}>{canEdit && s.editable ? <SkillForm skill={s} onSave={(body) => void change(() => api.send('PUT', `/skills/${s.id}/label`, { ...body, province_id: province.id }))} /> : <div class="admin-item">{s.label_vi}</div>}</li>
              ))}
            </ol>
            <h3>{a('milestones')}</h3>
            <ul class="admin-list" data-testid="milestone-list">
              {catalogue.data!.milestones.map((m) => (
                <li key={m.id} class={m.is_active ? '' : 'inactive'}>
                  <div class="admin-item">
                    <div>
                      {m.label_vi} <span class="muted small">({m.province_id ? a('provincial') : a('national')})</span>
                      {!m.is_active && <span class="tag moved">{a('retired')}</span>}
                    </div>
                    {canEdit && (m.province_id !== null || me.user.role === 'admin') && (
                      <button type="button" onClick={() => void change(() => api.send('PATCH', `/milestones/${m.id}`, { is_active: !m.is_active }))}>
                        {m.is_active ? a('retire') : a('restore')}
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
            {canEdit && (
              <form
                class="card"
                onSubmit={(e) => {
                  e.preventDefault();
                  void change(async () => {
                    await api.send('POST', '/milestones', { province_id: province.id, label_vi: vi.trim(), label_en: en.trim() || vi.trim() });
                    setVi('');
                    setEn('');
                  });
                }}
              >
                <h3>{a('add_milestone')}</h3>
                <label>
                  {a('skill_label_vi')}
                  <input name="milestone_vi" required maxLength={120} value={vi} onInput={(e) => setVi(e.currentTarget.value)} />
                </label>
                <label>
                  {a('skill_label_en')}
                  <input name="milestone_en" maxLength={120} value={en} onInput={(e) => setEn(e.currentTarget.value)} />
                </label>
                <button type="submit" class="primary" disabled={busy}>
                  {a('add_milestone')}
                </button>
              </form>
            )}
          </>
        )}
      </Busy>
    </section>
  );
}

function SkillForm({ skill, onSave }: { skill: Skill; onSave: (body: { label_vi: string; label_en: string }) => void }) {
  const [vi, setVi] = useState(skill.label_vi);
  const [en, setEn] = useState(skill.label_en);
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        onSave({ label_vi: vi.trim(), label_en: en.trim() });
      }}
    >
      <label>
        {a('skill_label_vi')}
        <input name="skill_vi" required maxLength={120} value={vi} onInput={(e) => setVi(e.currentTarget.value)} />
      </label>
      <label>
        {a('skill_label_en')}
        <input name="skill_en" required maxLength={120} value={en} onInput={(e) => setEn(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary">
        {a('rename')}
      </button>
    </form>
  );
}
