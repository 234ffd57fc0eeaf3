"""Layout checks measured in Chromium: what overflows the screen, what is cut, what is clipped.

`problems(page)` answers with lists that a test asserts to be empty, each entry naming the
element, so a failure says what to fix:
- `page`: the document is wider than the window (the whole page scrolls sideways);
- `beyond`: an element reaches past the window's edge, outside any box meant to scroll;
- `cut`: a block's content is wider than the block itself (text running out of a table cell,
  a signature line out of its border), outside any box meant to scroll;
- `clipped`: a chart's text reaches past the edge of its SVG (where the SVG cuts it off);
- `bad_scrollers`: a box that does scroll sideways but is not marked as meant to: it must be a
  focusable region (`.table-wrap.scrolls` with tabindex=0 and a label), so keyboard users can
  scroll it and the shadows show that more is to be seen.
"""

MEASURE = """
(root) => {
  const scope = document.querySelector(root) || document.body;
  const width = document.documentElement.clientWidth;
  const name = (el) => {
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string"
      ? "." + el.className.trim().replace(/\\s+/g, ".") : ""} "${text}"`;
  };
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (scrolls(p)) return true;
    }
    return false;
  };
  // Visually hidden (a 1px clipped box, as .visually-hidden does) counts as not shown.
  const hiddenBox = (el) => {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return s.visibility === "hidden" || s.display === "none" || r.width <= 1 || r.height <= 1;
  };
  const visible = (el) => {
    for (let p = el; p && p !== document.body; p = p.parentElement) {
      if (hiddenBox(p)) return false;
    }
    return true;
  };
  const out = {
    page: Math.max(0, document.documentElement.scrollWidth - width),
    beyond: [], cut: [], clipped: [], bad_scrollers: [], scrollers: [],
  };
  for (const el of scope.querySelectorAll("*")) {
    if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    if (!visible(el)) continue;
    if (scrolls(el) && el.scrollWidth > el.clientWidth + 1) {
      const meant = el.matches(".table-wrap.scrolls[tabindex='0']") &&
        (el.getAttribute("aria-label") || el.getAttribute("aria-labelledby"));
      (meant ? out.scrollers : out.bad_scrollers).push(name(el));
    }
    if (inScroller(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.right > width + 0.5 || r.left < -0.5) out.beyond.push(name(el));
    const display = getComputedStyle(el).display;
    if (!display.startsWith("inline") && !scrolls(el) && el.clientWidth > 0 &&
        el.scrollWidth > el.clientWidth + 1) out.cut.push(name(el));
  }
  for (const svg of scope.querySelectorAll("svg")) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll("text")) {
      const r = t.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
          r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
        out.clipped.push(`${name(t)} at ${[r.left, r.top, r.right, r.bottom].map(Math.round)}` +
                         ` outside ${[box.left, box.top, box.right, box.bottom].map(Math.round)}`);
      }
    }
  }
  return out;
}
"""

# Each word of an element's text (a hyphen may end a line: its parts count as words), with the
# number of lines it is drawn on: 1 when whole, 2 when a line break cuts it.
WORD_LINES = """
(el) => {
  const out = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /[^\\s\u00ad-]+/g;
    let m;
    while ((m = re.exec(node.data))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      let rects = Array.from(range.getClientRects()).filter((r) => r.width > 0.5);
      // After a soft hyphen Chromium gives the hyphen it draws at the line's end to the next
      // word: that sliver is the break the soft hyphen allows, not a cut in the word.
      if (node.data[m.index - 1] === "\u00ad" && rects.length > 1 && rects[0].width < 8) {
        rects = rects.slice(1);
      }
      const tops = new Set(rects.map((r) => Math.round(r.top)));
      out.push([m[0], tops.size]);
    }
  }
  return out;
}
"""


def words_cut(locator) -> list[str]:
    """The words of the elements `locator` matches that a line break cuts in two."""
    cut = []
    for i in range(locator.count()):
        cut += [word for word, lines in locator.nth(i).evaluate(WORD_LINES) if lines > 1]
    return cut


def problems(page, root: str = "main") -> dict:
    return page.evaluate(MEASURE, root)


def assert_fits(page, root: str = "main") -> dict:
    """Nothing overflows, is cut or clipped; boxes that scroll are the ones meant to. Answers
    the measurement, whose `scrollers` lists the boxes that did scroll."""
    found = problems(page, root)
    assert found["page"] == 0, found
    for kind in ("beyond", "cut", "clipped", "bad_scrollers"):
        assert found[kind] == [], (kind, found)
    return found
