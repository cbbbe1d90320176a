import { useState } from 'preact/hooks';
import { ApiError, NetworkError, type Session } from '../api/client';
import { db, getMeta, setMeta } from '../db';
import { setLocale, t, useLocale } from '../i18n';
import { api } from '../services';
import { invalidMessage } from '../components/forms';

export function Login({ onLogin, expired }: { onLogin: (s: Session) => void; expired: boolean }) {
  const loc = useLocale();
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const invalid = invalidMessage(e.currentTarget as HTMLFormElement, t);
    if (invalid) {
      setError(invalid);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await api.login(phone, password);
      // Unsynced mutations belong to the account that made them (its client_id): keep them for it.
      const owner = await getMeta<string>(db, 'outbox_owner');
      if (owner && owner !== session.user.phone && (await db.outbox.count()) > 0) {
        await db.meta.delete('session');
        setError(t('login_other_user', { phone: owner }));
        return;
      }
      await setMeta(db, 'outbox_owner', session.user.phone);
      try {
        await setMeta(db, 'me', await api.me());
      } catch {
        /* the area also arrives with the first pull */
      }
      onLogin(session);
    } catch (err) {
      // Three different troubles, three different things to do: no network, server down, wrong password.
      if (err instanceof NetworkError) setError(navigator.onLine === false ? t('login_offline') : t('login_server_down'));
      else if (err instanceof ApiError && err.status === 401) setError(t('login_failed'));
      else if (err instanceof ApiError && (err.status >= 500 || err.code.startsWith('http_'))) setError(t('login_server_down'));
      else if (err instanceof ApiError) setError(loc === 'vi' ? err.message : err.messageEn || err.message);
      else setError(t('login_server_down'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="page login">
      <h1>{t('app_name')}</h1>
      <p>{t('login_intro')}</p>
      {expired && <p class="notice warn">{t('session_expired')}</p>}
      <form onSubmit={submit} onInput={() => error && setError(null)} noValidate>
        <label>
          {t('phone')}
          <input name="phone" type="tel" inputMode="tel" autoComplete="username" required value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="notice bad" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary big" disabled={busy}>
          {t('login_button')}
        </button>
      </form>
      <p>
        <button type="button" class="link" onClick={() => setLocale(loc === 'vi' ? 'en' : 'vi')}>
          {loc === 'vi' ? 'English' : 'Tiếng Việt'}
        </button>
      </p>
    </main>
  );
}
