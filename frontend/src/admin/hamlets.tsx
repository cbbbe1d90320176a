import { useState } from 'preact/hooks';
import { api } from '../services';
import { Busy, useAction, useGet } from './common';
import { a, num } from './messages';
import type { HamletRow, Unit } from './types';

type Mode = { kind: 'rename' | 'merge'; hamlet: HamletRow } | null;

export function HamletsSection({ commune }: { commune: Unit }) {
  const hamlets = useGet<HamletRow[]>(`/units/${commune.id}/hamlets`);
  const [name, setName] = useState('');
  const [mode, setMode] = useState<Mode>(null);
  const [run, line, busy] = useAction();

  async function add(e: Event) {
    e.preventDefault();
    const wanted = name.trim();
    if (!wanted) return;
    const ok = await run(() => api.send('POST', `/units/${commune.id}/hamlets`, { name: wanted }), a('hamlet_added', { name: wanted }));
    if (ok) {
      setName('');
      hamlets.reload();
    }
  }

  async function act(path: string, confirmText: string | null, done?: string) {
    if (confirmText && !confirm(confirmText)) return;
    if (await run(() => api.send('POST', path), done)) hamlets.reload();
  }

  return (
    <section>
      <h2>{a('hamlets_title', { unit: commune.name })}</h2>
      <form class="inline-form" onSubmit={add}>
        <label>
          {a('hamlet_name')}
          <input name="hamlet" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Ấp Thạnh Hòa" maxLength={200} />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {a('add_hamlet')}
        </button>
      </form>
      {line}
      <Busy data={hamlets.data} error={hamlets.error} retry={hamlets.reload}>
        {() => (
          <ul class="admin-list" data-testid="hamlet-list">
            {hamlets.data!.map((h) => (
              <li key={h.id} class={h.active ? '' : 'inactive'}>
                <div class="admin-item">
                  <div>
                    <strong>{h.name}</strong> {!h.active && <span class="tag moved">{a('hamlet_inactive')}</span>}
                    <div class="muted small">
                      {a('hamlet_counts', { households: num(h.household_count), volunteers: num(h.volunteer_count), teams: num(h.team_count) })}
                    </div>
                  </div>
                  <div class="row">
                    {h.active ? (
                      <>
                        <button type="button" onClick={() => setMode({ kind: 'rename', hamlet: h })}>
                          {a('rename')}
                        </button>
                        <button type="button" onClick={() => setMode({ kind: 'merge', hamlet: h })}>
                          {a('merge')}
                        </button>
                        <button type="button" class="danger" onClick={() => void act(`/units/${h.id}/deactivate`, a('deactivate_hamlet_confirm', { name: h.name }))}>
                          {a('deactivate_hamlet')}
                        </button>
                      </>
                    ) : (
                      <button type="button" onClick={() => void act(`/units/${h.id}/reactivate`, null)}>
                        {a('reactivate')}
                      </button>
                    )}
                  </div>
                </div>
                {mode?.hamlet.id === h.id && (
                  <HamletForm
                    mode={mode}
                    others={hamlets.data!.filter((o) => o.active && o.id !== h.id)}
                    onDone={() => {
                      setMode(null);
                      hamlets.reload();
                    }}
                    onCancel={() => setMode(null)}
                  />
                )}
              </li>
            ))}
          </ul>
        )}
      </Busy>
    </section>
  );
}

function HamletForm({ mode, others, onDone, onCancel }: { mode: NonNullable<Mode>; others: HamletRow[]; onDone: () => void; onCancel: () => void }) {
  const [value, setValue] = useState(mode.kind === 'rename' ? mode.hamlet.name : '');
  const [run, line, busy] = useAction();
  async function submit(e: Event) {
    e.preventDefault();
    if (mode.kind === 'rename') {
      if (await run(() => api.send('PATCH', `/units/${mode.hamlet.id}`, { name: value }))) onDone();
      return;
    }
    const target = others.find((o) => String(o.id) === value);
    if (!target || !confirm(a('merge_confirm', { from: mode.hamlet.name, to: target.name }))) return;
    if (await run(() => api.send('POST', `/units/${mode.hamlet.id}/merge`, { into_id: target.id }))) onDone();
  }
  return (
    <form class="card" onSubmit={submit}>
      {mode.kind === 'rename' ? (
        <label>
          {a('hamlet_name')}
          <input name="rename" value={value} onInput={(e) => setValue(e.currentTarget.value)} required maxLength={200} />
        </label>
      ) : (
        <label>
          {a('merge_into', { name: mode.hamlet.name })}
          <select name="into" value={value} onChange={(e) => setValue(e.currentTarget.value)} required>
            <option value="">{a('choose')}</option>
            {others.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {line}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {mode.kind === 'rename' ? a('save') : a('merge')}
        </button>
        <button type="button" onClick={onCancel}>
          {a('cancel')}
        </button>
      </div>
    </form>
  );
}
