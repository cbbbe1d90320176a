// Open forms register a "save my draft" callback so that an update reload never loses them.
const openForms = new Set<() => Promise<void>>();

export function registerOpenForm(saveDraft: () => Promise<void>): () => void {
  openForms.add(saveDraft);
  return () => openForms.delete(saveDraft);
}

export function hasOpenForm(): boolean {
  return openForms.size > 0;
}

export async function saveOpenDrafts(): Promise<void> {
  await Promise.all([...openForms].map((fn) => fn().catch((e) => console.error('draft not saved', e))));
}
