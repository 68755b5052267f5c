// "Copy link" buttons (progressive enhancement): a button with data-copy="<id>" copies the
// text of that element to the clipboard and says so in the element named by data-copied.
// Without this script the buttons stay hidden and the link is plain, selectable text.
"use strict";
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var source = document.getElementById(button.dataset.copy);
  var status = document.getElementById(button.dataset.copied || "");
  if (!source || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () {
        if (status) { status.textContent = "Link copied."; }
      },
      function () {
        if (status) { status.textContent = "Could not copy: select the link and copy it."; }
      }
    );
  });
});
