import { useState } from 'preact/hooks';
import { ApiError, NetworkError, sessionFromTokens, type Session, type TokenOut } from '../api/client';
import { locale, t, useLocale } from '../i18n';
import { api, sessionStore } from '../services';
import { invalidMessage } from '../components/forms';

// Its own strings: the screen is a chunk of its own, loaded only when a temporary password must go.
const TEXT = {
  title: ['Đổi mật khẩu', 'Change your password'],
  intro: ['Bạn đang dùng mật khẩu tạm do cán bộ cấp. Hãy đặt mật khẩu mới của riêng bạn trước khi tiếp tục.', 'You are using a temporary password from an official. Choose your own new password before going on.'],
  current_password: ['Mật khẩu hiện tại (mật khẩu tạm)', 'Current (temporary) password'],
  new_password: ['Mật khẩu mới (ít nhất 8 ký tự)', 'New password (at least 8 characters)'],
  new_password_again: ['Nhập lại mật khẩu mới', 'New password again'],
  passwords_differ: ['Hai lần nhập mật khẩu mới không giống nhau.', 'The two new passwords differ.'],
  password_too_short: ['Mật khẩu mới cần ít nhất 8 ký tự.', 'The new password needs at least 8 characters.'],
  password_changed: ['Đã đổi mật khẩu.', 'Password changed.'],
} as const;
const p = (key: keyof typeof TEXT) => TEXT[key][locale() === 'vi' ? 0 : 1];

/** First login with a temporary password: nothing else works until the person chooses their own. */
export default function ChangePassword({ session, onDone }: { session: Session; onDone: (s: Session) => void }) {
  const loc = useLocale();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    // Our own Vietnamese for an empty field, never the browser's English.
    const invalid = invalidMessage(e.currentTarget as HTMLFormElement, t);
    if (invalid) return setError(invalid);
    if (next.length < 8) return setError(p('password_too_short'));
    if (next !== again) return setError(p('passwords_differ'));
    setBusy(true);
    setError(null);
    try {
      // Every earlier token of the account stops working: go on with the ones the answer brings.
      const tokens = await api.send<TokenOut>('POST', '/me/password', { current_password: current, new_password: next });
      const updated = sessionFromTokens(tokens);
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
      <h1>{p('title')}</h1>
      <p>{p('intro')}</p>
      <p class="muted small">
        {session.user.full_name} — {session.user.phone.replace(/^\+84/, '0')}
      </p>
      <form onSubmit={submit} noValidate>
        <label>
          {p('current_password')}
          <input name="current" type="password" autoComplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label>
          {p('new_password')}
          <input name="new" type="password" autoComplete="new-password" required minLength={8} value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        </label>
        <label>
          {p('new_password_again')}
          <input name="again" type="password" autoComplete="new-password" required minLength={8} value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="notice bad" role="alert" data-testid="password-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary big" disabled={busy}>
          {p('title')}
        </button>
      </form>
    </main>
  );
}
