// Live character count for kudos messages: <textarea data-count="id-of-output">.
document.addEventListener("input", function (event) {
  var field = event.target;
  if (!field.dataset || !field.dataset.count) return;
  var output = document.getElementById(field.dataset.count);
  if (output) output.textContent = field.value.trim().length;
});
