"""Measurements of a screen at 360×640 shared by the browser tests: overflow, touch targets, wrapping."""

from playwright.sync_api import Page

MIN_TARGET = 44  # px, WCAG 2.5.5 and DESIGN: every touch target at least 44×44

_TARGETS = """(root) => {
  const selector = ['a[href]', 'button', 'select', 'input:not([type=hidden])', 'summary']
    .map((s) => `${root} ${s}`).join(', ');
  return [...document.querySelectorAll(selector)]
    .filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
    })
    .map((e) => {
      const r = e.getBoundingClientRect();
      const name = (e.innerText || e.getAttribute('aria-label') || e.tagName).trim().replace(/\\s+/g, ' ');
      return { name: name.slice(0, 40), width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10 };
    });
}"""

_LINES = """(selector) => [...document.querySelectorAll(selector)].map((e) => {
  const range = document.createRange();
  range.selectNodeContents(e);
  return [e.innerText.trim(), new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size];
})"""


def horizontal_overflow(page: Page) -> int:
    """How many px the page is wider than the screen (0: nothing to scroll sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def touch_targets(page: Page, root: str = "body") -> list[dict[str, object]]:
    """Every visible link, button, field and summary under `root`, with its size in CSS px."""
    return list(page.evaluate(_TARGETS, root))


def small_targets(page: Page, root: str = "body") -> list[dict[str, object]]:
    return [t for t in touch_targets(page, root) if t["width"] < MIN_TARGET or t["height"] < MIN_TARGET]  # type: ignore[operator]


def lines_of(page: Page, selector: str) -> dict[str, int]:
    """The number of text lines of each element matching `selector`, by its text."""
    return dict(page.evaluate(_LINES, selector))
