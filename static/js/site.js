// The reader's site: small enhancements on pages that work without JavaScript.
// Loaded from static/ (no inline scripts: the content security policy forbids them).
(function () {
  "use strict";

  // 目录: collapsible tree. Without JavaScript every node stays open.
  function setupToc() {
    var toc = document.getElementById("toc");
    if (!toc) return;
    var buttons = toc.querySelectorAll("button.toggle");
    function set(button, open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      var body = document.getElementById(button.getAttribute("aria-controls"));
      if (body) body.hidden = !open;
    }
    buttons.forEach(function (button) {
      button.hidden = false;
      set(button, false);
      button.addEventListener("click", function () {
        set(button, button.getAttribute("aria-expanded") !== "true");
      });
    });
    var tools = document.querySelector(".toc-tools");
    if (tools) {
      tools.hidden = false;
      tools.addEventListener("click", function (event) {
        var what = event.target.getAttribute("data-toc");
        if (what) buttons.forEach(function (b) { set(b, what === "expand"); });
      });
    }
  }

  // Citation: copy the GB/T 7714 text to the clipboard.
  function setupCopy() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = button.parentNode.querySelector(".copy-status");
      function say(text) { if (status) status.textContent = text; }
      button.addEventListener("click", function () {
        var text = source.textContent.trim();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(function () { say("已复制"); }, function () { fallback(); });
        } else {
          fallback();
        }
      });
      function fallback() {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        say(ok ? "已复制" : "请按 Ctrl+C 复制已选中的引文");
      }
    });
  }

  // Entry reached from a search: count the marked terms and step through them.
  function setupHits() {
    var notice = document.querySelector(".search-notice");
    if (!notice) return;
    var marks = document.querySelectorAll(".entry mark");
    var count = notice.querySelector("[data-hit-count]");
    if (count) count.textContent = marks.length ? "（共 " + marks.length + " 处）" : "（正文中未出现）";
    var button = notice.querySelector(".next-hit");
    if (!button || !marks.length) return;
    button.hidden = false;
    var at = -1;
    button.addEventListener("click", function () {
      if (at >= 0) marks[at].classList.remove("current");
      at = (at + 1) % marks.length;
      marks[at].classList.add("current");
      marks[at].scrollIntoView({ block: "center" });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupToc();
    setupCopy();
    setupHits();
  });
})();
