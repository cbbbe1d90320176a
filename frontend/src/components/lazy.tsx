import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';

/**
 * A screen in its own chunk, so the volunteer's first load stays small. The service worker precaches
 * every chunk, so it opens offline too.
 */
export function lazyView<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return function LazyView(props: P) {
    const [View, setView] = useState<ComponentType<P> | null>(() => loaded);
    useEffect(() => {
      if (View) return;
      void load().then((v) => {
        loaded = v;
        setView(() => v);
      });
    }, []);
    return View ? <View {...props} /> : <main class="page">{t('loading')}</main>;
  };
}
