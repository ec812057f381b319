// A datetime-local input holds the person's local time; the API takes RFC 3339. On submit,
// each such input fills its hidden UTC twin (named by data-utc), or leaves it empty.
document.addEventListener("submit", function (e) {
  e.target.querySelectorAll("input[data-utc]").forEach(function (local) {
    var target = e.target.querySelector("input[name='" + local.dataset.utc + "']");
    if (!target) return;
    target.value = local.value ? new Date(local.value).toISOString() : "";
  });
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-tz]").forEach(function (el) {
    el.textContent = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  });
});
// Compose's assistant buttons: ask /dashboard/assist for suggestions about the text and the
// ticked profiles' platforms, list them, and put the one chosen in the text box.
document.addEventListener("click", function (e) {
  var button = e.target.closest("button[data-assist]");
  var use = e.target.closest("button[data-use]");
  var form = e.target.closest("form");
  if (use && form) {
    form.querySelector("textarea[name='post[body]']").value = use.dataset.use;
    return;
  }
  if (!button || !form) return;
  var out = document.getElementById("assist");
  var providers = [];
  form.querySelectorAll("input[name='profiles[]']:checked").forEach(function (c) {
    if (providers.indexOf(c.dataset.provider) < 0) providers.push(c.dataset.provider);
  });
  out.textContent = "Asking the assistant…";
  fetch("/dashboard/assist", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({
      csrf_token: form.querySelector("input[name=csrf_token]").value,
      action: button.dataset.assist,
      text: form.querySelector("textarea[name='post[body]']").value,
      providers: providers,
    }),
  })
    .then(function (r) { return r.json().then(function (v) { return { ok: r.ok, v: v }; }); })
    .then(function (res) {
      out.textContent = "";
      if (!res.ok) {
        var p = document.createElement("p");
        p.className = "flash error";
        p.textContent = res.v.detail || res.v.title || "The assistant could not answer.";
        out.appendChild(p);
        return;
      }
      var h = document.createElement("h3");
      h.textContent = res.v.title;
      out.appendChild(h);
      res.v.items.forEach(function (item) {
        var div = document.createElement("div");
        div.className = "suggestion";
        var label = document.createElement("strong");
        label.textContent = item.label;
        var pre = document.createElement("pre");
        pre.textContent = item.thread ? item.thread.join("\n") : item.text;
        var b = document.createElement("button");
        b.type = "button";
        b.className = "secondary";
        b.dataset.use = item.text;
        b.textContent = "Use";
        div.appendChild(label);
        div.appendChild(pre);
        div.appendChild(b);
        out.appendChild(div);
      });
    })
    .catch(function () { out.textContent = "The assistant could not be reached."; });
});
// Compose's thread editor: "Add part" adds a part from the template; every text box with
// data-count shows its length against the tightest limit of the ticked profiles' platforms.
function composeLimit(form) {
  var limits = JSON.parse(form.dataset.limits || "{}");
  var tightest = null;
  form.querySelectorAll("input[name='profiles[]']:checked").forEach(function (c) {
    var l = limits[c.dataset.provider];
    if (l && (tightest === null || l < tightest.max)) tightest = { max: l, provider: c.dataset.provider };
  });
  return tightest;
}
function countPart(box) {
  var form = box.closest("form");
  var counter = box.nextElementSibling;
  if (!form || !counter || !counter.classList.contains("counter")) return;
  var n = Array.from(box.value).length;
  var limit = composeLimit(form);
  counter.textContent = limit ? n + " / " + limit.max + " (" + limit.provider + ")" : n + " characters";
  counter.classList.toggle("error-text", !!limit && n > limit.max);
}
function countAll(form) {
  form.querySelectorAll("textarea[data-count]").forEach(countPart);
}
document.addEventListener("input", function (e) {
  if (e.target.matches("textarea[data-count]")) countPart(e.target);
});
// What only some platforms take (a thread, a first comment) shows while a ticked profile's
// platform takes it; with no profile ticked yet, everything shows.
function showSupported(form) {
  var ticked = [];
  form.querySelectorAll("input[name='profiles[]']:checked").forEach(function (c) { ticked.push(c.dataset.provider); });
  form.querySelectorAll("[data-for]").forEach(function (el) {
    var takes = JSON.parse(el.dataset.for);
    el.hidden = ticked.length > 0 && !ticked.some(function (p) { return takes.indexOf(p) >= 0; });
  });
}
document.addEventListener("change", function (e) {
  if (e.target.matches("input[name='profiles[]']")) {
    var form = e.target.closest("form");
    countAll(form);
    showSupported(form);
  }
});
document.addEventListener("click", function (e) {
  var add = e.target.closest("button[data-add-part]");
  if (!add) return;
  var form = add.closest("form");
  var parts = form.querySelector("#parts");
  var part = form.querySelector("#part-template").content.firstElementChild.cloneNode(true);
  part.querySelector(".part-number").textContent = String(parts.children.length + 2);
  parts.appendChild(part);
  var box = part.querySelector("textarea");
  countPart(box);
  box.focus();
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-limits]").forEach(function (form) {
    countAll(form);
    showSupported(form);
  });
});
