import { useState } from 'preact/hooks';
import { ApiError, NetworkError, type Session } from '../api/client';
import { t, useLocale } from '../i18n';
import { api, sessionStore } from '../services';

/** First login with a temporary password: nothing else works until the person chooses their own. */
export function ChangePassword({ session, onDone }: { session: Session; onDone: (s: Session) => void }) {
  const loc = useLocale();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (next.length < 8) return setError(t('password_too_short'));
    if (next !== again) return setError(t('passwords_differ'));
    setBusy(true);
    setError(null);
    try {
      await api.send('POST', '/me/password', { current_password: current, new_password: next });
      const updated = { ...session, user: { ...session.user, must_change_password: false } };
      await sessionStore.set(updated);
      onDone(updated);
    } catch (err) {
      if (err instanceof NetworkError) setError(t('login_offline'));
      else if (err instanceof ApiError) setError(loc === 'vi' ? err.message : err.messageEn || err.message);
      else setError(String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="page login">
      <h1>{t('change_password_title')}</h1>
      <p>{t('change_password_intro')}</p>
      <p class="muted small">
        {session.user.full_name} — {session.user.phone}
      </p>
      <form onSubmit={submit}>
        <label>
          {t('current_password')}
          <input name="current" type="password" autoComplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label>
          {t('new_password')}
          <input name="new" type="password" autoComplete="new-password" required minLength={8} value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        </label>
        <label>
          {t('new_password_again')}
          <input name="again" type="password" autoComplete="new-password" required minLength={8} value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="notice bad" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary big" disabled={busy}>
          {t('change_password_title')}
        </button>
      </form>
    </main>
  );
}
