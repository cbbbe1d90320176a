import { useEffect, useState } from 'preact/hooks';

let push: ((text: string) => void) | null = null;

export function toast(text: string): void {
  push?.(text);
}

export function Toaster() {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    push = (value) => setText(value);
    return () => {
      push = null;
    };
  }, []);
  useEffect(() => {
    if (!text) return;
    const id = setTimeout(() => setText(null), 4000);
    return () => clearTimeout(id);
  }, [text]);
  return text ? (
    <div class="toast" role="status" data-testid="toast">
      {text}
    </div>
  ) : null;
}
