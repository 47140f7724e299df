// "You can ask for a new code in 30 s": counts the seconds down in the page. Progressive
// enhancement only: the server refuses an early "send again" with the same message, and without
// JavaScript the server's text stays.
for (const el of document.querySelectorAll('[data-countdown]')) {
  let left = Number(el.dataset.countdown);
  const template = el.dataset.template ?? '';
  if (!Number.isFinite(left) || left <= 0 || !template.includes('{s}')) continue;
  const timer = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(timer);
      el.textContent = el.dataset.done ?? '';
      return;
    }
    el.textContent = template.replace('{s}', String(left));
  }, 1000);
}
