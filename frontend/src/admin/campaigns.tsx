import { useState } from 'preact/hooks';
import { href } from '../router';
import { api } from '../services';
import { Busy, useAction, useGet } from './common';
import { a, day, parseDay } from './messages';
import type { Campaign, CampaignPage, Unit } from './types';

export function CampaignsSection({ unit, editId }: { unit: Unit | null; editId?: number }) {
  const campaigns = useGet<CampaignPage>(unit ? `/campaigns?unit_id=${unit.id}&limit=100` : '/campaigns?limit=100');
  const [run, line] = useAction();
  const editing = editId ? campaigns.data?.items.find((c) => c.id === editId) : undefined;
  const own = (c: Campaign) => unit !== null && c.unit_id === unit.id;

  async function close(c: Campaign) {
    if (!confirm(a('close_confirm', { name: c.name }))) return;
    if (await run(() => api.send('POST', `/campaigns/${c.id}/close`))) campaigns.reload();
  }

  const form = unit && (!editId || editing) && (
    <CampaignForm
      key={editId ?? 0}
      unit={unit}
      campaign={editing}
      onSaved={() => {
        campaigns.reload();
        if (editId) location.hash = href({ name: 'admin', unitId: unit.id, section: 'campaigns' });
      }}
    />
  );

  return (
    <section>
      {unit && <h2>{a('campaigns_title', { unit: unit.name })}</h2>}
      {editId !== undefined && form}
      {line}
      <Busy data={campaigns.data} error={campaigns.error} retry={campaigns.reload}>
        {() =>
          campaigns.data!.items.length ? (
            <ul class="admin-list" data-testid="campaign-list">
              {campaigns.data!.items.map((c) => (
                <li key={c.id}>
                  <div class="admin-item">
                    <div>
                      <strong>{c.name}</strong> <span class={`tag ${c.state === 'running' ? 'covered' : c.state === 'upcoming' ? 'revisit' : 'moved'}`}>{a(`state_${c.state}` as 'state_running')}</span>
                      <div class="muted small">
                        {day(c.starts_on)} – {day(c.ends_on)} · {c.unit_name} · {a(c.covered_threshold === 2 ? 'threshold_2' : 'threshold_1')}
                      </div>
                    </div>
                    {own(c) && (
                      <div class="row">
                        <a class="button" href={href({ name: 'admin', unitId: unit!.id, section: 'campaigns', itemId: c.id })}>
                          {a('edit')}
                        </a>
                        {c.state === 'running' && (
                          <button type="button" class="danger" onClick={() => void close(c)}>
                            {a('close_campaign')}
                          </button>
                        )}
                      </div>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">{a('no_results')}</p>
          )
        }
      </Busy>
      {editId === undefined && form}
    </section>
  );
}

function CampaignForm({ unit, campaign, onSaved }: { unit: Unit; campaign?: Campaign; onSaved: () => void }) {
  const parts = useGet<Unit[]>(`/units?parent_id=${unit.id}`);
  const [name, setName] = useState(campaign?.name ?? '');
  const [starts, setStarts] = useState(campaign ? day(campaign.starts_on) : '');
  const [ends, setEnds] = useState(campaign ? day(campaign.ends_on) : '');
  const [threshold, setThreshold] = useState(campaign?.covered_threshold ?? 1);
  const [chosen, setChosen] = useState<number[]>(campaign?.unit_ids ?? []);
  const [problem, setProblem] = useState<string | null>(null);
  const [run, line, busy] = useAction();

  async function submit(e: Event) {
    e.preventDefault();
    const startsOn = parseDay(starts);
    const endsOn = parseDay(ends);
    if (!startsOn || !endsOn) return setProblem(a('bad_date', { value: !startsOn ? starts : ends }));
    setProblem(null);
    const body = { name: name.trim(), starts_on: startsOn, ends_on: endsOn, covered_threshold: threshold, unit_ids: chosen };
    const ok = await run(() => (campaign ? api.send('PATCH', `/campaigns/${campaign.id}`, body) : api.send('POST', '/campaigns', { ...body, unit_id: unit.id })), a('saved'));
    if (ok) {
      if (!campaign) {
        setName('');
        setStarts('');
        setEnds('');
        setThreshold(1);
        setChosen([]);
      }
      onSaved();
    }
  }

  return (
    <form class="card" onSubmit={submit} data-testid="campaign-form">
      <h3>{campaign ? a('edit_campaign') : a('add_campaign')}</h3>
      <label>
        {a('campaign_name')}
        <input name="campaign_name" required maxLength={120} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <div class="two">
        <label>
          {a('starts_on')}
          <input name="starts_on" required inputMode="numeric" placeholder="01/10/2024" value={starts} onInput={(e) => setStarts(e.currentTarget.value)} />
        </label>
        <label>
          {a('ends_on')}
          <input name="ends_on" required inputMode="numeric" placeholder="10/10/2024" value={ends} onInput={(e) => setEnds(e.currentTarget.value)} />
        </label>
      </div>
      <fieldset>
        <legend>{a('threshold')}</legend>
        {[1, 2].map((k) => (
          <label class="check" key={k}>
            <input type="radio" name="threshold" checked={threshold === k} onChange={() => setThreshold(k)} />
            {a(k === 2 ? 'threshold_2' : 'threshold_1')}
          </label>
        ))}
      </fieldset>
      {(parts.data ?? []).length > 0 && (
        <fieldset>
          <legend>{a('taking_part')}</legend>
          <div class="checks">
            {parts.data!.map((u) => (
              <label class="check" key={u.id}>
                <input type="checkbox" checked={chosen.includes(u.id)} onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, u.id] : chosen.filter((i) => i !== u.id))} />
                {u.name}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {problem && (
        <p class="notice bad" role="alert">
          {problem}
        </p>
      )}
      {line}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {campaign ? a('save') : a('add_campaign')}
        </button>
        {campaign && (
          <a class="button" href={href({ name: 'admin', unitId: unit.id, section: 'campaigns' })}>
            {a('cancel')}
          </a>
        )}
      </div>
    </form>
  );
}
