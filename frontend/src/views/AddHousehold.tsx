import { useEffect, useState } from 'preact/hooks';
import { db, getMeta } from '../db';
import { useLive } from '../db/live';
import { isStorageFull } from '../db/schema';
import { fixRejectedHousehold, lookalikeHousehold, newId, saveHousehold, saveNewHousehold } from '../db/writes';
import type { Household } from '../db';
import { invalidMessage } from '../components/forms';
import type { MeOut } from '../api/client';
import { t, useLocale } from '../i18n';
import { go, href } from '../router';
import { toast } from '../components/Toast';
import { engine } from '../services';

async function hamlets(): Promise<{ id: number; name: string }[]> {
  const units = (await db.units.toArray()).filter((u) => u.level === 'hamlet');
  if (units.length) return units.map((u) => ({ id: u.id, name: u.name }));
  const me = await getMeta<MeOut>(db, 'me');
  return (me?.area ?? []).map((u) => ({ id: u.id, name: u.name }));
}

/** New household, or (with `editId`) correct one; `fixSeq` is the rejected mutation being fixed. */
export function AddHousehold({ editId, fixSeq }: { editId?: string; fixSeq?: number } = {}) {
  useLocale();
  const options = useLive(hamlets, [], [] as { id: number; name: string }[]);
  const [hamlet, setHamlet] = useState<number | null>(null);
  const [address, setAddress] = useState('');
  const [head, setHead] = useState('');
  const [phone, setPhone] = useState('');
  const [members, setMembers] = useState('1');
  const [error, setError] = useState<string | null>(null);
  const [lookalike, setLookalike] = useState<{ h: Household; key: string } | null>(null);
  // A household that withdrew consent: its name, address and phone are not kept, so not asked for.
  const [withdrawn, setWithdrawn] = useState(false);
  const hamletId = hamlet ?? options[0]?.id ?? null;
  useEffect(() => {
    if (!editId) return;
    void db.households.get(editId).then((h) => {
      if (!h) return;
      setHamlet(h.hamlet_id);
      setAddress(h.address);
      setHead(h.head_name);
      setPhone(h.phone ?? '');
      setMembers(String(h.member_count));
      setWithdrawn(h.consent?.state === 'withdrawn');
    });
  }, [editId]);

  async function submit(e: Event) {
    e.preventDefault();
    const invalid = invalidMessage(e.currentTarget as HTMLFormElement, t);
    if (invalid) {
      setError(invalid);
      return;
    }
    if (!hamletId) return;
    setError(null);
    // Warn once when the hamlet already has a household with this head and address.
    const key = `${hamletId}|${head.trim()}|${address.trim()}`;
    if (!withdrawn && lookalike?.key !== key) {
      const same = await lookalikeHousehold(db, hamletId, head.trim(), address.trim(), editId);
      if (same) {
        setLookalike({ h: same, key });
        return;
      }
    }
    const id = editId ?? newId();
    const count = Math.max(0, Math.min(50, Number(members) || 0));
    const names = Array.from({ length: count }, (_, i) => (i === 0 ? head.trim() : t('member_n', { n: i + 1 })));
    const write = (data: Parameters<typeof saveHousehold>[1]) =>
      fixSeq ? fixRejectedHousehold(db, fixSeq, data) : editId ? saveHousehold(db, data) : saveNewHousehold(db, data, names);
    try {
      await write({
        id,
        hamlet_id: hamletId,
        address: address.trim(),
        head_name: head.trim(),
        phone: phone.trim() || null,
        member_count: count,
        latitude: null,
        longitude: null,
        deleted: false,
      });
    } catch (err) {
      setError(isStorageFull(err) ? t('storage_full') : t('save_failed', { error: String((err as Error)?.message ?? err) }));
      return;
    }
    toast(t('household_saved'));
    void engine.sync(false);
    go({ name: 'household', id }, true);
  }

  return (
    <main class="page">
      <a href="#/" class="back">
        ← {t('nav_walk')}
      </a>
      <h1>{editId ? t('edit_household') : t('new_household')}</h1>
      <form onSubmit={submit} onInput={() => error && setError(null)} noValidate data-testid="household-form">
        <label>
          {t('hamlet')}
          <select name="hamlet" value={hamletId ?? ''} onChange={(e) => setHamlet(Number(e.currentTarget.value))} required>
            {options.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        {withdrawn ? (
          <p class="notice" data-testid="withdrawn-edit">
            {t('edit_withdrawn_note')}
          </p>
        ) : (
          <>
            <label>
              {t('head_name')}
              <input name="head_name" required maxLength={120} value={head} onInput={(e) => setHead(e.currentTarget.value)} />
            </label>
            <label>
              {t('address')}
              <input name="address" required maxLength={300} value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
            </label>
            <label>
              {t('phone_optional')}
              <input name="phone" type="tel" inputMode="tel" maxLength={32} value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
            </label>
          </>
        )}
        <label>
          {t('member_count')}
          <input name="member_count" type="number" inputMode="numeric" min={0} max={50} value={members} onInput={(e) => setMembers(e.currentTarget.value)} />
        </label>
        {lookalike && (
          <p class="notice warn" role="alert" data-testid="lookalike">
            {t('duplicate_household', { name: lookalike.h.head_name, address: lookalike.h.address })}{' '}
            <a class="button" href={href({ name: 'household', id: lookalike.h.id })}>
              {t('open_existing')}
            </a>
          </p>
        )}
        {error && (
          <p class="notice bad" role="alert" data-testid="form-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary big" disabled={!hamletId}>
          {t('save')}
        </button>
      </form>
    </main>
  );
}
