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

// Where "Lưu" on a visit returns: the walk list when the visit was opened from it, else the household.
let visitReturn: 'walk' | null = null;

export function setVisitReturn(to: 'walk' | null): void {
  visitReturn = to;
}

export function takeVisitReturn(): 'walk' | null {
  const to = visitReturn;
  visitReturn = null;
  return to;
}

/**
 * Check a form with `noValidate` ourselves, so the volunteer reads Vietnamese and never the browser's
 * own English ("Please fill out this field"). Returns the message for the first bad field, focused.
 */
export function invalidMessage(form: HTMLFormElement, t: (key: 'field_required' | 'field_invalid', p: { field: string }) => string): string | null {
  for (const el of Array.from(form.elements)) {
    const field = el as HTMLInputElement;
    if (!field.willValidate || field.validity.valid) continue;
    const name = (field.labels?.[0]?.firstChild?.textContent ?? field.name).trim();
    field.focus();
    return field.validity.valueMissing ? t('field_required', { field: name }) : t('field_invalid', { field: name });
  }
  return null;
}
