// Times in the reader's own time zone. The server writes each <time data-local datetime="ISO"> in
// the organization's zone with the zone shown; this rewrites it in the browser's zone, still with the
// zone shown, in the page's language. Without JavaScript the server's text stays, which is correct too.
const lang = document.documentElement.lang || undefined;
for (const el of document.querySelectorAll('time[data-local][datetime]')) {
  const at = new Date(el.getAttribute('datetime'));
  if (Number.isNaN(at.getTime())) continue;
  const dateOnly = el.dataset.local === 'date';
  const opts = dateOnly
    ? { year: 'numeric', month: 'short', day: 'numeric' }
    : {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        timeZoneName: 'short',
      };
  try {
    el.textContent = new Intl.DateTimeFormat(lang, opts).format(at);
    el.dataset.zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    // leave the server's text
  }
}
