/* The right-hand "Contents" highlight follows the reader in both directions.
 *
 * pydata-sphinx-theme moves the highlight when a heading enters the top third of the window,
 * so scrolling back up, or jumping, leaves it on a section below the one being read. This
 * script highlights, after every scroll, the last section heading above 30% of the window
 * height (the first entry before any), the rule the theme uses when scrolling down.
 */
(function () {
  "use strict";
  function setUp() {
    const nav = document.querySelector("#pst-page-toc-nav");
    if (!nav) return;
    const pairs = [];
    nav.querySelectorAll("a[href^='#']").forEach((link) => {
      const id = decodeURIComponent(link.getAttribute("href").slice(1));
      const target = id && document.getElementById(id);
      if (!target) return;
      const heading = target.querySelector("h1, h2, h3, h4, h5, h6") || target;
      pairs.push([heading, link]);
    });
    if (!pairs.length) return;
    function activate(link) {
      nav.querySelectorAll("a").forEach((a) => a.classList.toggle("active", a === link));
      nav.querySelectorAll(".toc-entry").forEach((li) =>
        li.classList.toggle("active", li.contains(link))
      );
    }
    let queued = false;
    function follow() {
      queued = false;
      const line = window.innerHeight * 0.3;
      let current = pairs[0][1];
      for (const [heading, link] of pairs) {
        if (heading.getBoundingClientRect().top < line) current = link;
        else break;
      }
      activate(current);
    }
    window.addEventListener(
      "scroll",
      () => {
        if (!queued) {
          queued = true;
          window.requestAnimationFrame(follow);
        }
      },
      { passive: true }
    );
    follow();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
