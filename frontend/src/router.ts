import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'walk' }
  | { name: 'household'; id: string }
  // fix: the seq of a rejected visit being corrected and resent
  | { name: 'visit'; id: string; fix?: number }
  | { name: 'edit'; id: string; fix?: number }
  | { name: 'new' }
  | { name: 'sync' }
  | { name: 'team' }
  | { name: 'dashboard'; unitId?: number; campaignId?: number }
  // #/admin[/<unit id>[/<section>[/<item id>]]]: the administration screens (officials and admins).
  | { name: 'admin'; unitId?: number; section?: string; itemId?: number };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  // #/h/<id>/visit[/<seq of a rejected visit being corrected>]
  if (parts[0] === 'h' && parts[1] && parts[2] === 'visit') {
    return { name: 'visit', id: parts[1], fix: parts[3] && /^\d+$/.test(parts[3]) ? Number(parts[3]) : undefined };
  }
  // #/h/<id>/edit[/<seq of a rejected mutation being fixed>]
  if (parts[0] === 'h' && parts[1] && parts[2] === 'edit') {
    return { name: 'edit', id: parts[1], fix: parts[3] && /^\d+$/.test(parts[3]) ? Number(parts[3]) : undefined };
  }
  if (parts[0] === 'h' && parts[1]) return { name: 'household', id: parts[1] };
  if (parts[0] === 'new') return { name: 'new' };
  if (parts[0] === 'sync') return { name: 'sync' };
  if (parts[0] === 'team') return { name: 'team' };
  if (parts[0] === 'dashboard') {
    // #/dashboard/<unit id>/<campaign id>: both optional (the official's own unit, the current campaign).
    const [unitId, campaignId] = [parts[1], parts[2]].map((p) => (p && /^\d+$/.test(p) ? Number(p) : undefined));
    return { name: 'dashboard', unitId, campaignId };
  }
  if (parts[0] === 'admin') {
    const num = (p: string | undefined) => (p && /^\d+$/.test(p) ? Number(p) : undefined);
    return { name: 'admin', unitId: num(parts[1]), section: parts[2], itemId: num(parts[3]) };
  }
  return { name: 'walk' };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'household':
      return `#/h/${encodeURIComponent(route.id)}`;
    case 'visit':
      return `#/h/${encodeURIComponent(route.id)}/visit${route.fix ? `/${route.fix}` : ''}`;
    case 'edit':
      return `#/h/${encodeURIComponent(route.id)}/edit${route.fix ? `/${route.fix}` : ''}`;
    case 'walk':
      return '#/';
    case 'dashboard':
      return ['#/dashboard', route.unitId, route.unitId !== undefined ? route.campaignId : undefined]
        .filter((p) => p !== undefined)
        .join('/');
    case 'admin': {
      const tail = route.unitId === undefined ? [] : [route.unitId, route.section, route.section ? route.itemId : undefined];
      return ['#/admin', ...tail].filter((p) => p !== undefined && p !== '').join('/');
    }
    default:
      return `#/${route.name}`;
  }
}

export function go(route: Route, replace = false): void {
  if (replace) location.replace(href(route));
  else location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const fn = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', fn);
    return () => window.removeEventListener('hashchange', fn);
  }, []);
  return route;
}
