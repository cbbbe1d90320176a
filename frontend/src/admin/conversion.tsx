// The hamlets of communes split in the 2025 reorganisation: an admin places each in one of the new
// communes that received its former commune, once. Until then the reports show it as "Chưa phân bổ".
import { useState } from 'preact/hooks';
import { api } from '../services';
import { Busy, useAction, useGet } from './common';
import { a, num } from './messages';
import type { SplitHamlet, SplitHamlets } from './types';

const PAGE = 50;

export function ConversionSection() {
  const [all, setAll] = useState(false);
  const [limit, setLimit] = useState(PAGE);
  const list = useGet<SplitHamlets>(`/conversion/hamlets?limit=${limit}${all ? '&include_assigned=true' : ''}`);
  return (
    <section data-testid="conversion">
      <h2>{a('conversion_title')}</h2>
      <p class="muted">{a('conversion_intro')}</p>
      <label class="check conversion-toggle">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} /> {a('conversion_show_all')}
      </label>
      <Busy data={list.data} error={list.error} retry={list.reload}>
        {() => {
          const page = list.data!;
          return (
            <>
              <p class={page.unassigned ? 'notice warn' : 'notice'} role="status">
                {page.unassigned ? a('conversion_waiting', { n: num(page.unassigned) }) : a('conversion_none')}
              </p>
              <ul class="admin-list" data-testid="split-hamlets">
                {page.items.map((h) => (
                  <SplitHamletItem key={h.id} hamlet={h} onDone={list.reload} />
                ))}
              </ul>
              {page.total > page.items.length && (
                <div class="row">
                  <span class="muted small">{a('conversion_shown', { shown: num(page.items.length), total: num(page.total) })}</span>
                  <button type="button" onClick={() => setLimit(Math.min(limit + PAGE, 500))} disabled={limit >= 500}>
                    {a('conversion_more')}
                  </button>
                </div>
              )}
            </>
          );
        }}
      </Busy>
    </section>
  );
}

function SplitHamletItem({ hamlet, onDone }: { hamlet: SplitHamlet; onDone: () => void }) {
  const [choice, setChoice] = useState(hamlet.commune_id ? String(hamlet.commune_id) : '');
  const [run, line, busy] = useAction();
  const current = hamlet.candidates.find((c) => c.id === hamlet.commune_id);
  async function submit(e: Event) {
    e.preventDefault();
    const target = hamlet.candidates.find((c) => String(c.id) === choice);
    if (!target) return;
    const ok = await run(
      () => api.send('PUT', `/conversion/hamlets/${hamlet.id}`, { commune_id: target.id }),
      a('conversion_done', { name: hamlet.name, to: target.name }),
    );
    if (ok) onDone();
  }
  return (
    <li>
      <form class="admin-item" onSubmit={submit}>
        <div>
          <strong>{hamlet.name}</strong> {current && <span class="tag">{a('conversion_current', { name: current.name })}</span>}
          <div class="muted small">
            {a('conversion_from', {
              commune: hamlet.old_commune.name,
              district: hamlet.old_district,
              province: hamlet.old_province,
              households: num(hamlet.households),
            })}
          </div>
        </div>
        <div class="inline-form">
          <label>
            {a('conversion_to', { name: hamlet.name })}
            <select name="commune" value={choice} onChange={(e) => setChoice(e.currentTarget.value)} required>
              <option value="">{a('choose')}</option>
              {hamlet.candidates.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.province_name})
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="primary" disabled={busy || !choice || choice === String(hamlet.commune_id ?? '')}>
            {a('conversion_assign')}
          </button>
        </div>
      </form>
      {line}
    </li>
  );
}
