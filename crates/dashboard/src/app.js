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
