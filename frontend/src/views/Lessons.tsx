import { useEffect, useRef, useState } from 'preact/hooks';
import type { CatalogItem } from '../db';
import { label, t, useLocale } from '../i18n';

export interface LessonsProps {
  skill: CatalogItem;
  onClose: () => void;
}

/**
 * A skill's lesson cards, shown to the household at the door: one card at a time, large type.
 * The cards come with the skill catalogue (IndexedDB), so they open with no signal.
 */
export function Lessons({ skill, onClose }: LessonsProps) {
  useLocale();
  const [index, setIndex] = useState(0);
  const closeRef = useRef<HTMLButtonElement>(null);
  const lessons = skill.lessons ?? [];
  const card = lessons[index];
  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div class="lessons" role="dialog" aria-modal="true" aria-labelledby="lessons-title" data-testid="lessons">
      <div class="lessons-head">
        <h2 id="lessons-title">{label(skill)}</h2>
        <button type="button" ref={closeRef} onClick={onClose} data-testid="lessons-close">
          {t('close')}
        </button>
      </div>
      {card ? (
        <article class="lesson-card" data-testid="lesson-card">
          <p class="muted small">
            {t('lessons')} {index + 1}/{lessons.length}
          </p>
          <h3>{card.title}</h3>
          <ol>
            {card.steps.map((step, i) => (
              <li key={i}>{step}</li>
            ))}
          </ol>
          {card.note && (
            <p class="notice warn lesson-note">
              <strong>{t('lesson_note')}:</strong> {card.note}
            </p>
          )}
        </article>
      ) : (
        <p class="notice">{t('lessons_none')}</p>
      )}
      {lessons.length > 1 && (
        <div class="row lessons-nav">
          <button type="button" disabled={index === 0} onClick={() => setIndex(index - 1)}>
            ← {t('previous')}
          </button>
          <button type="button" class="primary" disabled={index === lessons.length - 1} onClick={() => setIndex(index + 1)} data-testid="lesson-next">
            {t('next')} →
          </button>
        </div>
      )}
    </div>
  );
}
