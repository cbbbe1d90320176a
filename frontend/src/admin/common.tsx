// Small pieces shared by the administration screens: loading JSON, error text, a copy button.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { locale } from '../i18n';
import { api } from '../services';
import { a } from './messages';

export type Loaded<T> = { data: T | null; error: unknown; reload: () => void };

/** GET `path` (null: nothing yet); `reload()` fetches it again after a change. */
export function useGet<T>(path: string | null): Loaded<T> {
  const [nonce, setNonce] = useState(0);
  const [state, setState] = useState<{ data: T | null; error: unknown; path: string | null }>({ data: null, error: null, path: null });
  useEffect(() => {
    if (!path) return;
    let live = true;
    api.get<T>(path).then(
      (data) => live && setState({ data, error: null, path }),
      (error: unknown) => live && setState({ data: null, error, path }),
    );
    return () => {
      live = false;
    };
  }, [path, nonce]);
  const current = state.path === path;
  return { data: current ? state.data : null, error: current ? state.error : null, reload: () => setNonce((n) => n + 1) };
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return locale() === 'vi' ? error.message : error.messageEn || error.message;
  return error instanceof Error ? error.message : String(error);
}

export function Problem({ error, retry }: { error: unknown; retry?: () => void }) {
  if (!error) return null;
  return (
    <p class="notice bad" role="alert">
      {a('error', { message: errorText(error) })}{' '}
      {retry && (
        <button type="button" onClick={retry}>
          {a('retry')}
        </button>
      )}
    </p>
  );
}

export function Busy({ data, error, retry, children }: { data: unknown; error: unknown; retry?: () => void; children: () => ComponentChildren }) {
  if (error) return <Problem error={error} retry={retry} />;
  if (data === null || data === undefined) return <p aria-busy="true">{a('loading')}</p>;
  return <>{children()}</>;
}

/** Run an API action, showing its error (or a success line) under the form that started it. */
export function useAction(): [(fn: () => Promise<unknown>, done?: string) => Promise<boolean>, ComponentChildren, boolean] {
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<unknown>, doneText?: string) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await fn();
      if (doneText) setDone(doneText);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const line = error ? (
    <Problem error={error} />
  ) : done ? (
    <p class="notice" role="status">
      {done}
    </p>
  ) : null;
  return [run, line, busy];
}

export function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          // No clipboard (an http page): select the text so the official can copy it by hand.
          const area = document.createElement('textarea');
          area.value = text;
          document.body.append(area);
          area.select();
          document.execCommand('copy');
          area.remove();
        }
        setCopied(true);
      }}
    >
      {copied ? a('copied') : a('copy')}
    </button>
  );
}

export const roleLabel = (role: string) => a(`role_${role}` as 'role_volunteer');

/** "+84912345678" → "0912345678": how people read and type their numbers. */
export function localPhone(e164: string): string {
  return e164.startsWith('+84') ? `0${e164.slice(3)}` : e164;
}
