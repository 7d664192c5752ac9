// followup serve: keyboard shortcuts on the call card, the note's character count, and the
// supervisor's board kept up to date. Every page works without this file.
"use strict";

function typing(el) {
  return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT");
}

document.addEventListener("keydown", function (e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
  if (typing(document.activeElement)) return;
  // a letter's key with Shift or Caps Lock ("N") is the same key as without ("n")
  var target = document.querySelector('[data-key="' + CSS.escape(e.key) + '"]') ||
    document.querySelector('[data-key="' + CSS.escape(e.key.toLowerCase()) + '"]');
  if (!target) return;
  e.preventDefault();
  target.click();
});

// a Chinese character, a letter or a digit counts one, as the ledger counts a note
function noteLength(text) {
  var m = text.match(/[\p{L}\p{N}]/gu);
  return m ? m.length : 0;
}

document.addEventListener("DOMContentLoaded", function () {
  var note = document.getElementById("note");
  var count = document.getElementById("note-count");
  if (note && count) {
    var min = parseInt(count.dataset.min, 10) || 0;
    var update = function () {
      var n = noteLength(note.value);
      count.textContent = n + " / " + min;
      count.classList.toggle("short", n < min);
    };
    note.addEventListener("input", update);
    update();
  }
  var board = document.getElementById("board");
  if (board) {
    setInterval(function () { refreshBoard(board); }, 15000);
  }
});

function refreshBoard(board) {
  fetch(board.dataset.source, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (!data) return;
      data.agents.forEach(function (a) {
        var row = board.querySelector('tr[data-agent="' + CSS.escape(a.agent) + '"]');
        if (!row) return;
        ["calls", "reached", "left"].forEach(function (field) {
          var cell = row.querySelector('[data-field="' + field + '"]');
          if (cell) cell.textContent = String(a[field]);
        });
      });
      var at = document.getElementById("board-at");
      if (at) at.textContent = data.at;
    })
    .catch(function () {});
}
