// The replay of a missed webinar: when the video has played to its end, the page's form posts
// "replay watched" (the member's own registration then counts as attended).
(function () {
  const video = document.getElementById("replay");
  const form = document.getElementById("replay-form");
  if (!video || !form) return;
  let sent = false;
  video.addEventListener("ended", function () {
    if (sent) return;
    sent = true;
    form.submit();
  });
})();
