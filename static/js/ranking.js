/* Ranked ballots, enhanced. Without this script the ballot is a list of selects
   ("1st choice", "2nd choice"...) that works on its own. With it, the same selects are hidden
   and filled from an ordered list the voter arranges by drag and drop or by keyboard (buttons
   to add, move up, move down and remove; every change is announced through an aria-live
   region). The form still submits the selects, so the server sees one format only. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function enhance(fieldset) {
    if (fieldset.dataset.enhanced) return;
    var selects = Array.prototype.slice.call(fieldset.querySelectorAll("select"));
    if (!selects.length) return;
    fieldset.dataset.enhanced = "true";

    var labels = {};
    var order = [];
    Array.prototype.forEach.call(selects[0].options, function (option) {
      if (option.value) {
        labels[option.value] = option.textContent;
        order.push(option.value);
      }
    });
    var ranked = [];
    selects.forEach(function (select) {
      if (select.value && ranked.indexOf(select.value) === -1) ranked.push(select.value);
    });

    // The selects and the help that speaks of them give way to the widget and its own help.
    var selectList = fieldset.querySelector(".rank-selects");
    if (selectList) selectList.hidden = true;
    Array.prototype.forEach.call(fieldset.querySelectorAll(".no-js-help"), function (help) {
      help.hidden = true;
    });

    var widget = el("div", "rank-widget");
    widget.appendChild(el("p", "help",
      "Add options to your ranking in the order you prefer them, 1st choice at the top. " +
      "Reorder them with the buttons or by dragging."));
    // "Ranked", not "Your ranking": the fieldset's legend already says that.
    var rankedTitle = el("h3", "", "Ranked");
    rankedTitle.id = fieldset.id ? fieldset.id + "-ranked" : "ranking-ranked";
    var rankedList = el("ol", "rank-list ranked");
    rankedList.setAttribute("aria-labelledby", rankedTitle.id);
    var empty = el("p", "rank-empty", "Nothing ranked yet: an empty ranking is an abstention.");
    var unrankedTitle = el("h3", "", "Not ranked");
    unrankedTitle.id = rankedTitle.id.replace("-ranked", "-unranked");
    var unrankedList = el("ul", "rank-list unranked");
    unrankedList.setAttribute("aria-labelledby", unrankedTitle.id);
    var live = el("div", "visually-hidden");
    live.setAttribute("aria-live", "assertive");
    live.setAttribute("role", "status");
    [rankedTitle, rankedList, empty, unrankedTitle, unrankedList, live].forEach(function (n) {
      widget.appendChild(n);
    });
    fieldset.appendChild(widget);

    function announce(text) {
      live.textContent = "";
      // A fresh text node after a tick makes screen readers repeat identical messages too.
      window.setTimeout(function () { live.textContent = text; }, 50);
    }

    function sync() {
      selects.forEach(function (select, i) { select.value = ranked[i] || ""; });
    }

    function button(text, label, action, id, disabled) {
      var b = el("button", "secondary", text);
      b.type = "button";
      b.setAttribute("aria-label", label);
      b.dataset.action = action;
      b.dataset.id = id;
      b.disabled = !!disabled;
      return b;
    }

    function render(focus) {
      rankedList.textContent = "";
      unrankedList.textContent = "";
      ranked.forEach(function (id, i) {
        var item = el("li");
        item.draggable = true;
        item.dataset.id = id;
        item.appendChild(el("span", "label", labels[id]));
        var name = labels[id];
        item.appendChild(button("↑ Up", "Move " + name + " up", "up", id, i === 0));
        item.appendChild(button("↓ Down", "Move " + name + " down", "down", id,
                                i === ranked.length - 1));
        item.appendChild(button("Remove", "Remove " + name + " from your ranking", "remove", id));
        rankedList.appendChild(item);
      });
      order.forEach(function (id) {
        if (ranked.indexOf(id) !== -1) return;
        var item = el("li");
        item.draggable = true;
        item.dataset.id = id;
        item.appendChild(el("span", "label", labels[id]));
        item.appendChild(button("Add", "Add " + labels[id] + " to your ranking", "add", id));
        unrankedList.appendChild(item);
      });
      empty.hidden = ranked.length > 0;
      unrankedTitle.hidden = unrankedList.children.length === 0;
      sync();
      if (focus) {
        var target = widget.querySelector(
          'button[data-id="' + focus.id + '"][data-action="' + focus.action + '"]:not([disabled])'
        ) || widget.querySelector('button[data-id="' + focus.id + '"]:not([disabled])') ||
          widget.querySelector("button:not([disabled])");
        if (target) target.focus();
      }
    }

    function place(id) {
      return (ranked.indexOf(id) + 1) + " of " + ranked.length;
    }

    widget.addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b) return;
      var id = b.dataset.id;
      var i = ranked.indexOf(id);
      var name = labels[id];
      var focus = { id: id, action: b.dataset.action };
      if (b.dataset.action === "add") {
        ranked.push(id);
        focus.action = "up";
        render(focus);
        announce(name + " added to your ranking as choice " + place(id) + ".");
      } else if (b.dataset.action === "remove") {
        ranked.splice(i, 1);
        focus.action = "add";
        render(focus);
        announce(name + " removed from your ranking.");
      } else if (b.dataset.action === "up" && i > 0) {
        ranked.splice(i, 1);
        ranked.splice(i - 1, 0, id);
        render(focus);
        announce(name + " moved up to choice " + place(id) + ".");
      } else if (b.dataset.action === "down" && i < ranked.length - 1) {
        ranked.splice(i, 1);
        ranked.splice(i + 1, 0, id);
        render(focus);
        announce(name + " moved down to choice " + place(id) + ".");
      }
    });

    // Drag and drop: drop on a ranked item to take its place, on the ranked list's free space
    // to go last, on the unranked list to leave the ranking.
    var dragged = null;
    widget.addEventListener("dragstart", function (event) {
      var item = event.target.closest("li[data-id]");
      if (!item) return;
      dragged = item.dataset.id;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged);
    });
    widget.addEventListener("dragend", function (event) {
      var item = event.target.closest("li[data-id]");
      if (item) item.classList.remove("dragging");
      dragged = null;
    });
    [rankedList, unrankedList].forEach(function (list) {
      list.addEventListener("dragover", function (event) {
        if (dragged === null) return;
        event.preventDefault();
        widget.querySelectorAll(".drop-target").forEach(function (n) {
          n.classList.remove("drop-target");
        });
        var over = event.target.closest("li[data-id]");
        if (over && list === rankedList) over.classList.add("drop-target");
      });
      list.addEventListener("drop", function (event) {
        if (dragged === null) return;
        event.preventDefault();
        var id = dragged;
        var from = ranked.indexOf(id);
        if (from !== -1) ranked.splice(from, 1);
        if (list === rankedList) {
          var over = event.target.closest("li[data-id]");
          var to = over ? ranked.indexOf(over.dataset.id) : -1;
          if (to === -1) ranked.push(id); else ranked.splice(to, 0, id);
          render();
          announce(labels[id] + " placed as choice " + place(id) + ".");
        } else {
          render();
          announce(labels[id] + " removed from your ranking.");
        }
      });
    });

    render();
  }

  function init(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-ranking]")) enhance(scope);
    Array.prototype.forEach.call(scope.querySelectorAll("[data-ranking]"), enhance);
  }

  // htmx swaps in a fresh ballot after a vote: enhance it too.
  document.addEventListener("htmx:load", function (event) { init(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
