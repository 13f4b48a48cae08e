// Search results: show the text around the match in the page's article, not the page header
// (download buttons, ".pdf") or its "Contents" list. Sphinx's searchtools.js takes a snippet
// from the whole [role="main"] element, which in this theme also holds those; this drops them
// before it looks. Runs before the search does (searchtools.js starts on DOMContentLoaded too).
document.addEventListener("DOMContentLoaded", () => {
  // searchtools.js declares `const Search`, which is not a property of window
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  const original = Search.htmlToText;
  const chrome = [
    ".header-article", ".bd-header-article", ".bd-sidebar-secondary", ".prev-next-area",
    ".bd-footer-article", ".bd-footer-content", ".cell_input", ".toggle-details", "nav",
  ];
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    for (const query of chrome) doc.querySelectorAll(query).forEach((el) => el.remove());
    return original(doc.documentElement.outerHTML, anchor);
  };
});
