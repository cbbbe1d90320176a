import { render } from 'preact';
import { registerSW } from 'virtual:pwa-register';
import { App } from './app';
import { offerUpdate, reloadState } from './components/update';
import { locale } from './i18n';
import './styles.css';

declare const __BUILD_ID__: string;
document.documentElement.lang = locale();
document.documentElement.dataset.build = __BUILD_ID__;

render(<App />, document.getElementById('app')!);

if ('serviceWorker' in navigator) {
  // registerType 'prompt': a new build waits until the volunteer says "Tải lại".
  const updateSW = registerSW({
    immediate: true,
    onNeedRefresh() {
      offerUpdate(async () => {
        // The outbox lives in IndexedDB and survives the reload: no "unsynced data" warning here.
        reloadState.intentional = true;
        // workbox-window reloads only when this page was controlled at start; a page that installed
        // the first service worker itself must reload when the new one takes over too.
        navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
        await updateSW(true);
      });
    },
    onRegisteredSW(_url, registration) {
      if (!registration) return;
      const check = () => {
        if (navigator.onLine) void registration.update().catch(() => undefined);
      };
      setInterval(check, 30 * 60_000);
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') check();
      });
    },
  });
}
