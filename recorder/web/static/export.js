// Export wizard: the local date-times are sent as epoch seconds (the browser knows the offset).
"use strict";
const form = document.getElementById("export-form");
function pad(n) { return String(n).padStart(2, "0"); }
function local(d) {
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
         pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
}
const from = document.getElementById("from"), to = document.getElementById("to");
if (!from.value) { from.value = local(new Date(Date.now() - 70e3)); to.value = local(new Date(Date.now() - 10e3)); }
form.addEventListener("submit", () => {
  document.getElementById("from_epoch").value = new Date(from.value).getTime() / 1000;
  document.getElementById("to_epoch").value = new Date(to.value).getTime() / 1000;
});
