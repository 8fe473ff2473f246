"""Charts drawn on the server as SVG (no chart library, nothing from a CDN): a bureau head pastes them into a report.

Only presentation attributes, no `style` attribute: the page's Content-Security-Policy allows no inline style.
"""

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

BAR_HEIGHT = 22
GAP = 10
LABEL_WIDTH = 330
BAR_WIDTH = 300
VALUE_WIDTH = 70
TOP = 40
FONT = "Arial, Helvetica, sans-serif"


def share_chart(title: str, bars: Sequence[tuple[str, float | None]]) -> str:
    """A horizontal bar chart of shares (0–1; None: nothing to show, drawn as `–`), one bar per label."""
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = TOP + len(bars) * (BAR_HEIGHT + GAP) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label={quoteattr(title)} font-family={quoteattr(FONT)} font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="0" y="20" font-size="15" font-weight="bold" fill="#1a1a1a">{escape(title)}</text>',
    ]
    for index, (label, share) in enumerate(bars):
        y = TOP + index * (BAR_HEIGHT + GAP)
        text = label if len(label) <= 48 else label[:47] + "…"
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" fill="#1a1a1a">{escape(text)}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" fill="#eceff1"/>')
        if share is not None:
            filled = round(BAR_WIDTH * max(0.0, min(1.0, share)), 1)
            colour = "#2e7d32" if share >= 0.8 else "#f9a825" if share >= 0.5 else "#c62828"
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{filled}" height="{BAR_HEIGHT}" fill="{colour}"/>')
        value = "–" if share is None else percent(share)
        parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 16}" fill="#1a1a1a">{escape(value)}</text>')
    axis_y = TOP + len(bars) * (BAR_HEIGHT + GAP) + 14
    for tick in (0, 50, 100):
        x = LABEL_WIDTH + BAR_WIDTH * tick / 100
        parts.append(f'<text x="{x}" y="{axis_y}" text-anchor="middle" fill="#555555" font-size="11">{tick}%</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def percent(share: float) -> str:
    """A share (0–1) as people read it: `53,85%`."""
    return f"{share * 100:.2f}".replace(".", ",") + "%"
