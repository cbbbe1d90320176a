import { useState } from 'preact/hooks';
import { t, useLocale } from '../i18n';
import { saveOpenDrafts } from './forms';

/** "Có phiên bản mới — Tải lại": never forced; an open form's draft is saved before reloading. */
export function UpdatePrompt({ apply }: { apply: () => Promise<void> }) {
  useLocale();
  const [hidden, setHidden] = useState(false);
  if (hidden) return null;
  return (
    <div class="update-prompt" role="alertdialog" aria-label={t('update_available')} data-testid="update-prompt">
      <span>{t('update_available')} — </span>
      <button
        type="button"
        class="primary"
        onClick={async () => {
          await saveOpenDrafts();
          await apply();
        }}
      >
        {t('update_reload')}
      </button>
      <button type="button" class="link" onClick={() => setHidden(true)}>
        {t('later')}
      </button>
    </div>
  );
}
