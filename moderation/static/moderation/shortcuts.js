// Keyboard shortcuts for the review queue and the case page. Plain JS, no dependencies (the admin runs on
// internal networks without a CDN). Keys are ignored while typing in a field.
(function () {
  "use strict";

  function typing(event) {
    const el = event.target;
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function click(id) {
    const el = document.getElementById(id);
    if (el) { el.click(); return true; }
    return false;
  }

  function queuePage() {
    const rows = Array.from(document.querySelectorAll("#result_list tbody tr"));
    if (!rows.length) { return; }
    let index = 0;
    function select(i) {
      rows[index].classList.remove("kb-selected");
      index = Math.max(0, Math.min(rows.length - 1, i));
      rows[index].classList.add("kb-selected");
      rows[index].scrollIntoView({ block: "nearest" });
    }
    select(0);
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      const link = rows[index].querySelector("a.case-link");
      if (event.key === "j") { select(index + 1); }
      else if (event.key === "k") { select(index - 1); }
      else if ((event.key === "o" || event.key === "Enter") && link) { window.location = link.href; }
      else if (event.key === "n") { click("next-case"); }
      else if (event.key === "c" && link) {
        // Claim the selected case, then open it.
        const form = document.createElement("form");
        form.method = "post";
        form.action = link.href.replace(/change\/?$/, "").replace(/\/$/, "") + "/claim/";
        const token = document.querySelector("input[name=csrfmiddlewaretoken]");
        if (token) { form.appendChild(token.cloneNode()); }
        document.body.appendChild(form);
        form.submit();
      } else { return; }
      event.preventDefault();
    });
  }

  function casePage() {
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      let handled = true;
      switch (event.key) {
        case "j": handled = click("next-case"); break;
        case "k": handled = click("prev-case"); break;
        case "c": handled = click("claim-button"); break;
        case "a": handled = click("approve-button"); break;
        case "r": handled = click("remove-button"); break;
        case "e": {
          const note = document.getElementById("id_note");
          if (note && !note.value.trim()) {
            // Escalation needs a reason for the senior moderator: type it, then press Ctrl+Enter.
            note.focus();
            note.placeholder = "Why does this need a senior moderator? Ctrl+Enter escalates.";
            note.dataset.pending = "escalate";
          } else { handled = click("escalate-button"); }
          break;
        }
        default: handled = false;
      }
      if (handled) { event.preventDefault(); }
    });
    const note = document.getElementById("id_note");
    if (note) {
      note.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && note.dataset.pending === "escalate") {
          event.preventDefault();
          click("escalate-button");
        }
      });
    }
  }

  // SLA badges count down live (the page may stay open for a long time): "due in 1h 05m" → "overdue 3m".
  function tickSla() {
    const now = Date.now();
    document.querySelectorAll(".sla[data-due]").forEach(function (badge) {
      const due = Date.parse(badge.dataset.due);
      if (isNaN(due)) { return; }
      const minutes = Math.floor(Math.abs(due - now) / 60000);
      const text = minutes >= 60 ? Math.floor(minutes / 60) + "h " + String(minutes % 60).padStart(2, "0") + "m" : minutes + "m";
      const overdue = due < now;
      if (!badge.dataset.dueLabel) {
        // Keep the server's translated words; only the figure changes.
        badge.dataset.dueLabel = badge.textContent.replace(/[0-9hm ]+$/, "").trim();
      }
      if (overdue && !badge.classList.contains("sla-overdue")) {
        badge.classList.remove("sla-ok", "sla-soon");
        badge.classList.add("sla-overdue");
        badge.dataset.dueLabel = badge.dataset.overdueLabel || "overdue";
      } else if (!overdue && due - now <= 3600000) {
        badge.classList.replace("sla-ok", "sla-soon");
      }
      badge.textContent = badge.dataset.dueLabel + " " + text;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tickSla();
    window.setInterval(tickSla, 30000);
    if (document.getElementById("case")) { casePage(); }
    else if (document.getElementById("result_list")) { queuePage(); }
  });
})();
